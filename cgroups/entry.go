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
// cgroups (see nsenter.Config): the "tasks" file of each v1 hierarchy, open
// for writing, and the cgroup2 directory.
type Entry struct {
	Tasks   []*os.File
	Unified *os.File
}

// openEntry opens the cgroups of paths for a new process to enter.
func openEntry(paths map[string]string) (*Entry, error) {
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
