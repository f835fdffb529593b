package cgroups

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
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
	limit, low, quota, pids := int64(1<<20), int64(1<<19), int64(-1), int64(-1)
	shares, period := uint64(1024), uint64(50000)
	r := &specs.LinuxResources{
		Memory: &specs.LinuxMemory{Limit: &limit, Reservation: &low},
		CPU:    &specs.LinuxCPU{Shares: &shares, Quota: &quota, Period: &period, Cpus: "0-1"},
		Pids:   &specs.LinuxPids{Limit: &pids},
	}
	if err := writeSettings(map[string]string{Unified: dir}, resourceSettings(r), true); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"memory.max": "1048576", "memory.low": "524288", "cpu.weight": "100",
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
	err := writeSettings(map[string]string{Unified: dir}, resourceSettings(r), true)
	if err == nil || !strings.Contains(err.Error(), "linux.resources.memory.swap") {
		t.Errorf("swap on v2 only: %v, want an error naming linux.resources.memory.swap", err)
	}
}

func TestSharesToWeight(t *testing.T) {
	for shares, want := range map[uint64]uint64{0: 0, 2: 1, 100: 17, 1024: 100, 2048: 174, 262144: 10000, 300000: 10000} {
		if got := sharesToWeight(shares); got != want {
			t.Errorf("sharesToWeight(%d) = %d, want %d", shares, got, want)
		}
	}
}

// TestResourcesV2More checks the cgroup2 forms of the other resources.
func TestResourcesV2More(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"memory.max", "memory.swap.max", "cpu.max.burst", "cpu.idle", "io.weight", "io.max",
		"hugetlb.2MB.max", "rdma.max", "memory.high"} {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	limit, swap, idle := int64(1<<20), int64(3<<20), int64(1)
	burst, weight := uint64(1000), uint16(500)
	handles := uint32(2)
	r := &specs.LinuxResources{
		Memory:         &specs.LinuxMemory{Limit: &limit, Swap: &swap},
		CPU:            &specs.LinuxCPU{Burst: &burst, Idle: &idle},
		BlockIO:        &specs.LinuxBlockIO{Weight: &weight, ThrottleReadBpsDevice: []specs.LinuxThrottleDevice{{Rate: 1048576}}},
		HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 4194304}},
		Rdma:           map[string]specs.LinuxRdma{"mlx5_0": {HcaHandles: &handles}},
		Unified:        map[string]string{"memory.high": "2097152"},
	}
	r.BlockIO.ThrottleReadBpsDevice[0].Major, r.BlockIO.ThrottleReadBpsDevice[0].Minor = 8, 0
	if err := writeSettings(map[string]string{Unified: dir}, resourceSettings(r), true); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"memory.max": "1048576", "memory.swap.max": "2097152", "cpu.max.burst": "1000", "cpu.idle": "1",
		"io.weight": "default 4950", "io.max": "8:0 rbps=1048576", "hugetlb.2MB.max": "4194304",
		"rdma.max": "mlx5_0 hca_handle=2", "memory.high": "2097152",
	}
	for f, w := range want {
		b, _ := os.ReadFile(filepath.Join(dir, f))
		if strings.TrimSpace(string(b)) != w {
			t.Errorf("%s = %q, want %q", f, b, w)
		}
	}
}

// TestResourcesV1Formats writes the v1 controllers this host lacks
// (net_cls, net_prio, rdma, hugetlb) to files made on temp dirs.
func TestResourcesV1Formats(t *testing.T) {
	net, rdma, huge := t.TempDir(), t.TempDir(), t.TempDir()
	for dir, files := range map[string][]string{
		net:  {"net_cls.classid", "net_prio.ifpriomap"},
		rdma: {"rdma.max"},
		huge: {"hugetlb.1GB.limit_in_bytes"},
	} {
		for _, f := range files {
			if err := os.WriteFile(filepath.Join(dir, f), nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	class, objects := uint32(0x100001), uint32(100)
	r := &specs.LinuxResources{
		Network:        &specs.LinuxNetwork{ClassID: &class, Priorities: []specs.LinuxInterfacePriority{{Name: "eth0", Priority: 5}}},
		Rdma:           map[string]specs.LinuxRdma{"mlx4_0": {HcaObjects: &objects}},
		HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "1GB", Limit: 1 << 30}},
	}
	paths := map[string]string{"net_cls,net_prio": net, "rdma": rdma, "hugetlb": huge}
	if err := writeSettings(paths, resourceSettings(r), true); err != nil {
		t.Fatal(err)
	}
	for file, want := range map[string]string{
		filepath.Join(net, "net_cls.classid"): "1048577", filepath.Join(net, "net_prio.ifpriomap"): "eth0 5",
		filepath.Join(rdma, "rdma.max"): "mlx4_0 hca_object=100", filepath.Join(huge, "hugetlb.1GB.limit_in_bytes"): "1073741824",
	} {
		b, _ := os.ReadFile(file)
		if strings.TrimSpace(string(b)) != want {
			t.Errorf("%s = %q, want %q", file, b, want)
		}
	}
}

// TestUpdateIsAllOrNothing: when a later write fails, the files written
// before it get their old values back.
func TestUpdateIsAllOrNothing(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "memory.max"), []byte("max\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	limit := int64(100 << 20)
	r := &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: &limit}, CPU: &specs.LinuxCPU{Cpus: "999"}}
	if err := writeSettings(map[string]string{Unified: dir}, resourceSettings(r), true); err == nil {
		t.Fatal("no cpuset.cpus file, yet the update succeeded")
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "memory.max")); string(b) != "max" {
		t.Fatalf("memory.max is %q after the failed update, want max", b)
	}
}
