package cgroups

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Manager is what runo does with a container's cgroups. FS implements it
// with cgroupfs on v1, cgroup2 and hybrid hosts alike (each controller in
// its v1 hierarchy, else in cgroup2); a systemd driver implements the same
// by asking systemd. Callers go through it for every cgroup file they
// read or write.
type Manager interface {
	// Create makes the directories that did not exist before.
	Create() error
	// Entry opens what a new process needs to be born in the cgroups.
	Entry() (*Entry, error)
	// Join moves a running process into the cgroups: CRIU, whose
	// restored processes are born where it is.
	Join(pid int) error
	// Sub returns the manager of sub-cgroups of the container's (exec's
	// --cgroup "[controller[,controller]:]path"), which must exist.
	Sub(subs []string) (Manager, error)
	// Set writes linux.resources, and with devices the device rules
	// (runc's defaults even when r has none). Rootless runo sets none:
	// v1's devices files and v2's eBPF programs need host privilege, and
	// runc skips them too.
	Set(r *specs.LinuxResources, devices bool) error
	// Update writes the resources r names, except devices.
	Update(r *specs.LinuxResources) error
	// MemoryUsage is the memory the container uses now, in bytes, and
	// that with the swap it uses.
	MemoryUsage() (mem, withSwap int64, err error)
	// Kill SIGKILLs every process in the cgroups at once, where the
	// kernel can (cgroup2's cgroup.kill); ErrNoKill where it cannot.
	Kill() error
	Freeze(frozen bool) error
	Frozen() bool
	Pids() ([]int, error)
	Stats() *Stats
	NotifyOOM() (<-chan struct{}, error)
	// Destroy removes the directories Create made.
	Destroy() error
}

// FS is the cgroupfs Manager.
type FS struct {
	paths map[string]string
	// dirs are the directories this container made, parents first.
	dirs []string
}

// NewFS returns the manager of the cgroups at paths, of which dirs are
// the container's own making (see Missing).
func NewFS(paths map[string]string, dirs []string) *FS {
	return &FS{paths: paths, dirs: dirs}
}

func (f *FS) Create() error                       { return create(f.paths, f.dirs) }
func (f *FS) Entry() (*Entry, error)              { return openEntry(f.paths, f.dirs) }
func (f *FS) MemoryUsage() (int64, int64, error)  { return memoryUsage(f.paths) }
func (f *FS) Freeze(frozen bool) error            { return setFrozen(f.paths, frozen) }
func (f *FS) Frozen() bool                        { return frozen(f.paths) }
func (f *FS) Pids() ([]int, error)                { return pids(f.paths) }
func (f *FS) Stats() *Stats                       { return getStats(f.paths) }
func (f *FS) NotifyOOM() (<-chan struct{}, error) { return notifyOOM(f.paths) }
func (f *FS) Destroy() error                      { return destroy(f.dirs) }

func (f *FS) Join(pid int) error {
	for _, dir := range f.paths {
		if err := writeFile(dir, "cgroup.procs", strconv.Itoa(pid)); err != nil {
			return err
		}
	}
	return nil
}

func (f *FS) Set(r *specs.LinuxResources, devices bool) error {
	if devices {
		var rules []specs.LinuxDeviceCgroup
		if r != nil {
			rules = r.Devices
		}
		if err := applyDevices(f.paths, rules); err != nil {
			return err
		}
	}
	return writeSettings(f.paths, resourceSettings(r), false)
}

func (f *FS) Update(r *specs.LinuxResources) error {
	return writeSettings(f.paths, resourceSettings(keepCPUMax(f.paths, r)), true)
}

// keepCPUMax completes an update of the CPU quota or period alone with
// the other from cgroup2's cpu.max, which holds both: as in runc, what an
// update does not name stays. v1 has a file for each.
func keepCPUMax(paths map[string]string, r *specs.LinuxResources) *specs.LinuxResources {
	dir := paths[Unified]
	if r == nil || r.CPU == nil || dir == "" || v1Dir(paths, "cpu") != "" || (r.CPU.Period == nil) == (r.CPU.Quota == nil) {
		return r
	}
	data, err := os.ReadFile(filepath.Join(dir, "cpu.max"))
	if err != nil {
		return r
	}
	quota, period, _ := strings.Cut(strings.TrimSpace(string(data)), " ")
	cpu := *r.CPU
	out := *r
	out.CPU = &cpu
	if p, err := strconv.ParseUint(period, 10, 64); err == nil && cpu.Period == nil {
		cpu.Period = &p
	}
	if q, err := strconv.ParseInt(quota, 10, 64); err == nil && cpu.Quota == nil {
		cpu.Quota = &q
	}
	return &out
}

// ErrNoKill is Kill's answer on a host without cgroup.kill.
var ErrNoKill = errors.New("no cgroup.kill")

func (f *FS) Kill() error {
	dir := f.paths[Unified]
	if dir == "" {
		return ErrNoKill
	}
	if _, err := os.Stat(filepath.Join(dir, "cgroup.kill")); err != nil {
		return ErrNoKill
	}
	return writeFile(dir, "cgroup.kill", "1")
}

// Sub puts each sub-cgroup in place of the container's own: "path" in
// every hierarchy, "controller[,controller]:path" in the hierarchies of
// those controllers. The manager it returns owns no directories.
func (f *FS) Sub(subs []string) (Manager, error) {
	out := map[string]string{}
	for k, v := range f.paths {
		out[k] = v
	}
	for _, s := range subs {
		ctrls, sub, hasCtrl := strings.Cut(s, ":")
		if !hasCtrl {
			sub, ctrls = ctrls, ""
		}
		// Taken from the container's cgroup, "/" being that one itself.
		if raw := filepath.Clean(sub); sub == "" || raw == ".." || strings.HasPrefix(raw, "../") {
			return nil, fmt.Errorf("--cgroup %q: bad sub cgroup path: the path must name a sub-cgroup of the container's", s)
		}
		rel := strings.TrimPrefix(filepath.Clean("/"+sub), "/")
		keys := hierarchies(f.paths, ctrls)
		if len(keys) == 0 {
			return nil, fmt.Errorf("--cgroup %q: unknown controller %q", s, ctrls)
		}
		for _, k := range keys {
			dir := filepath.Join(f.paths[k], rel)
			st, err := os.Stat(dir)
			if err == nil && !st.IsDir() {
				err = unix.ENOTDIR
			}
			if err != nil {
				// runc's words, which its users match.
				return nil, fmt.Errorf("--cgroup %q: adding pid to cgroup %s: %w", s, dir, err)
			}
			out[k] = dir
		}
	}
	return NewFS(out, nil), nil
}
