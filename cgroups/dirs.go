package cgroups

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// create makes dirs (as listed by Missing). A new v1 cpuset cgroup starts
// with no cpus or mems, which refuses tasks, so it inherits its parent's;
// a parent made empty by someone else (a pod's) is filled first, as runc
// fills it.
func create(paths map[string]string, dirs []string) error {
	for _, d := range dirs {
		if err := os.Mkdir(d, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
			return fmt.Errorf("creating cgroup %s: %w", d, err)
		}
	}
	// Only where cgroup2 is the whole tree: on a hybrid host its root is
	// the host's to configure, as runc leaves it.
	if d := paths[Unified]; d != "" && len(paths) == 1 {
		enableControllers(d)
	}
	// The container's own cpuset, made here or before.
	for _, d := range paths {
		if _, err := os.Stat(filepath.Join(d, "cpuset.cpus")); err == nil && !isUnified(d) {
			for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
				if err := inherit(d, f); err != nil {
					return fmt.Errorf("filling %s: %w", filepath.Join(d, f), err)
				}
			}
		}
	}
	return nil
}

// enableControllers gives the cgroup2 directory dir every controller its
// ancestors may pass down, writing each ancestor's cgroup.subtree_control
// from the top, as runc does. A controller an ancestor cannot pass (it has
// processes of its own, or the controller is threaded) is left out: the
// resources that need it then fail, naming it.
func enableControllers(dir string) {
	var chain []string
	for d := filepath.Dir(dir); isUnified(d); d = filepath.Dir(d) {
		chain = append(chain, d)
		if d == "/" {
			break
		}
	}
	for i := len(chain) - 1; i >= 0; i-- {
		d := chain[i]
		avail, err := os.ReadFile(filepath.Join(d, "cgroup.controllers"))
		if err != nil {
			return
		}
		on, _ := os.ReadFile(filepath.Join(d, "cgroup.subtree_control"))
		var want []string
		for _, c := range strings.Fields(string(avail)) {
			if !slices.Contains(strings.Fields(string(on)), c) {
				want = append(want, "+"+c)
			}
		}
		if len(want) == 0 || writeFile(d, "cgroup.subtree_control", strings.Join(want, " ")) == nil {
			continue
		}
		for _, c := range want {
			writeFile(d, "cgroup.subtree_control", c)
		}
	}
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
	parentDir := filepath.Dir(dir)
	parent, err := os.ReadFile(filepath.Join(parentDir, file))
	if err != nil {
		return err
	}
	if strings.TrimSpace(string(parent)) == "" {
		if err := inherit(parentDir, file); err != nil {
			return err
		}
		if parent, err = os.ReadFile(filepath.Join(parentDir, file)); err != nil {
			return err
		}
	}
	return writeFile(dir, file, strings.TrimSpace(string(parent)))
}

// destroy removes dirs (as made by Create), deepest first, and the cgroups
// the container made in its own (as runc does). A cgroup whose last process
// is still exiting is busy for a moment, so removal is retried for up to a
// second; a directory already gone is not an error.
func destroy(dirs []string) error {
	var errs []error
	for i := len(dirs) - 1; i >= 0; i-- {
		parent := i < len(dirs)-1 && strings.HasPrefix(dirs[i+1], dirs[i]+"/")
		// A parent runo made that holds another container's cgroup now
		// stays, for that container's delete to remove.
		if parent && hasChildCgroup(dirs[i]) {
			continue
		}
		rm := rmdir
		if !parent {
			rm = rmTree
		}
		if err := rm(dirs[i]); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// rmTree removes the cgroup dir and those below it, deepest first. It reads
// the directory only when it is busy: nearly always it has no cgroup below.
func rmTree(dir string) error {
	if err := unix.Rmdir(dir); err == nil || err == unix.ENOENT {
		return nil
	}
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	for _, e := range entries {
		if e.IsDir() {
			if err := rmTree(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
		}
	}
	return rmdir(dir)
}

// hasChildCgroup says whether the cgroup dir has a cgroup below it.
func hasChildCgroup(dir string) bool {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range entries {
		if e.IsDir() {
			return true
		}
	}
	return false
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
