package libcontainer

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/runo-runtime/runo/nsenter"
)

// ValidateID checks a container id the way runc does: letters, digits and
// "_+-." only, and not "." or "..", so that it is always one safe path element.
func ValidateID(id string) error {
	if id == "" {
		return errors.New("container id cannot be empty")
	}
	if id == "." || id == ".." {
		return fmt.Errorf("invalid container id %q", id)
	}
	for _, r := range id {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
			r == '_' || r == '+' || r == '-' || r == '.'
		if !ok {
			return fmt.Errorf("invalid container id %q: only letters, digits and _+-. are allowed", id)
		}
	}
	return nil
}

// Validate checks the parts of a spec runo acts on. Each error names the
// JSON path of the offending value.
func Validate(spec *specs.Spec, bundle string) error {
	if spec.Root == nil || spec.Root.Path == "" {
		return errors.New("root.path: must be set")
	}
	if err := validateRoot(spec, bundle); err != nil {
		return err
	}
	if err := validateProcess(spec.Process); err != nil {
		return err
	}
	for _, f := range []struct{ field, value string }{{"hostname", spec.Hostname}, {"domainname", spec.Domainname}} {
		if strings.IndexByte(f.value, 0) >= 0 {
			return fmt.Errorf("%s: %q holds a NUL byte", f.field, f.value)
		}
	}
	rootfs := RootfsPath(spec, bundle)
	for i, m := range spec.Mounts {
		if m.Destination == "" {
			return fmt.Errorf("mounts[%d].destination: must be set", i)
		}
		if err := checkProcDestination(MountDestination(rootfs, m.Destination), m); err != nil {
			return fmt.Errorf("mounts[%d].destination: %w", i, err)
		}
		idmap, err := idmapped(i, m)
		if err != nil {
			return err
		}
		if idmap && len(m.UIDMappings) == 0 && (spec.Linux == nil || !hasNamespace(spec, specs.UserNamespace)) {
			return fmt.Errorf("mounts[%d] (%s): idmap without mappings, in a container without a user namespace", i, m.Destination)
		}
		// The kernel ignores them on a bind mount: refused, as runc does,
		// rather than dropped.
		opts := parseMountOptions(m.Options)
		if opts.isBind() && opts.data != "" {
			return fmt.Errorf("mounts[%d].options: %q: a bind mount takes no filesystem options", i, opts.data)
		}
		if opts.isBind() || m.Type == "bind" {
			if src := filepath.Clean(m.Source); underAny(src, "/proc/self", "/proc/thread-self") {
				return fmt.Errorf("mounts[%d].source: %s is under /proc/self: the descriptors and files of runo's own processes never reach the container", i, quote(m.Source))
			}
		}
	}
	if err := validateHooks(spec.Hooks); err != nil {
		return err
	}
	if spec.Linux == nil {
		return errors.New("linux: must be set")
	}
	if err := validateLSM(spec.Process, spec.Linux.MountLabel); err != nil {
		return err
	}
	return validateLinux(spec)
}

func validateHooks(h *specs.Hooks) error {
	if h == nil {
		return nil
	}
	for _, k := range []struct {
		kind  string
		hooks []specs.Hook
	}{
		{"prestart", h.Prestart}, {"createRuntime", h.CreateRuntime}, {"createContainer", h.CreateContainer},
		{"startContainer", h.StartContainer}, {"poststart", h.Poststart}, {"poststop", h.Poststop},
	} {
		kind := k.kind
		for i, hook := range k.hooks {
			if !filepath.IsAbs(hook.Path) {
				return fmt.Errorf("hooks.%s[%d].path: %q is not an absolute path", kind, i, hook.Path)
			}
			if hook.Timeout != nil && *hook.Timeout <= 0 {
				return fmt.Errorf("hooks.%s[%d].timeout: %d is not above zero", kind, i, *hook.Timeout)
			}
		}
	}
	return nil
}

func validateProcess(p *specs.Process) error {
	if p == nil {
		return errors.New("process: must be set")
	}
	if len(p.Args) == 0 || p.Args[0] == "" {
		return errors.New("process.args: must not be empty")
	}
	if !filepath.IsAbs(p.Cwd) {
		return fmt.Errorf("process.cwd: %q is not an absolute path", p.Cwd)
	}
	// execve(2) would stop each string at the NUL: refused here, not as
	// "invalid argument" at start.
	for i, a := range p.Args {
		if strings.IndexByte(a, 0) >= 0 {
			return fmt.Errorf("process.args[%d]: %q holds a NUL byte", i, a)
		}
	}
	if strings.IndexByte(p.Cwd, 0) >= 0 {
		return fmt.Errorf("process.cwd: %q holds a NUL byte", p.Cwd)
	}
	for i, e := range p.Env {
		switch strings.IndexByte(e, '=') {
		case -1:
			return fmt.Errorf("process.env[%d]: %q is not NAME=VALUE", i, e)
		case 0:
			return fmt.Errorf("process.env[%d]: %q has an empty name", i, e)
		}
		if strings.IndexByte(e, 0) >= 0 {
			return fmt.Errorf("process.env[%d]: %q holds a NUL byte", i, e)
		}
	}
	seen := map[string]bool{}
	for i, r := range p.Rlimits {
		if _, ok := rlimits[r.Type]; !ok {
			return fmt.Errorf("process.rlimits[%d].type: unknown %q", i, r.Type)
		}
		if seen[r.Type] {
			return fmt.Errorf("process.rlimits[%d].type: duplicate %q", i, r.Type)
		}
		seen[r.Type] = true
		if r.Soft > r.Hard {
			return fmt.Errorf("process.rlimits[%d]: soft limit %d is above hard limit %d", i, r.Soft, r.Hard)
		}
	}
	if err := validateSched(p); err != nil {
		return err
	}
	if err := validateAffinity(p.ExecCPUAffinity); err != nil {
		return err
	}
	return nil
}

// validateIDMappings checks linux.uidMappings and gidMappings, which a new
// user namespace needs. As runc takes them: a joined one may have them too
// (containerd and CRI-O send the joined namespace's own, which init
// checks), and without any user namespace they are not used.
func validateIDMappings(l *specs.Linux, newUser bool) error {
	for _, m := range []struct {
		name string
		maps []specs.LinuxIDMapping
	}{{"uidMappings", l.UIDMappings}, {"gidMappings", l.GIDMappings}} {
		name, maps := m.name, m.maps
		if newUser && len(maps) == 0 {
			return fmt.Errorf("linux.%s: a new user namespace needs them", name)
		}
		for i, m := range maps {
			if m.Size == 0 {
				return fmt.Errorf("linux.%s[%d].size: must not be 0", name, i)
			}
		}
	}
	return nil
}

func validateLinux(spec *specs.Spec) error {
	l := spec.Linux
	has := map[string]bool{}
	for i, ns := range l.Namespaces {
		t := string(ns.Type)
		if _, ok := nsenter.Flag(t); !ok {
			return fmt.Errorf("linux.namespaces[%d].type: unknown %q", i, t)
		}
		if has[t] {
			return fmt.Errorf("linux.namespaces[%d].type: duplicate %q", i, t)
		}
		if ns.Path != "" && !filepath.IsAbs(ns.Path) {
			return fmt.Errorf("linux.namespaces[%d].path: %q is not an absolute path", i, ns.Path)
		}
		has[t] = ns.Path == ""
		if ns.Path != "" {
			has[t+":joined"] = true
		}
	}
	newNS := func(t string) bool { return has[t] }
	if err := validateIDMappings(l, newNS("user")); err != nil {
		return err
	}
	if !newNS("mount") && !has["mount:joined"] && (len(l.MaskedPaths) > 0 || len(l.ReadonlyPaths) > 0) {
		// runc's words.
		return errors.New("linux.maskedPaths, linux.readonlyPaths: unable to restrict sys entries without a private MNT namespace")
	}
	// A joined uts namespace gets them too, as with runc.
	uts := newNS("uts") || has["uts:joined"]
	if spec.Hostname != "" && !uts {
		return errors.New("hostname: setting it needs a uts namespace of the container's")
	}
	if spec.Domainname != "" && !uts {
		return errors.New("domainname: setting it needs a uts namespace of the container's")
	}
	for name := range l.TimeOffsets {
		if name != "monotonic" && name != "boottime" {
			return fmt.Errorf("linux.timeOffsets: unknown clock %q", name)
		}
		if !newNS("time") {
			return errors.New("linux.timeOffsets: needs a new time namespace")
		}
	}
	if l.RootfsPropagation != "" {
		if _, ok := propagationFlags[l.RootfsPropagation]; !ok {
			return fmt.Errorf("linux.rootfsPropagation: unknown %q", l.RootfsPropagation)
		}
	}
	for i, d := range l.Devices {
		if !filepath.IsAbs(d.Path) {
			return fmt.Errorf("linux.devices[%d].path: %q is not an absolute path", i, d.Path)
		}
		if _, ok := deviceTypes[d.Type]; !ok {
			return fmt.Errorf("linux.devices[%d].type: unknown %q", i, d.Type)
		}
		// The kernel keeps 12 bits of major and 20 of minor: a number
		// outside would name another device.
		if d.Major < 0 || d.Major > maxMajor {
			return fmt.Errorf("linux.devices[%d].major: %d is out of range (0 to %d)", i, d.Major, maxMajor)
		}
		if d.Minor < 0 || d.Minor > maxMinor {
			return fmt.Errorf("linux.devices[%d].minor: %d is out of range (0 to %d)", i, d.Minor, maxMinor)
		}
	}
	if err := validateNetDevices(l, newNS("network") || has["network:joined"]); err != nil {
		return err
	}
	if l.IntelRdt != nil {
		return errors.New("linux.intelRdt: not supported by runo")
	}
	if err := validateResources(l.Resources); err != nil {
		return err
	}
	if err := validateMemoryPolicy(l.MemoryPolicy); err != nil {
		return err
	}
	if err := validatePersonality(l.Personality); err != nil {
		return err
	}
	keys := make([]string, 0, len(l.Sysctl))
	for key := range l.Sysctl {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	for _, key := range keys {
		name, _, ok := sysctlName(key)
		if !ok {
			return fmt.Errorf("linux.sysctl: invalid key %q", key)
		}
		if err := checkSysctl(name, l.Namespaces); err != nil {
			return fmt.Errorf("linux.sysctl[%q]: %w", key, err)
		}
	}
	return nil
}

// sysctlName reads a sysctl key in either of sysctl(8)'s forms: dotted,
// where a "/" stands for a dot within a name ("net.ipv4.conf.eth0/100.rp_filter"
// for the interface eth0.100), or slashed ("net/ipv4/conf/eth0.100/rp_filter").
// It returns the dotted name and the path under /proc/sys; ok is false for
// an empty name, "." or ".." as a name, or a space.
func sysctlName(key string) (name, path string, ok bool) {
	swap := func(r rune) rune {
		switch r {
		case '.':
			return '/'
		case '/':
			return '.'
		}
		return r
	}
	if i := strings.IndexAny(key, "./"); i >= 0 && key[i] == '/' {
		name, path = strings.Map(swap, key), key
	} else {
		name, path = key, strings.Map(swap, key)
	}
	for _, part := range strings.Split(path, "/") {
		if part == "" || part == "." || part == ".." || strings.ContainsAny(part, " \x00") {
			return "", "", false
		}
	}
	return name, path, true
}

var ipcSysctls = map[string]bool{
	"kernel.msgmax": true, "kernel.msgmnb": true, "kernel.msgmni": true, "kernel.sem": true,
	"kernel.shmall": true, "kernel.shmmax": true, "kernel.shmmni": true, "kernel.shm_rmid_forced": true,
}

// checkSysctl allows, as runc does, only sysctls that belong to a namespace
// the container does not share with the host: setting any other would
// change the host.
func checkSysctl(key string, namespaces []specs.LinuxNamespace) error {
	var ns specs.LinuxNamespaceType
	switch {
	case ipcSysctls[key] || strings.HasPrefix(key, "fs.mqueue."):
		ns = specs.IPCNamespace
	case strings.HasPrefix(key, "net."):
		ns = specs.NetworkNamespace
	case key == "kernel.hostname" || key == "kernel.domainname":
		ns = specs.UTSNamespace
	default:
		return errors.New("not in a namespace of the container's own, so it would change the host")
	}
	for _, n := range namespaces {
		if n.Type == ns && (n.Path == "" || !sameFile(n.Path, "/proc/self/ns/"+nsProcName[ns])) {
			return nil
		}
	}
	return fmt.Errorf("needs a %s namespace of the container's own", ns)
}

var nsProcName = map[specs.LinuxNamespaceType]string{
	specs.IPCNamespace: "ipc", specs.NetworkNamespace: "net", specs.UTSNamespace: "uts",
}

// The largest device numbers the kernel's dev_t holds.
const (
	maxMajor = 1<<12 - 1
	maxMinor = 1<<20 - 1
)

// validateRoot checks root.path: a directory, and no symlink, as runc
// requires (a symlink could be swapped to point elsewhere between the check
// and the mount). A relative path is taken from the bundle, whose own path
// may go through symlinks.
func validateRoot(spec *specs.Spec, bundle string) error {
	rootfs := RootfsPath(spec, bundle)
	st, err := os.Stat(rootfs)
	if err != nil {
		return fmt.Errorf("root.path: %w", err)
	}
	if !st.IsDir() {
		return fmt.Errorf("root.path: %s is not a directory", rootfs)
	}
	want := rootfs
	if !filepath.IsAbs(spec.Root.Path) {
		if b, err := filepath.EvalSymlinks(bundle); err == nil {
			want = filepath.Join(b, spec.Root.Path)
		}
	}
	if real, err := filepath.EvalSymlinks(rootfs); err != nil || real != want {
		return fmt.Errorf("root.path: invalid rootfs %s: not an absolute path, or a symlink", rootfs)
	}
	return nil
}

// MountDestination is the path in the container a mount destination
// names, as runc reads it: a relative one is taken from the rootfs, and an
// absolute one that spells out the rootfs's own path (as some generated
// configs do) is taken inside it.
func MountDestination(rootfs, dest string) string {
	if filepath.IsAbs(dest) {
		rel, err := filepath.Rel(rootfs, filepath.Clean(dest))
		if err == nil && rel != "." && rel != ".." && !strings.HasPrefix(rel, "../") {
			return "/" + rel
		}
	}
	return filepath.Clean("/" + dest)
}

// procMountAllowed are the files under /proc that may be mounted over:
// those lxcfs emulates, as runc allows.
var procMountAllowed = []string{
	"/proc/cpuinfo", "/proc/diskstats", "/proc/meminfo", "/proc/stat", "/proc/swaps", "/proc/uptime",
	"/proc/loadavg", "/proc/slabinfo", "/proc/net/dev", "/proc/sys/kernel/ns_last_pid", "/proc/sys/crypto/fips_enabled",
}

// checkProcDestination refuses a mount inside the container's /proc but
// for procMountAllowed (anything else there could redirect what init
// later opens through /proc, or unmask what maskedPaths hide), and a
// mount on /proc itself that is not a procfs. dest is a path from the
// container's root.
func checkProcDestination(dest string, m specs.Mount) error {
	dest = filepath.Clean(dest)
	rel, err := filepath.Rel("/proc", dest)
	if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return nil
	}
	if rel == "." {
		if m.Type == "proc" || isProcfs(m.Source) && (m.Type == "bind" || parseMountOptions(m.Options).isBind()) {
			return nil
		}
		return fmt.Errorf("%q cannot be mounted because it is not of type proc", dest)
	}
	if slices.Contains(procMountAllowed, dest) {
		return nil
	}
	return fmt.Errorf("%q cannot be mounted because it is inside /proc", dest)
}

// underAny says whether path is one of dirs or inside one.
func underAny(path string, dirs ...string) bool {
	for _, d := range dirs {
		if path == d || strings.HasPrefix(path, d+"/") {
			return true
		}
	}
	return false
}

func isProcfs(path string) bool {
	var st unix.Statfs_t
	return unix.Statfs(path, &st) == nil && st.Type == unix.PROC_SUPER_MAGIC
}
