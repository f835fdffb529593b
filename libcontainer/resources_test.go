package libcontainer

import (
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestValidateResources(t *testing.T) {
	limit, swap, idle := int64(2<<20), int64(1<<20), int64(2)
	weight := uint16(5)
	for _, tc := range []struct {
		r    specs.LinuxResources
		want string
	}{
		{specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: &limit, Swap: &swap}}, "linux.resources.memory.swap: 1048576 is below memory.limit"},
		{specs.LinuxResources{CPU: &specs.LinuxCPU{Idle: &idle}}, "linux.resources.cpu.idle: 2 is neither 0 nor 1"},
		{specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{Weight: &weight}}, "linux.resources.blockIO.weight: 5 is not in 10..1000"},
		{specs.LinuxResources{HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2M"}}}, `hugepageLimits[0].pageSize: "2M" is not a size`},
		{specs.LinuxResources{Unified: map[string]string{"cgroup.procs": "1"}}, `"cgroup.procs" may not be set`},
		{specs.LinuxResources{Unified: map[string]string{"../x": "1"}}, `"../x" is not a cgroup2 file name`},
		{specs.LinuxResources{Unified: map[string]string{"memory": "1"}}, `"memory" is not a cgroup2 file name`},
	} {
		err := validateResources(&tc.r)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("validateResources = %v, want %q", err, tc.want)
		}
	}
}
