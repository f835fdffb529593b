package cgroups

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Manager is what runo does with a container's cgroups. FS implements it
// with cgroupfs on v1, cgroup2 and hybrid hosts alike (each controller in
// its v1 hierarchy, else in cgroup2); a systemd driver would implement it
// by asking systemd for the same.
type Manager interface {
	// Paths are the container's cgroup directories, by hierarchy key.
	Paths() map[string]string
	// Create makes the directories that did not exist before.
	Create() error
	// Entry opens what a new process needs to be born in the cgroups.
	Entry() (*Entry, error)
	// AddPid moves an existing process into the cgroups.
	AddPid(pid int) error
	// Set writes linux.resources, devices included.
	Set(r *specs.LinuxResources) error
	// Update writes the resources r names, except devices.
	Update(r *specs.LinuxResources) error
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

func (f *FS) Paths() map[string]string            { return f.paths }
func (f *FS) Create() error                       { return Create(f.dirs) }
func (f *FS) Entry() (*Entry, error)              { return OpenEntry(f.paths) }
func (f *FS) Freeze(frozen bool) error            { return SetFrozen(f.paths, frozen) }
func (f *FS) Frozen() bool                        { return Frozen(f.paths) }
func (f *FS) Pids() ([]int, error)                { return Pids(f.paths) }
func (f *FS) Stats() *Stats                       { return GetStats(f.paths) }
func (f *FS) NotifyOOM() (<-chan struct{}, error) { return NotifyOOM(f.paths) }
func (f *FS) Destroy() error                      { return Destroy(f.dirs) }

func (f *FS) Set(r *specs.LinuxResources) error {
	var devices []specs.LinuxDeviceCgroup
	if r != nil {
		devices = r.Devices
	}
	if err := applyDevices(f.paths, devices); err != nil {
		return err
	}
	return writeSettings(f.paths, resourceSettings(r))
}

func (f *FS) Update(r *specs.LinuxResources) error {
	return writeSettings(f.paths, resourceSettings(r))
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
	return WriteFile(dir, "cgroup.kill", "1")
}

// AddPid writes pid to cgroup.procs in every hierarchy. (runo's own
// processes are born in their cgroups instead, see nsenter.)
func (f *FS) AddPid(pid int) error {
	for _, key := range slices.Sorted(maps.Keys(f.paths)) {
		if err := WriteFile(f.paths[key], "cgroup.procs", strconv.Itoa(pid)); err != nil {
			return fmt.Errorf("adding %d to the cgroup: %w", pid, err)
		}
	}
	return nil
}
