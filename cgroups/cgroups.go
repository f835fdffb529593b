// Package cgroups places containers in cgroups on v1, v2 and hybrid hosts.
//
// The layout is read from /proc/self/mountinfo, never guessed: every mounted
// v1 hierarchy (including named ones such as name=systemd) and the cgroup2
// mount, if any, get a directory for the container. On a hybrid host that is
// both. Paths are recorded by the caller before directories are made, so
// that a crash at any point leaves something Destroy can finish.
package cgroups

import (
	"bufio"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/moby/sys/mountinfo"
	"golang.org/x/sys/unix"
)

// Unified is the key of the cgroup2 hierarchy in path maps.
const Unified = "unified"

// Hierarchy is one mounted cgroup hierarchy.
type Hierarchy struct {
	// Key is the comma-joined controller list as /proc/self/cgroup shows it
	// ("cpu,cpuacct", "name=systemd"), or Unified for cgroup2.
	Key        string
	Mountpoint string
	// Root is the cgroup the mount shows at Mountpoint.
	Root string
}

// Layout is the set of cgroup hierarchies mounted on the host.
type Layout struct {
	Hierarchies []Hierarchy
}

// DetectLayout reads the hierarchies mounted in this mount namespace. Only
// the first visible mount of each hierarchy counts: mountinfo also lists
// mounts that another mount has since covered.
func DetectLayout() (*Layout, error) {
	mounts, err := mountinfo.GetMounts(mountinfo.FSTypeFilter("cgroup", "cgroup2"))
	if err != nil {
		return nil, fmt.Errorf("reading cgroup mounts: %w", err)
	}
	seen := map[string]bool{}
	l := &Layout{}
	for _, m := range mounts {
		key := Unified
		if m.FSType == "cgroup" {
			key = v1Key(m.VFSOptions)
		}
		if key == "" || seen[key] || !visible(m) {
			continue
		}
		seen[key] = true
		l.Hierarchies = append(l.Hierarchies, Hierarchy{Key: key, Mountpoint: m.Mountpoint, Root: m.Root})
	}
	if len(l.Hierarchies) == 0 {
		return nil, errors.New("no cgroup hierarchy is mounted")
	}
	return l, nil
}

// visible reports whether m is what its mountpoint shows.
func visible(m *mountinfo.Info) bool {
	var st unix.Stat_t
	return unix.Stat(m.Mountpoint, &st) == nil && st.Dev == unix.Mkdev(uint32(m.Major), uint32(m.Minor))
}

// v1Key picks the controllers out of a v1 mount's super options.
func v1Key(opts string) string {
	var ctrls []string
	for _, o := range strings.Split(opts, ",") {
		switch {
		case o == "rw" || o == "ro" || o == "clone_children" || o == "noprefix" ||
			o == "xattr" || o == "cpuset_v2_mode" || o == "favordynmods" || strings.HasPrefix(o, "release_agent="):
		default:
			ctrls = append(ctrls, o)
		}
	}
	return strings.Join(ctrls, ",")
}

// ownCgroups reads /proc/self/cgroup into a map from hierarchy key to path.
func ownCgroups() (map[string]string, error) {
	f, err := os.Open("/proc/self/cgroup")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	own := map[string]string{}
	s := bufio.NewScanner(f)
	for s.Scan() {
		parts := strings.SplitN(s.Text(), ":", 3)
		if len(parts) != 3 {
			continue
		}
		key := parts[1]
		if parts[0] == "0" && key == "" {
			key = Unified
		}
		own[key] = parts[2]
	}
	return own, s.Err()
}

// Paths returns the directory of cgroupsPath in every hierarchy. An absolute
// cgroupsPath is taken from each hierarchy's root, a relative one (or the
// default, the container id) from runo's own cgroup there, as runc does.
func (l *Layout) Paths(cgroupsPath, id string) (map[string]string, error) {
	if cgroupsPath == "" {
		cgroupsPath = id
	}
	clean := filepath.Clean("/" + cgroupsPath)
	if clean == "/" {
		return nil, fmt.Errorf("linux.cgroupsPath %q: must name a cgroup below the root", cgroupsPath)
	}
	var own map[string]string
	if !filepath.IsAbs(cgroupsPath) {
		var err error
		if own, err = ownCgroups(); err != nil {
			return nil, fmt.Errorf("reading own cgroups: %w", err)
		}
	}
	paths := map[string]string{}
	for _, h := range l.Hierarchies {
		rel := clean
		if own != nil {
			rel = filepath.Join(own[h.Key], clean)
		}
		// The mount shows the cgroup Root at Mountpoint.
		inMount, err := filepath.Rel(h.Root, rel)
		if err != nil || strings.HasPrefix(inMount, "..") {
			return nil, fmt.Errorf("cgroup %s is outside the %s hierarchy mounted at %s", rel, h.Key, h.Mountpoint)
		}
		paths[h.Key] = filepath.Join(h.Mountpoint, inMount)
	}
	return paths, nil
}

// Missing lists the directories Create would make for paths, parents first.
func Missing(paths map[string]string) []string {
	var dirs []string
	for _, p := range slices.Sorted(maps.Values(paths)) {
		var chain []string
		for d := p; ; d = filepath.Dir(d) {
			if _, err := os.Stat(d); err == nil || d == "/" {
				break
			}
			chain = append(chain, d)
		}
		for i := len(chain) - 1; i >= 0; i-- {
			dirs = append(dirs, chain[i])
		}
	}
	return dirs
}

// Create makes dirs (as listed by Missing). A new v1 cpuset cgroup starts
// with no cpus or mems, which refuses tasks, so it inherits its parent's.
func Create(dirs []string) error {
	for _, d := range dirs {
		if err := os.Mkdir(d, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
			return fmt.Errorf("creating cgroup %s: %w", d, err)
		}
		if _, err := os.Stat(filepath.Join(d, "cpuset.cpus")); err == nil && !isUnified(d) {
			for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
				if err := inherit(d, f); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func isUnified(dir string) bool {
	var st unix.Statfs_t
	return unix.Statfs(dir, &st) == nil && st.Type == unix.CGROUP2_SUPER_MAGIC
}

func inherit(dir, file string) error {
	cur, err := os.ReadFile(filepath.Join(dir, file))
	if err != nil || strings.TrimSpace(string(cur)) != "" {
		return err
	}
	parent, err := os.ReadFile(filepath.Join(filepath.Dir(dir), file))
	if err != nil {
		return err
	}
	return WriteFile(dir, file, strings.TrimSpace(string(parent)))
}

// WriteFile writes one value to a cgroup file.
func WriteFile(dir, file, value string) error {
	p := filepath.Join(dir, file)
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString(value)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing %q to %s: %w", value, p, err)
	}
	return nil
}

// Entry holds what a new process needs to start inside a container's
// cgroups (see nsenter.Config): the "tasks" file of each v1 hierarchy, open
// for writing, and the cgroup2 directory.
type Entry struct {
	Tasks   []*os.File
	Unified *os.File
}

// OpenEntry opens the cgroups of paths for a new process to enter.
func OpenEntry(paths map[string]string) (*Entry, error) {
	e := &Entry{}
	for _, key := range slices.Sorted(maps.Keys(paths)) {
		var err error
		if key == Unified {
			e.Unified, err = os.OpenFile(paths[key], unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		} else {
			var f *os.File
			if f, err = os.OpenFile(filepath.Join(paths[key], "tasks"), os.O_WRONLY, 0); err == nil {
				e.Tasks = append(e.Tasks, f)
			}
		}
		if err != nil {
			e.Close()
			return nil, fmt.Errorf("opening cgroup: %w", err)
		}
	}
	return e, nil
}

// Close closes every file of e.
func (e *Entry) Close() {
	for _, f := range e.Tasks {
		f.Close()
	}
	if e.Unified != nil {
		e.Unified.Close()
	}
}

// Pids lists the processes in a container's cgroup, read from one
// hierarchy: all hierarchies hold the same processes.
func Pids(paths map[string]string) ([]int, error) {
	for _, key := range []string{"pids", "freezer", Unified, "memory", "cpu"} {
		if p, ok := paths[key]; ok {
			return readPids(filepath.Join(p, "cgroup.procs"))
		}
	}
	for _, p := range slices.Sorted(maps.Values(paths)) {
		return readPids(filepath.Join(p, "cgroup.procs"))
	}
	return nil, errors.New("container has no cgroup")
}

func readPids(file string) ([]int, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, f := range strings.Fields(string(b)) {
		if pid, err := strconv.Atoi(f); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

// Frozen reports whether the container's freezer says it is frozen.
func Frozen(paths map[string]string) bool {
	if p, ok := paths["freezer"]; ok {
		b, err := os.ReadFile(filepath.Join(p, "freezer.state"))
		return err == nil && strings.TrimSpace(string(b)) == "FROZEN"
	}
	if p, ok := paths[Unified]; ok && len(paths) == 1 {
		b, err := os.ReadFile(filepath.Join(p, "cgroup.freeze"))
		return err == nil && strings.TrimSpace(string(b)) == "1"
	}
	return false
}

// SetFrozen freezes or thaws the container's processes and waits until the
// kernel reports it done: the v1 freezer where there is one, else cgroup2's
// cgroup.freeze.
func SetFrozen(paths map[string]string, frozen bool) error {
	if p, ok := paths["freezer"]; ok {
		state := "THAWED"
		if frozen {
			state = "FROZEN"
		}
		return waitFor(p, "freezer.state", state, func() error { return WriteFile(p, "freezer.state", state) })
	}
	if p, ok := paths[Unified]; ok {
		value := "0"
		if frozen {
			value = "1"
		}
		if err := WriteFile(p, "cgroup.freeze", value); err != nil {
			return err
		}
		return waitFor(p, "cgroup.events", "frozen "+value, nil)
	}
	return errors.New("the container has no freezer cgroup")
}

// waitFor (re)does act until file in dir shows want (a whole line), for up
// to 5 seconds: a v1 freezer may stay FREEZING while a task is busy.
func waitFor(dir, file, want string, act func() error) error {
	for deadline := time.Now().Add(5 * time.Second); ; {
		if act != nil {
			if err := act(); err != nil {
				return err
			}
		}
		b, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			return err
		}
		for _, line := range strings.Split(string(b), "\n") {
			if strings.TrimSpace(line) == want {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: %q did not reach %q", filepath.Join(dir, file), strings.TrimSpace(string(b)), want)
		}
		time.Sleep(time.Millisecond)
	}
}

// Destroy removes dirs (as made by Create), deepest first. A cgroup whose
// last process is still exiting is busy for a moment, so removal is retried
// for up to a second; a directory already gone is not an error.
func Destroy(dirs []string) error {
	var errs []error
	for i := len(dirs) - 1; i >= 0; i-- {
		if err := rmdir(dirs[i]); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func rmdir(dir string) error {
	delay := time.Millisecond
	for deadline := time.Now().Add(time.Second); ; {
		err := unix.Rmdir(dir)
		if err == nil || err == unix.ENOENT {
			return nil
		}
		if err != unix.EBUSY || time.Now().After(deadline) {
			return fmt.Errorf("removing cgroup %s: %w", dir, err)
		}
		time.Sleep(delay)
		delay = min(2*delay, 50*time.Millisecond)
	}
}
