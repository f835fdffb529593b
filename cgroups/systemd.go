package cgroups

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

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
// cgroupfs driver writes them. Only pure cgroup v2 hosts are supported.

// SystemdUnit is where a systemd cgroupsPath ("slice:prefix:name") puts a
// container: its scope unit, the slice that holds it, and the scope's
// cgroup2 directory.
type SystemdUnit struct {
	Unit, Slice, Dir string
}

// ParseSystemdPath reads cgroupsPath as runc does with --systemd-cgroup:
// "slice:prefix:name" names the scope prefix-name.scope in slice;
// an empty path is "system.slice:runo:<id>"; an empty slice is
// system.slice. mountpoint is the cgroup2 root.
func ParseSystemdPath(cgroupsPath, id, mountpoint string) (*SystemdUnit, error) {
	if cgroupsPath == "" {
		cgroupsPath = "system.slice:runo:" + id
	}
	parts := strings.Split(cgroupsPath, ":")
	if len(parts) != 3 {
		return nil, fmt.Errorf("linux.cgroupsPath %q: with --systemd-cgroup it is slice:prefix:name", cgroupsPath)
	}
	slice, prefix, name := parts[0], parts[1], parts[2]
	if slice == "" {
		slice = "system.slice"
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

// Systemd is the systemd driver's Manager: FS on the scope's directory,
// and systemd for making and removing the scope.
type Systemd struct {
	*FS
	unit SystemdUnit
	// resources go to systemd as properties when the scope is made.
	resources *specs.LinuxResources
}

// NewSystemd returns the manager of the scope u. The scope does not exist
// before Adopt.
func NewSystemd(u SystemdUnit, r *specs.LinuxResources) *Systemd {
	return &Systemd{FS: NewFS(map[string]string{Unified: u.Dir}, nil), unit: u, resources: r}
}

// Create makes nothing: systemd makes the scope when Adopt gives it a pid.
func (s *Systemd) Create() error { return nil }

// Entry is empty for init, which is born in runo's cgroup and moved by
// systemd (Adopt); exec's processes join the scope's cgroup.procs.
func (s *Systemd) Entry() (*Entry, error) {
	if _, err := os.Stat(s.unit.Dir); err != nil {
		return &Entry{}, nil
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
	props = append(props, systemdProperties(s.resources)...)
	err := s.job("starting", func(ctx context.Context, conn *systemd.Conn, done chan<- string) (int, error) {
		return conn.StartTransientUnitContext(ctx, s.unit.Unit, "replace", props, done)
	})
	if err != nil {
		return err
	}
	if _, err := os.Stat(s.unit.Dir); err != nil {
		return fmt.Errorf("unit %s has no cgroup at %s: %w", s.unit.Unit, s.unit.Dir, err)
	}
	// Its ancestors pass their controllers down, as for cgroupfs.
	enableControllers(s.unit.Dir)
	return nil
}

// Join makes the scope with pid in it.
func (s *Systemd) Join(pid int) error { return s.Adopt(pid) }

// Destroy stops the scope; systemd removes its cgroup.
func (s *Systemd) Destroy() error {
	err := s.job("stopping", func(ctx context.Context, conn *systemd.Conn, done chan<- string) (int, error) {
		return conn.StopUnitContext(ctx, s.unit.Unit, "replace", done)
	})
	var derr dbus.Error
	if errors.As(err, &derr) && strings.HasSuffix(derr.Name, ".NoSuchUnit") {
		return nil
	}
	return err
}

// job connects to systemd, queues a job on the unit with queue and waits
// for its end; a job that ends other than "done" is an error.
func (s *Systemd) job(what string, queue func(context.Context, *systemd.Conn, chan<- string) (int, error)) error {
	ctx, cancel := context.WithTimeout(context.Background(), jobTimeout)
	defer cancel()
	conn, err := systemd.NewWithContext(ctx)
	if err != nil {
		return fmt.Errorf("connecting to systemd: %w", err)
	}
	defer conn.Close()
	done := make(chan string, 1)
	if _, err := queue(ctx, conn, done); err != nil {
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
// systemd would otherwise reset to its own on a reload.
func systemdProperties(r *specs.LinuxResources) []systemd.Property {
	if r == nil {
		return nil
	}
	var props []systemd.Property
	add := func(name string, v any) {
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
		if c.Quota != nil && *c.Quota > 0 {
			period := uint64(100000)
			if c.Period != nil && *c.Period != 0 {
				period = *c.Period
			}
			// systemd keeps a quota per second, in 10 ms steps (runc
			// rounds up the same way).
			perSec := uint64(*c.Quota) * 1000000 / period
			if perSec%10000 != 0 {
				perSec = (perSec/10000 + 1) * 10000
			}
			add("CPUQuotaPerSecUSec", perSec)
		}
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
	return props
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
