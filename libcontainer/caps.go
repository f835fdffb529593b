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

// UnsupportedCaps says which capabilities of pc cannot be given, and why:
// those this kernel does not have, as runc skips them, and those not in
// runo's own bounding set (where runc would fail: docker --privileged on a
// host without CAP_SYS_RESOURCE). Both are skipped.
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
			c, ok := capByName(name)
			if !ok || seen[name] {
				continue
			}
			switch {
			case c > last:
				out = append(out, name+" is unknown to this kernel")
			case !inBounding(c):
				out = append(out, name+" is not in runo's bounding set")
			default:
				continue
			}
			seen[name] = true
		}
	}
	return out
}

// inBounding says c is in the calling thread's bounding set (asked of the
// kernel: /proc may not be procfs where init runs).
func inBounding(c capability.Cap) bool {
	in, err := unix.PrctlRetInt(unix.PR_CAPBSET_READ, uintptr(c), 0, 0, 0)
	return err == nil && in == 1
}
