package libcontainer

import (
	"os"
	"reflect"
	"slices"

	"github.com/moby/sys/user"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// HostUID is the uid the host knows runo's euid as: the euid itself, or,
// inside a user namespace (podman's rootless one), the id its uid_map maps
// it to. Checks of delegation and D-Bus's credentials are in the host's
// terms.
func HostUID() int {
	euid := os.Geteuid()
	maps, err := user.ParseIDMapFile("/proc/self/uid_map")
	if err != nil {
		return euid
	}
	for _, m := range maps {
		if int64(euid) >= m.ID && int64(euid) < m.ID+m.Count {
			return int(m.ParentID + int64(euid) - m.ID)
		}
	}
	return euid
}

// limitsAsked names the groups of r that set a limit, devices aside: a
// rootless runo cannot apply those outside a delegated cgroup.
func limitsAsked(r *specs.LinuxResources) []string {
	if r == nil {
		return nil
	}
	var asked []string
	for name, set := range map[string]bool{
		"memory": r.Memory != nil && !reflect.ValueOf(*r.Memory).IsZero(), "cpu": r.CPU != nil && !reflect.ValueOf(*r.CPU).IsZero(),
		"pids": r.Pids != nil && !reflect.ValueOf(*r.Pids).IsZero(), "blockIO": r.BlockIO != nil && !reflect.ValueOf(*r.BlockIO).IsZero(),
		"hugepageLimits": len(r.HugepageLimits) > 0, "network": r.Network != nil && !reflect.ValueOf(*r.Network).IsZero(),
		"rdma": len(r.Rdma) > 0, "unified": len(r.Unified) > 0,
	} {
		if set {
			asked = append(asked, name)
		}
	}
	slices.Sort(asked)
	return asked
}
