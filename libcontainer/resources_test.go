package libcontainer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/runo-runtime/runo/cgroups"
)

// TestResourcesV2 writes resources to a cgroup2-like directory (files made
// on a temp dir) and checks the v2 formats and conversions.
func TestResourcesV2(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"memory.max", "memory.low", "cpu.weight", "cpu.max", "cpuset.cpus", "pids.max"} {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	limit, low, quota, pids := int64(1<<20), int64(1<<19), int64(-1), int64(0)
	shares, period := uint64(1024), uint64(50000)
	r := &specs.LinuxResources{
		Memory: &specs.LinuxMemory{Limit: &limit, Reservation: &low},
		CPU:    &specs.LinuxCPU{Shares: &shares, Quota: &quota, Period: &period, Cpus: "0-1"},
		Pids:   &specs.LinuxPids{Limit: &pids},
	}
	if err := applyResources(map[string]string{cgroups.Unified: dir}, r); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"memory.max": "1048576", "memory.low": "524288", "cpu.weight": "39",
		"cpu.max": "max 50000", "cpuset.cpus": "0-1", "pids.max": "max",
	}
	for f, w := range want {
		b, _ := os.ReadFile(filepath.Join(dir, f))
		if strings.TrimSpace(string(b)) != w {
			t.Errorf("%s = %q, want %q", f, b, w)
		}
	}
	swap := int64(1 << 21)
	r = &specs.LinuxResources{Memory: &specs.LinuxMemory{Swap: &swap}}
	err := applyResources(map[string]string{cgroups.Unified: dir}, r)
	if err == nil || !strings.Contains(err.Error(), "linux.resources.memory.swap") {
		t.Errorf("swap on v2 only: %v, want an error naming linux.resources.memory.swap", err)
	}
}

func TestSharesToWeight(t *testing.T) {
	for shares, want := range map[uint64]uint64{2: 1, 1024: 39, 262144: 10000} {
		if got := sharesToWeight(shares); got != want {
			t.Errorf("sharesToWeight(%d) = %d, want %d", shares, got, want)
		}
	}
}
