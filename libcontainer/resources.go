package libcontainer

import (
	"fmt"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// isPageSize reports whether s is a hugetlb page size such as "2MB".
func isPageSize(s string) bool {
	n := strings.TrimRight(s, "KMGTB")
	return len(n) > 0 && len(s)-len(n) == 2 && strings.HasSuffix(s, "B") && strings.Trim(n, "0123456789") == ""
}

// isUnifiedKey reports whether key looks like a cgroup2 interface file:
// "controller.name", lower case, digits and underscores.
func isUnifiedKey(key string) bool {
	ctrl, rest, ok := strings.Cut(key, ".")
	return ok && ctrl != "" && rest != "" && !strings.Contains(key, "..") && !strings.HasSuffix(key, ".") &&
		strings.Trim(key, "abcdefghijklmnopqrstuvwxyz0123456789_.") == ""
}

// unifiedForbidden are cgroup2 files linux.resources.unified may not
// write: they move, kill or freeze processes, or change the tree.
var unifiedForbidden = map[string]bool{
	"cgroup.procs": true, "cgroup.threads": true, "cgroup.subtree_control": true,
	"cgroup.kill": true, "cgroup.freeze": true, "cgroup.type": true,
}

// validateResources checks what the kernel would not name clearly.
func validateResources(r *specs.LinuxResources) error {
	if r == nil {
		return nil
	}
	if m := r.Memory; m != nil && m.Limit != nil && m.Swap != nil && *m.Limit > 0 && *m.Swap > 0 && *m.Swap < *m.Limit {
		return fmt.Errorf("linux.resources.memory.swap: %d is below memory.limit %d (it limits memory and swap together)", *m.Swap, *m.Limit)
	}
	if c := r.CPU; c != nil && c.Idle != nil && *c.Idle != 0 && *c.Idle != 1 {
		return fmt.Errorf("linux.resources.cpu.idle: %d is neither 0 nor 1", *c.Idle)
	}
	if b := r.BlockIO; b != nil && b.Weight != nil && *b.Weight != 0 && (*b.Weight < 10 || *b.Weight > 1000) {
		return fmt.Errorf("linux.resources.blockIO.weight: %d is not in 10..1000", *b.Weight)
	}
	for i, h := range r.HugepageLimits {
		if !isPageSize(h.Pagesize) {
			return fmt.Errorf("linux.resources.hugepageLimits[%d].pageSize: %q is not a size such as 2MB", i, h.Pagesize)
		}
	}
	if n := r.Network; n != nil {
		for i, p := range n.Priorities {
			if p.Name == "" || strings.ContainsAny(p.Name, " \n/") {
				return fmt.Errorf("linux.resources.network.priorities[%d].name: %q is not an interface name", i, p.Name)
			}
		}
	}
	for dev := range r.Rdma {
		if dev == "" || strings.ContainsAny(dev, " \n/") {
			return fmt.Errorf("linux.resources.rdma: %q is not a device name", dev)
		}
	}
	for key := range r.Unified {
		if !isUnifiedKey(key) {
			return fmt.Errorf("linux.resources.unified: %q is not a cgroup2 file name", key)
		}
		if unifiedForbidden[key] {
			return fmt.Errorf("linux.resources.unified: %q may not be set", key)
		}
	}
	return nil
}
