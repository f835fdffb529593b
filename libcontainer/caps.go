package libcontainer

import (
	"slices"
	"strings"
	"sync"

	"github.com/moby/sys/capability"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// capByName maps "CAP_CHOWN" and the like to the capability.
func capByName(name string) (capability.Cap, bool) {
	c, ok := capNames()[name]
	return c, ok
}

// capNames is built once: a spec names each capability in up to five sets.
var capNames = sync.OnceValue(func() map[string]capability.Cap {
	known := capability.ListKnown()
	m := make(map[string]capability.Cap, len(known))
	for _, c := range known {
		m["CAP_"+strings.ToUpper(c.String())] = c
	}
	return m
})

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

// UnsupportedCaps says which capabilities of pc cannot be given, and why.
// The runtime-spec says a runtime SHOULD NOT fail for them, and runc
// does not: each is skipped with this warning. They are names this build
// does not know, capabilities this kernel does not have, those not in
// runo's own bounding set (docker --privileged on a host without
// CAP_SYS_RESOURCE), and ambient ones that are not also inheritable and
// permitted, which the kernel refuses to raise (every `runc spec` of runc
// 1.1 asks for those).
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
			if seen[name] {
				continue
			}
			c, ok := capByName(name)
			switch {
			case !ok:
				out = append(out, name+" is unknown")
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
	for _, name := range pc.Ambient {
		if !seen[name] && !ambientAllowed(pc, name) {
			out = append(out, "can't raise ambient capability "+name+": it is not inheritable and permitted")
		}
	}
	return out
}

// ambientAllowed says the ambient capability name may be raised: the
// kernel wants it in the permitted and inheritable sets too.
func ambientAllowed(pc *specs.LinuxCapabilities, name string) bool {
	return slices.Contains(pc.Inheritable, name) && slices.Contains(pc.Permitted, name)
}

// inBounding says c is in the calling thread's bounding set (asked of the
// kernel: /proc may not be procfs where init runs).
func inBounding(c capability.Cap) bool {
	in, err := unix.PrctlRetInt(unix.PR_CAPBSET_READ, uintptr(c), 0, 0, 0)
	return err == nil && in == 1
}
