package libcontainer

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/runo-runtime/runo/cgroups"
)

// Update changes the container's linux.resources as runc update does: the
// values in update (linux.resources JSON) over the container's, written to
// its cgroups and kept in its config for later updates and exec. Devices
// are not changed: rewriting the rules would deny them for a moment to
// processes that run.
func (c *Container) Update(update []byte) error {
	if err := c.check(OpUpdate); err != nil {
		return err
	}
	var r specs.LinuxResources
	if err := json.Unmarshal(update, &r); err != nil {
		return fmt.Errorf("resources: %w", jsonError(update, err))
	}
	path := filepath.Join(c.h.dir, configFile)
	data, err := readRegular(path)
	if err != nil {
		return fmt.Errorf("reading the container's config: %w", err)
	}
	var spec specs.Spec
	if err := json.Unmarshal(data, &spec); err != nil {
		return fmt.Errorf("reading the container's config: %w", err)
	}
	if spec.Linux.Resources == nil {
		spec.Linux.Resources = &specs.LinuxResources{}
	}
	old := spec.Linux.Resources.Memory
	hadSwap := old != nil && old.Swap != nil && *old.Swap > 0
	// Decoding over the old values keeps what the update does not name.
	merged := spec.Linux.Resources
	if err := json.Unmarshal(update, merged); err != nil {
		return err
	}
	if m := r.Memory; m != nil && m.Limit != nil && *m.Limit == -1 && m.Swap == nil && hadSwap {
		// As runc: no memory limit means no swap limit either, which
		// cgroup v1 wants raised first (memory <= memory+swap).
		unlimited := int64(-1)
		m.Swap, merged.Memory.Swap = &unlimited, &unlimited
	}
	if err := validateResources(merged); err != nil {
		return err
	}
	if m := r.Memory; m != nil {
		if m.Swap != nil && m.Limit == nil && merged.Memory.Limit != nil {
			// cgroup2's swap limit is the difference with the memory limit.
			m.Limit = merged.Memory.Limit
		}
		if (m.Limit != nil || m.Swap != nil) && merged.Memory.CheckBeforeUpdate != nil && *merged.Memory.CheckBeforeUpdate {
			if err := checkMemoryUsage(c.cgroups(), m.Limit, m.Swap); err != nil {
				return err
			}
		}
	}
	apply := &r
	if c.State.Systemd != nil {
		var dropped bool
		if apply, dropped = cgroups.IdleOverWeight(apply); dropped {
			c.warn(errors.New("unable to apply both CPUWeight and CpuIdle to systemd, ignoring CPUWeight"))
		}
	}
	if err := c.cgroups().Update(apply); err != nil {
		return err
	}
	out, err := json.Marshal(&spec)
	if err != nil {
		return err
	}
	return writeFileAtomic(path, out, 0o600)
}

// checkMemoryUsage refuses a memory limit, or a memory+swap one, below
// what the container uses (linux.resources.memory.checkBeforeUpdate), in
// runc's words.
func checkMemoryUsage(cg cgroups.Manager, limit, swap *int64) error {
	mem, withSwap, err := cg.MemoryUsage()
	if err != nil {
		return fmt.Errorf("linux.resources.memory.checkBeforeUpdate: %w", err)
	}
	// As runc: with a swap limit, only memory+swap is checked.
	if swap != nil && *swap > 0 {
		if *swap <= withSwap {
			return fmt.Errorf("linux.resources.memory.swap: rejecting memory+swap limit %d below current usage %d", *swap, withSwap)
		}
		return nil
	}
	if limit != nil && *limit > 0 && *limit <= mem {
		return fmt.Errorf("linux.resources.memory.limit: rejecting memory limit %d below current usage %d", *limit, mem)
	}
	return nil
}
