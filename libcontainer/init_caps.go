package libcontainer

import (
	"fmt"

	"github.com/moby/sys/capability"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// processCaps are the capabilities init gives the process: the bounding
// set is dropped to before the user changes, the others set after it.
type processCaps struct {
	caps capability.Capabilities
}

func newProcessCaps(pc *specs.LinuxCapabilities) (*processCaps, error) {
	if pc == nil {
		return nil, nil
	}
	caps, err := capability.NewPid2(0)
	if err != nil {
		return nil, fmt.Errorf("process.capabilities: %w", err)
	}
	last, err := capability.LastCap()
	if err != nil {
		return nil, fmt.Errorf("process.capabilities: %w", err)
	}
	caps.Clear(capability.CAPS | capability.BOUNDS | capability.AMBS)
	for _, set := range capSets(pc) {
		for _, name := range set.names {
			// What init's bounding set lacks cannot be had: skipped (the
			// runtime warned).
			if set.kind == capability.AMBIENT && !ambientAllowed(pc, name) {
				continue
			}
			if c, ok := capByName(name); ok && c <= last && inBounding(c) {
				caps.Set(set.kind, c)
			}
		}
	}
	return &processCaps{caps: caps}, nil
}

// dropBounding limits the bounding set and keeps the permitted set across
// the change of user that follows.
func (p *processCaps) dropBounding() error {
	if err := p.caps.Apply(capability.BOUNDS); err != nil {
		return fmt.Errorf("process.capabilities.bounding: %w", err)
	}
	if err := unix.Prctl(unix.PR_SET_KEEPCAPS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("keeping capabilities across the user change: %w", err)
	}
	return nil
}

// apply sets the effective, permitted, inheritable and ambient sets. They
// belong to the thread, the one that executes the process.
func (p *processCaps) apply() error {
	if err := unix.Prctl(unix.PR_SET_KEEPCAPS, 0, 0, 0, 0); err != nil {
		return fmt.Errorf("process.capabilities: %w", err)
	}
	if err := p.caps.Apply(capability.CAPS | capability.AMBS); err != nil {
		return fmt.Errorf("process.capabilities: %w", err)
	}
	return nil
}
