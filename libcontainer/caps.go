package libcontainer

import (
	"fmt"
	"strings"

	"github.com/moby/sys/capability"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// capByName maps "CAP_CHOWN" and the like to the capability.
func capByName(name string) (capability.Cap, bool) {
	for _, c := range capability.ListKnown() {
		if "CAP_"+strings.ToUpper(c.String()) == name {
			return c, true
		}
	}
	return 0, false
}

// capSets are process.capabilities by set, in config.json's order.
func capSets(pc *specs.LinuxCapabilities) []struct {
	field string
	kind  capability.CapType
	names []string
} {
	return []struct {
		field string
		kind  capability.CapType
		names []string
	}{
		{"bounding", capability.BOUNDING, pc.Bounding}, {"effective", capability.EFFECTIVE, pc.Effective},
		{"inheritable", capability.INHERITABLE, pc.Inheritable}, {"permitted", capability.PERMITTED, pc.Permitted},
		{"ambient", capability.AMBIENT, pc.Ambient},
	}
}

// validateCaps refuses capability names nobody knows.
func validateCaps(pc *specs.LinuxCapabilities) error {
	if pc == nil {
		return nil
	}
	for _, set := range capSets(pc) {
		for i, name := range set.names {
			if _, ok := capByName(name); !ok {
				return fmt.Errorf("process.capabilities.%s[%d]: unknown capability %q", set.field, i, name)
			}
		}
	}
	return nil
}

// UnsupportedCaps lists the capabilities of pc this kernel does not have;
// they are skipped, as runc skips them.
func UnsupportedCaps(pc *specs.LinuxCapabilities) []string {
	if pc == nil {
		return nil
	}
	last, err := capability.LastCap()
	if err != nil {
		return nil
	}
	seen := map[string]bool{}
	var out []string
	for _, set := range capSets(pc) {
		for _, name := range set.names {
			if c, ok := capByName(name); ok && c > last && !seen[name] {
				seen[name] = true
				out = append(out, name)
			}
		}
	}
	return out
}

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
			if c, ok := capByName(name); ok && c <= last {
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
