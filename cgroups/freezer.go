package cgroups

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
)

// frozen reports whether the container's freezer says it is frozen.
func frozen(paths map[string]string) bool {
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

// setFrozen freezes or thaws the container's processes and waits until the
// kernel reports it done: the v1 freezer where there is one, else cgroup2's
// cgroup.freeze.
func setFrozen(paths map[string]string, frozen bool) error {
	if p, ok := paths["freezer"]; ok {
		state := "THAWED"
		if frozen {
			state = "FROZEN"
		}
		return waitFor(p, "freezer.state", state, func() error { return writeFile(p, "freezer.state", state) })
	}
	if p, ok := paths[Unified]; ok {
		value := "0"
		if frozen {
			value = "1"
		}
		if err := writeFile(p, "cgroup.freeze", value); err != nil {
			return err
		}
		return waitFor(p, "cgroup.events", "frozen "+value, nil)
	}
	return errors.New("the container has no freezer cgroup")
}
