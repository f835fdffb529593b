package cgroups

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	systemd "github.com/coreos/go-systemd/v22/dbus"
	"github.com/godbus/dbus/v5"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// The systemd driver (--systemd-cgroup): the container's cgroup is a
// transient scope that systemd makes over D-Bus with init's pid in it and
// Delegate=yes, so that systemd knows the container's processes and
// limits (systemctl status shows them) and leaves the subtree to runo.
// The resources systemd has properties for go as properties too, as runc
// maps them; every resource is then written to the scope's files, as the
// cgroupfs driver writes them.

// SystemdUnit is where a systemd cgroupsPath ("slice:prefix:name") puts a
// container: its scope unit, the slice that holds it, and the scope's
// cgroup2 directory.
type SystemdUnit struct {
	Unit, Slice, Dir string
	// Properties are those annotations org.systemd.property.NAME give:
	// NAME and the value's D-Bus text (see AnnotatedProperties).
	Properties map[string]string `json:",omitempty"`
	// Owner, when set, is the host uid the scope's cgroup is delegated to
	// (see Adopt).
	Owner *int `json:",omitempty"`
	// User, when set, is the host uid whose systemd user instance keeps
	// the scope (rootless runo); else the system instance does.
	User *int `json:",omitempty"`
}

// PropertyAnnotationPrefix names the unit properties a container's
// annotations set, as in runc.
const PropertyAnnotationPrefix = "org.systemd.property."

// AnnotatedProperties picks the unit properties out of annotations and
// checks them: a value is in D-Bus's variant text syntax ("2", "'text'",
// "true", "uint64 5"), and a NAMESec is seconds, given to systemd as
// NAMEUSec, as runc gives them.
func AnnotatedProperties(annotations map[string]string) (map[string]string, error) {
	var out map[string]string
	for _, k := range slices.Sorted(maps.Keys(annotations)) {
		name, ok := strings.CutPrefix(k, PropertyAnnotationPrefix)
		if !ok {
			continue
		}
		if _, err := unitProperty(name, annotations[k]); err != nil {
			return nil, fmt.Errorf("annotations[%q]: %w", k, err)
		}
		if out == nil {
			out = map[string]string{}
		}
		out[name] = annotations[k]
	}
	return out, nil
}

func unitProperty(name, text string) (systemd.Property, error) {
	if name == "" || !unicode.IsUpper(rune(name[0])) {
		return systemd.Property{}, fmt.Errorf("%q is not a systemd property name", name)
	}
	v, err := dbus.ParseVariant(text, dbus.Signature{})
	if err != nil {
		return systemd.Property{}, fmt.Errorf("%q is not a D-Bus value: %w", text, err)
	}
	if strings.HasSuffix(name, "Sec") && !strings.HasSuffix(name, "USec") {
		var sec float64
		switch n := reflect.ValueOf(v.Value()); n.Kind() {
		case reflect.Int16, reflect.Int32, reflect.Int64:
			sec = float64(n.Int())
		case reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			sec = float64(n.Uint())
		case reflect.Float64:
			sec = n.Float()
		default:
			return systemd.Property{}, fmt.Errorf("%s is in seconds: %q is not a number", name, text)
		}
		if sec < 0 {
			return systemd.Property{}, fmt.Errorf("%s is in seconds: %q is negative", name, text)
		}
		name = strings.TrimSuffix(name, "Sec") + "USec"
		v = dbus.MakeVariant(uint64(sec * 1e6))
	}
	return systemd.Property{Name: name, Value: v}, nil
}

// ParseSystemdPath reads cgroupsPath as runc does with --systemd-cgroup:
// "slice:prefix:name" names the scope prefix-name.scope in slice;
// an empty path is "SLICE:runo:<id>"; an empty slice is SLICE, the
// default slice: system.slice, or user.slice in a user instance of
// systemd. mountpoint is the cgroup2 root of the instance's slices.
func ParseSystemdPath(cgroupsPath, id, mountpoint, defaultSlice string) (*SystemdUnit, error) {
	if cgroupsPath == "" {
		cgroupsPath = defaultSlice + ":runo:" + id
	}
	parts := strings.Split(cgroupsPath, ":")
	if len(parts) != 3 {
		return nil, fmt.Errorf("linux.cgroupsPath %q: with --systemd-cgroup it is slice:prefix:name", cgroupsPath)
	}
	slice, prefix, name := parts[0], parts[1], parts[2]
	if slice == "" {
		slice = defaultSlice
	}
	if !strings.HasSuffix(slice, ".slice") || strings.Contains(slice, "/") {
		return nil, fmt.Errorf("linux.cgroupsPath %q: %q is not a slice", cgroupsPath, slice)
	}
	if name == "" || strings.Contains(name, "/") {
		return nil, fmt.Errorf("linux.cgroupsPath %q: bad unit name %q", cgroupsPath, name)
	}
	unit := name
	if !strings.HasSuffix(name, ".slice") && !strings.HasSuffix(name, ".scope") {
		unit = name + ".scope"
		if prefix != "" {
			unit = prefix + "-" + unit
		}
	}
	if strings.HasSuffix(unit, ".slice") {
		return nil, fmt.Errorf("linux.cgroupsPath %q: a container is a scope, not a slice", cgroupsPath)
	}
	dir, err := sliceDir(slice)
	if err != nil {
		return nil, fmt.Errorf("linux.cgroupsPath %q: %w", cgroupsPath, err)
	}
	return &SystemdUnit{Unit: unit, Slice: slice, Dir: filepath.Join(mountpoint, dir, unit)}, nil
}

// sliceDir is where systemd puts a slice's cgroup: "a-b.slice" is
// a.slice/a-b.slice, "-.slice" the root.
func sliceDir(slice string) (string, error) {
	if slice == "-.slice" {
		return "/", nil
	}
	name := strings.TrimSuffix(slice, ".slice")
	if name == "" || strings.HasPrefix(name, "-") || strings.HasSuffix(name, "-") || strings.Contains(name, "--") {
		return "", fmt.Errorf("bad slice name %q", slice)
	}
	dir, prefix := "/", ""
	for _, part := range strings.Split(name, "-") {
		prefix += part
		dir = filepath.Join(dir, prefix+".slice")
		prefix += "-"
	}
	return dir, nil
}

// Systemd is the systemd driver's Manager: FS on the scope's directories,
// and systemd for making and removing the scope. On cgroup v1, systemd
// makes the scope's directory in the hierarchies of the controllers it
// manages (and its own name=systemd); runo makes the others, with the
// same path, as runc does.
type Systemd struct {
	*FS
	unit SystemdUnit
	// own are the directories runo makes, in the hierarchies systemd does
	// not manage.
	own []string
}

// NewSystemd returns the manager of the scope u, whose cgroups are paths,
// of which own are runo's to make. The scope does not exist before Adopt.
func NewSystemd(u SystemdUnit, paths map[string]string, own []string) *Systemd {
	return &Systemd{FS: NewFS(paths, own), unit: u, own: own}
}

// systemdManaged says whether systemd makes a scope's cgroup in the
// hierarchy key: cgroup2, and on v1 its own and those of the controllers
// it manages there.
func systemdManaged(key string) bool {
	if key == Unified {
		return true
	}
	for _, c := range strings.Split(key, ",") {
		switch c {
		case "name=systemd", "cpu", "cpuacct", "blkio", "memory", "devices", "pids":
			return true
		}
	}
	return false
}

// NotSystemdManaged are the paths in the hierarchies systemd leaves alone.
func NotSystemdManaged(paths map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range paths {
		if !systemdManaged(k) {
			out[k] = v
		}
	}
	return out
}

// ScopeDir is the directory that shows whether the scope exists: its
// cgroup2 one on a pure v2 host, else its name=systemd one.
func ScopeDir(paths map[string]string) string {
	for _, k := range []string{"name=systemd", Unified} {
		if d := paths[k]; d != "" {
			return d
		}
	}
	return ""
}

// v1 says the host has cgroup v1 hierarchies.
func (s *Systemd) v1() bool {
	_, pure := s.paths[Unified]
	return !pure || len(s.paths) > 1
}

// Create makes the directories runo makes; systemd makes the others when
// Adopt gives it a pid.
func (s *Systemd) Create() error { return create(NotSystemdManaged(s.paths), s.own) }

// Entry holds, for init, only the directories runo made: it is born there
// and moved into the scope by systemd (Adopt); exec's processes join
// every directory.
func (s *Systemd) Entry() (*Entry, error) {
	if _, err := os.Stat(s.unit.Dir); err != nil {
		return openEntry(NotSystemdManaged(s.paths), s.own)
	}
	return s.FS.Entry()
}

// jobTimeout bounds the wait for systemd's answers.
const jobTimeout = 30 * time.Second

// Adopt makes the scope with pid in it and waits for systemd to have
// started it.
func (s *Systemd) Adopt(pid int) error {
	props := []systemd.Property{
		systemd.PropDescription("runo container " + strings.TrimSuffix(s.unit.Unit, ".scope")),
		systemd.PropSlice(s.unit.Slice),
		systemd.PropPids(uint32(pid)),
		{Name: "Delegate", Value: dbus.MakeVariant(true)},
		{Name: "DefaultDependencies", Value: dbus.MakeVariant(false)},
		{Name: "MemoryAccounting", Value: dbus.MakeVariant(true)},
		{Name: "CPUAccounting", Value: dbus.MakeVariant(true)},
		{Name: "IOAccounting", Value: dbus.MakeVariant(true)},
		{Name: "TasksAccounting", Value: dbus.MakeVariant(true)},
	}
	for _, name := range slices.Sorted(maps.Keys(s.unit.Properties)) {
		p, err := unitProperty(name, s.unit.Properties[name])
		if err != nil {
			return err
		}
		props = append(props, p)
	}
	err := s.unit.call(func(ctx context.Context, conn *systemd.Conn) error {
		return s.await(ctx, "starting", func(done chan<- string) (int, error) {
			return conn.StartTransientUnitContext(ctx, s.unit.Unit, "replace", props, done)
		})
	})
	if err != nil {
		return err
	}
	if _, err := os.Stat(s.unit.Dir); err != nil {
		return fmt.Errorf("unit %s has no cgroup at %s: %w", s.unit.Unit, s.unit.Dir, err)
	}
	if !s.v1() {
		// Its ancestors pass their controllers down, as for cgroupfs.
		enableControllers(s.unit.Dir)
		if s.unit.Owner != nil {
			return delegate(s.unit.Dir, *s.unit.Owner)
		}
	}
	return nil
}

// delegate gives the cgroup dir to uid, as runc does for a container with
// its own user and cgroup namespaces and a writable cgroupfs: the directory
// and the files the kernel lists for delegation (cgroups(7)'s when it
// lists none).
func delegate(dir string, uid int) error {
	files := []string{"cgroup.procs", "cgroup.subtree_control", "cgroup.threads"}
	if data, err := os.ReadFile("/sys/kernel/cgroup/delegate"); err == nil {
		files = strings.Fields(string(data))
	}
	if err := os.Chown(dir, uid, -1); err != nil {
		return fmt.Errorf("delegating cgroup %s: %w", dir, err)
	}
	for _, f := range files {
		if err := os.Chown(filepath.Join(dir, f), uid, -1); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("delegating cgroup %s: %w", dir, err)
		}
	}
	return nil
}

// Join makes the scope with pid in it, and puts pid in runo's
// directories.
func (s *Systemd) Join(pid int) error {
	if err := s.Adopt(pid); err != nil {
		return err
	}
	return NewFS(NotSystemdManaged(s.paths), nil).Join(pid)
}

// Destroy stops the scope, whose cgroups systemd removes, and removes
// runo's.
func (s *Systemd) Destroy() error {
	if err := s.stop(); err != nil {
		return err
	}
	return destroy(s.own)
}

func (s *Systemd) stop() error {
	return s.unit.call(func(ctx context.Context, conn *systemd.Conn) error {
		err := s.await(ctx, "stopping", func(done chan<- string) (int, error) {
			return conn.StopUnitContext(ctx, s.unit.Unit, "replace", done)
		})
		var derr dbus.Error
		if errors.As(err, &derr) && strings.HasSuffix(derr.Name, ".NoSuchUnit") {
			return nil
		}
		if err != nil {
			return err
		}
		// A unit that failed (RuntimeMaxSec ran out, say) stays loaded
		// until told to forget it, as runc does on delete.
		conn.ResetFailedUnitContext(ctx, s.unit.Unit)
		return nil
	})
}

// call runs fn on a connection to the instance of systemd that keeps the
// unit, within jobTimeout.
func (u SystemdUnit) call(fn func(context.Context, *systemd.Conn) error) error {
	ctx, cancel := context.WithTimeout(context.Background(), jobTimeout)
	defer cancel()
	conn, err := connectSystemd(ctx, u.User)
	if err != nil {
		return err
	}
	defer conn.Close()
	return fn(ctx, conn)
}

// connectSystemd connects to the system instance of systemd, or with
// user to that user's instance, over the session bus.
func connectSystemd(ctx context.Context, user *int) (*systemd.Conn, error) {
	if user == nil {
		conn, err := systemd.NewWithContext(ctx)
		if err != nil {
			return nil, fmt.Errorf("connecting to systemd: %w", err)
		}
		return conn, nil
	}
	addr := UserBusAddress()
	conn, err := systemd.NewConnection(func() (*dbus.Conn, error) { return dialUserBus(ctx, addr, *user) })
	if err != nil {
		return nil, fmt.Errorf("connecting to the systemd user instance of uid %d at %s: %w", *user, addr, err)
	}
	return conn, nil
}

// UserBusAddress is the session bus of the user runo runs for:
// $DBUS_SESSION_BUS_ADDRESS, else $XDG_RUNTIME_DIR/bus.
func UserBusAddress() string {
	if addr := os.Getenv("DBUS_SESSION_BUS_ADDRESS"); addr != "" {
		return addr
	}
	return "unix:path=" + filepath.Join(os.Getenv("XDG_RUNTIME_DIR"), "bus")
}

// dialUserBus connects to the bus at addr as host uid: from inside a user
// namespace (podman's rootless one) the bus sees the host's uid in the
// socket's credentials, not the euid of 0 that godbus would claim.
func dialUserBus(ctx context.Context, addr string, uid int) (*dbus.Conn, error) {
	conn, err := dbus.Dial(addr, dbus.WithContext(ctx))
	if err != nil {
		return nil, err
	}
	if err := conn.Auth([]dbus.Auth{dbus.AuthExternal(strconv.Itoa(uid))}); err != nil {
		conn.Close()
		return nil, err
	}
	if err := conn.Hello(); err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}

// UserManagerCgroup is the cgroup of uid's systemd user instance, below
// which it puts its slices: /user.slice/user-UID.slice/user@UID.service.
func UserManagerCgroup(uid int) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), jobTimeout)
	defer cancel()
	conn, err := connectSystemd(ctx, &uid)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	v, err := conn.GetManagerProperty("ControlGroup")
	if err != nil {
		return "", fmt.Errorf("asking the systemd user instance of uid %d for its cgroup: %w", uid, err)
	}
	dir, err := strconv.Unquote(v)
	if err != nil || !strings.HasPrefix(dir, "/") {
		return "", fmt.Errorf("the systemd user instance of uid %d gave %q for its cgroup", uid, v)
	}
	return dir, nil
}

// await queues a job on the unit with queue and waits for its end; a job
// that ends other than "done" is an error.
func (s *Systemd) await(ctx context.Context, what string, queue func(chan<- string) (int, error)) error {
	done := make(chan string, 1)
	if _, err := queue(done); err != nil {
		return fmt.Errorf("%s unit %s: %w", what, s.unit.Unit, err)
	}
	select {
	case result := <-done:
		if result != "done" {
			return fmt.Errorf("%s unit %s: job %s", what, s.unit.Unit, result)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%s unit %s: no answer from systemd in %v", what, s.unit.Unit, jobTimeout)
	}
}

// Sub is the sub-cgroups of the scope, managed as files.
func (s *Systemd) Sub(subs []string) (Manager, error) { return s.FS.Sub(subs) }

// systemdProperties are the unit properties runc sets for r: the limits
// systemd would otherwise reset to its own on a reload. linux.resources
// first, then the unified keys systemd has properties for, which win.
func systemdProperties(r *specs.LinuxResources) ([]systemd.Property, error) {
	if r == nil {
		return nil, nil
	}
	var props []systemd.Property
	add := func(name string, v any) {
		props = slices.DeleteFunc(props, func(p systemd.Property) bool { return p.Name == name })
		props = append(props, systemd.Property{Name: name, Value: dbus.MakeVariant(v)})
	}
	if m := r.Memory; m != nil {
		if m.Limit != nil && *m.Limit != 0 {
			add("MemoryMax", unlimited(*m.Limit))
		}
		if m.Reservation != nil && *m.Reservation != 0 {
			add("MemoryLow", unlimited(*m.Reservation))
		}
		if m.Swap != nil && *m.Swap != 0 {
			swap := unlimited(*m.Swap)
			if *m.Swap > 0 && m.Limit != nil && *m.Limit > 0 {
				swap = uint64(*m.Swap - *m.Limit)
			}
			add("MemorySwapMax", swap)
		}
	}
	if c := r.CPU; c != nil {
		if c.Shares != nil && *c.Shares != 0 {
			add("CPUWeight", sharesToWeight(*c.Shares))
		}
		if c.Idle != nil && *c.Idle == 1 {
			// systemd 252 and later: a weight of 0 is cpu.idle, which
			// wins over shares, as in runc.
			add("CPUWeight", uint64(0))
		}
		var quota int64
		var period uint64
		if c.Quota != nil {
			quota = *c.Quota
		}
		if c.Period != nil {
			period = *c.Period
		}
		addQuota(add, quota, period)
		if c.Cpus != "" {
			if mask, err := cpuMask(c.Cpus); err == nil {
				add("AllowedCPUs", mask)
			}
		}
		if c.Mems != "" {
			if mask, err := cpuMask(c.Mems); err == nil {
				add("AllowedMemoryNodes", mask)
			}
		}
	}
	if p := r.Pids; p != nil && p.Limit != nil {
		limit := uint64(math.MaxUint64)
		if *p.Limit >= 0 {
			limit = uint64(max(*p.Limit, 1))
		}
		add("TasksMax", limit)
	}
	if b := r.BlockIO; b != nil && b.Weight != nil && *b.Weight != 0 {
		add("IOWeight", blkioToIOWeight(uint64(*b.Weight)))
	}
	for _, k := range slices.Sorted(maps.Keys(r.Unified)) {
		v := strings.TrimSpace(r.Unified[k])
		num := func() (uint64, error) {
			if v == "max" {
				return math.MaxUint64, nil
			}
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				return 0, fmt.Errorf("linux.resources.unified[%q]: %q is not a number or max", k, v)
			}
			return n, nil
		}
		switch k {
		case "cpu.idle":
			if v == "1" {
				add("CPUWeight", uint64(0))
			}
		case "memory.min", "memory.low", "memory.high", "memory.max", "memory.swap.max", "pids.max", "cpu.weight":
			n, err := num()
			if err != nil {
				return nil, err
			}
			name := map[string]string{"memory.min": "MemoryMin", "memory.low": "MemoryLow", "memory.high": "MemoryHigh",
				"memory.max": "MemoryMax", "memory.swap.max": "MemorySwapMax", "pids.max": "TasksMax", "cpu.weight": "CPUWeight"}[k]
			add(name, n)
		case "cpu.max":
			q, p, _ := strings.Cut(v, " ")
			var quota int64 = -1
			if q != "max" {
				n, err := strconv.ParseInt(q, 10, 64)
				if err != nil {
					return nil, fmt.Errorf("linux.resources.unified[%q]: %q is not \"quota [period]\"", k, v)
				}
				quota = n
			}
			period := uint64(100000)
			if p != "" {
				n, err := strconv.ParseUint(p, 10, 64)
				if err != nil {
					return nil, fmt.Errorf("linux.resources.unified[%q]: %q is not \"quota [period]\"", k, v)
				}
				period = n
			}
			addQuota(add, quota, period)
		case "cpuset.cpus", "cpuset.mems":
			mask, err := cpuMask(v)
			if err != nil {
				return nil, fmt.Errorf("linux.resources.unified[%q]: %w", k, err)
			}
			add(map[string]string{"cpuset.cpus": "AllowedCPUs", "cpuset.mems": "AllowedMemoryNodes"}[k], mask)
		}
	}
	return props, nil
}

// IdleOverWeight drops the weight (shares, or the unified cpu.weight) from
// r when r asks for cpu.idle too, which systemd's one CPUWeight cannot
// have and the kernel refuses on an idle cgroup: idle wins, as in runc,
// and the caller warns when dropped says so.
func IdleOverWeight(r *specs.LinuxResources) (out *specs.LinuxResources, dropped bool) {
	if r == nil {
		return r, false
	}
	c := r.CPU
	idle := (c != nil && c.Idle != nil && *c.Idle == 1) || strings.TrimSpace(r.Unified["cpu.idle"]) == "1"
	_, weight := r.Unified["cpu.weight"]
	shares := c != nil && c.Shares != nil && *c.Shares != 0
	if !idle || !(weight || shares) {
		return r, false
	}
	rest := *r
	if shares {
		cpu := *c
		cpu.Shares, rest.CPU = nil, &cpu
	}
	if weight {
		rest.Unified = maps.Clone(r.Unified)
		delete(rest.Unified, "cpu.weight")
	}
	return &rest, true
}

// roundQuota gives r's CPU quota the value systemd keeps, a quota per
// second in 10 ms steps, so that the files say what systemd does (runc
// writes it so too).
func roundQuota(r *specs.LinuxResources) *specs.LinuxResources {
	if r == nil || r.CPU == nil || r.CPU.Quota == nil || *r.CPU.Quota <= 0 {
		return r
	}
	period := uint64(100000)
	if r.CPU.Period != nil && *r.CPU.Period != 0 {
		period = *r.CPU.Period
	}
	perSec := uint64(*r.CPU.Quota) * 1000000 / period
	if perSec%10000 == 0 {
		return r
	}
	perSec = (perSec/10000 + 1) * 10000
	quota := int64(perSec * period / 1000000)
	cpu, out := *r.CPU, *r
	cpu.Quota, out.CPU = &quota, &cpu
	return &out
}

// addQuota adds the CPU quota and period as systemd keeps them, as runc
// does: a quota per second in 10 ms steps rounded up (infinity for none),
// and the period.
func addQuota(add func(string, any), quota int64, period uint64) {
	if quota == 0 && period == 0 {
		return
	}
	if period != 0 {
		add("CPUQuotaPeriodUSec", period)
	} else {
		period = 100000
	}
	perSec := uint64(math.MaxUint64)
	if quota > 0 {
		perSec = uint64(quota) * 1000000 / period
		if perSec%10000 != 0 {
			perSec = (perSec/10000 + 1) * 10000
		}
	}
	add("CPUQuotaPerSecUSec", perSec)
}

// Set tells systemd the limits, as runc does (the scope is made without
// them), then writes every resource to the files. On v1, systemd writes
// the devices cgroup itself on every reload: it is told the rules too.
func (s *Systemd) Set(r *specs.LinuxResources, devices bool) error {
	r = roundQuota(r)
	var rules []systemd.Property
	if devices && s.v1() {
		rules = deviceProperties(r)
	}
	if err := s.setProperties(r, rules...); err != nil {
		return err
	}
	return s.FS.Set(r, devices)
}

// Update tells systemd the new limits, so that it keeps them, and writes
// them to the files. A quota or period alone keeps the other.
func (s *Systemd) Update(r *specs.LinuxResources) error {
	r = roundQuota(keepCPUMax(s.paths, r))
	if err := s.setProperties(r); err != nil {
		return err
	}
	return s.FS.Update(r)
}

func (s *Systemd) setProperties(r *specs.LinuxResources, more ...systemd.Property) error {
	props, err := systemdProperties(r)
	if err != nil {
		return err
	}
	props = append(props, more...)
	if len(props) == 0 {
		return nil
	}
	kept := s.quotaFiles(r)
	err = s.unit.call(func(ctx context.Context, conn *systemd.Conn) error {
		if err := conn.SetUnitPropertiesContext(ctx, s.unit.Unit, true, props...); err != nil {
			return fmt.Errorf("setting the properties of unit %s: %w", s.unit.Unit, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return kept.restore()
}

// savedFiles are cgroup files' values, in the order to write them back.
type savedFiles []struct{ dir, file, value string }

// quotaFiles saves the CPU quota and period unless r sets them: systemd
// rewrites them whenever a property of the unit changes, before it
// answers, and with no quota it writes its own period (100 ms) over the
// container's.
func (s *Systemd) quotaFiles(r *specs.LinuxResources) savedFiles {
	if r != nil && ((r.CPU != nil && (r.CPU.Quota != nil || r.CPU.Period != nil)) || r.Unified["cpu.max"] != "") {
		return nil
	}
	var saved savedFiles
	save := func(dir string, files ...string) {
		for _, file := range files {
			if data, err := os.ReadFile(filepath.Join(dir, file)); err == nil {
				saved = append(saved, struct{ dir, file, value string }{dir, file, strings.TrimSpace(string(data))})
			}
		}
	}
	if dir := v1Dir(s.paths, "cpu"); dir != "" {
		save(dir, "cpu.cfs_period_us", "cpu.cfs_quota_us")
	} else if dir := s.paths[Unified]; dir != "" {
		save(dir, "cpu.max")
	}
	return saved
}

// restore writes back the saved values systemd changed.
func (saved savedFiles) restore() error {
	for _, f := range saved {
		data, err := os.ReadFile(filepath.Join(f.dir, f.file))
		if err == nil && strings.TrimSpace(string(data)) == f.value {
			continue
		}
		if err := writeFile(f.dir, f.file, f.value); err != nil {
			return err
		}
	}
	return nil
}

// unlimited is a limit as systemd takes it: -1 is no limit.
func unlimited(v int64) uint64 {
	if v < 0 {
		return math.MaxUint64
	}
	return uint64(v)
}

// cpuMask turns a cpu list ("0-2,4") into systemd's byte mask.
func cpuMask(list string) ([]byte, error) {
	var mask []byte
	for _, part := range strings.Split(list, ",") {
		lo, hi, isRange := strings.Cut(strings.TrimSpace(part), "-")
		if !isRange {
			hi = lo
		}
		var a, b int
		if _, err := fmt.Sscanf(lo+" "+hi, "%d %d", &a, &b); err != nil || a > b || b > 8191 {
			return nil, fmt.Errorf("bad cpu list %q", list)
		}
		for i := a; i <= b; i++ {
			for len(mask) <= i/8 {
				mask = append(mask, 0)
			}
			mask[i/8] |= 1 << (i % 8)
		}
	}
	return mask, nil
}

// deviceAllow is one DeviceAllow entry (D-Bus "(ss)"): a device node
// ("/dev/char/1:3"), or a class of one major ("char-pts") or of all
// ("block-*"), and its access.
type deviceAllow struct {
	Path, Perms string
}

// deviceProperties are the container's device rules as applyDevices
// applies them (all denied, the rules in order, the defaults) in
// systemd's terms, as runc gives them: DevicePolicy=strict and the
// devices allowed, or DevicePolicy=auto where every device is. systemd has
// no deny list: a deny after allowing every device cannot be told it (the
// files runo writes still hold it, until systemd rewrites them).
func deviceProperties(r *specs.LinuxResources) []systemd.Property {
	var rules []specs.LinuxDeviceCgroup
	if r != nil {
		rules = r.Devices
	}
	all := append(append([]specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}}, rules...), defaultDeviceRules...)
	var allowed []specs.LinuxDeviceCgroup
	allowAll := false
	for _, d := range all {
		switch whole := (d.Type == "" || d.Type == "a") && d.Major == nil && d.Minor == nil; {
		case whole && deviceAccess(d.Access) == "rwm":
			allowAll, allowed = d.Allow, nil
		case d.Allow && !allowAll:
			allowed = append(allowed, d)
		case !d.Allow:
			allowed = slices.DeleteFunc(allowed, func(a specs.LinuxDeviceCgroup) bool { return deviceRule(a) == deviceRule(d) })
		}
	}
	if allowAll {
		return []systemd.Property{{Name: "DevicePolicy", Value: dbus.MakeVariant("auto")}}
	}
	names := procDevices()
	entries := []deviceAllow{}
	for _, d := range allowed {
		types := []string{"char", "block"}
		switch d.Type {
		case "c":
			types = types[:1]
		case "b":
			types = types[1:]
		}
		for _, t := range types {
			var path string
			switch {
			case d.Major == nil:
				path = t + "-*"
			case d.Minor == nil:
				// A major's class has the name its driver has.
				name := names[t][*d.Major]
				if name == "" {
					continue
				}
				path = t + "-" + name
			default:
				path = fmt.Sprintf("/dev/%s/%d:%d", t, *d.Major, *d.Minor)
			}
			entries = append(entries, deviceAllow{Path: path, Perms: deviceAccess(d.Access)})
		}
	}
	return []systemd.Property{
		{Name: "DevicePolicy", Value: dbus.MakeVariant("strict")},
		{Name: "DeviceAllow", Value: dbus.MakeVariant(entries)},
	}
}

// procDevices reads the drivers' names by major from /proc/devices:
// "char" and "block".
func procDevices() map[string]map[int64]string {
	out := map[string]map[int64]string{"char": {}, "block": {}}
	data, err := os.ReadFile("/proc/devices")
	if err != nil {
		return out
	}
	section := ""
	for _, line := range strings.Split(string(data), "\n") {
		switch line {
		case "Character devices:":
			section = "char"
			continue
		case "Block devices:":
			section = "block"
			continue
		}
		var major int64
		var name string
		if section != "" {
			if _, err := fmt.Sscanf(strings.TrimSpace(line), "%d %s", &major, &name); err == nil {
				out[section][major] = name
			}
		}
	}
	return out
}
