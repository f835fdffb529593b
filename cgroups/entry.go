package cgroups

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"golang.org/x/sys/unix"
)

// Entry holds what a new process needs to start inside a container's
// cgroups (see nsenter.Config): the "tasks" file of each v1 hierarchy (or
// cgroup2's cgroup.procs), open for writing, and the cgroup2 directory.
type Entry struct {
	Tasks   []*os.File
	Unified *os.File
}

// openEntry opens the cgroups of paths for a new process to enter. The
// process is born in a cgroup2 directory runo made (clone3's
// CLONE_INTO_CGROUP); one made before is joined by writing its cgroup.procs
// instead: a kernel whose cgroup was ever emptied with cgroup.kill kills
// every process cloned into it (Linux 6.18 here).
func openEntry(paths map[string]string, made []string) (*Entry, error) {
	e := &Entry{}
	for _, key := range slices.Sorted(maps.Keys(paths)) {
		var err error
		if key == Unified && slices.Contains(made, paths[key]) {
			e.Unified, err = os.OpenFile(paths[key], unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		} else if key == Unified {
			var f *os.File
			if f, err = os.OpenFile(filepath.Join(paths[key], "cgroup.procs"), os.O_WRONLY, 0); err == nil {
				e.Tasks = append(e.Tasks, f)
			}
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
