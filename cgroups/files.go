package cgroups

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// writeFile writes one value to a cgroup file.
func writeFile(dir, file, value string) error {
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

// pids lists the processes in a container's cgroup, read from one
// hierarchy: all hierarchies hold the same processes.
func pids(paths map[string]string) ([]int, error) {
	for _, key := range []string{"pids", "freezer", Unified, "memory", "cpu"} {
		if p, ok := paths[key]; ok {
			return treePids(p)
		}
	}
	for _, p := range slices.Sorted(maps.Values(paths)) {
		return treePids(p)
	}
	return nil, errors.New("container has no cgroup")
}

// treePids lists the processes of the cgroup dir and of the cgroups the
// container made below it, as runc does: kill --all and delete --force
// reach those too.
func treePids(dir string) ([]int, error) {
	all, err := readPids(filepath.Join(dir, "cgroup.procs"))
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		// A cgroup removed meanwhile has no processes.
		if sub, err := treePids(filepath.Join(dir, e.Name())); err == nil {
			all = append(all, sub...)
		}
	}
	return all, nil
}
