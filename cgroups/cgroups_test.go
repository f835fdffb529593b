package cgroups

import (
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestV1Key(t *testing.T) {
	cases := map[string]string{
		"rw,cpu":                      "cpu",
		"rw,cpu,cpuacct":              "cpu,cpuacct",
		"rw,name=systemd":             "name=systemd",
		"rw,xattr,name=systemd":       "name=systemd",
		"ro,clone_children,cpuset":    "cpuset",
		"rw,release_agent=/x,freezer": "freezer",
	}
	for in, want := range cases {
		if got := v1Key(in); got != want {
			t.Errorf("v1Key(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAbsolutePaths(t *testing.T) {
	l := &Layout{Hierarchies: []Hierarchy{
		{Key: "pids", Mountpoint: "/sys/fs/cgroup/pids", Root: "/"},
		{Key: Unified, Mountpoint: "/sys/fs/cgroup/unified", Root: "/"},
		// A mount that shows only part of the hierarchy, as inside a container.
		{Key: "memory", Mountpoint: "/sys/fs/cgroup/memory", Root: "/pod"},
	}}
	got, err := l.Paths("/pod/c1", "ignored")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"pids": "/sys/fs/cgroup/pids/pod/c1", Unified: "/sys/fs/cgroup/unified/pod/c1", "memory": "/sys/fs/cgroup/memory/c1",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Paths = %v, want %v", got, want)
	}
	if _, err := l.Paths("/other/c1", "x"); err == nil || !strings.Contains(err.Error(), "outside the memory hierarchy") {
		t.Errorf("a path outside a mount's root: %v", err)
	}
	if _, err := l.Paths("/", "x"); err == nil {
		t.Error("the root cgroup was accepted")
	}
}

func TestCreateMissingAndDestroy(t *testing.T) {
	base := t.TempDir()
	paths := map[string]string{"a": filepath.Join(base, "x/y/c"), "b": filepath.Join(base, "c")}
	dirs := Missing(paths)
	want := []string{filepath.Join(base, "c"), filepath.Join(base, "x"), filepath.Join(base, "x/y"), filepath.Join(base, "x/y/c")}
	if !reflect.DeepEqual(dirs, want) {
		t.Fatalf("Missing = %v, want %v", dirs, want)
	}
	if err := create(paths, dirs); err != nil {
		t.Fatal(err)
	}
	if err := destroy(dirs); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(base); len(entries) != 0 {
		t.Errorf("left %v", entries)
	}
	// Destroying what is already gone is not an error.
	if err := destroy(dirs); err != nil {
		t.Errorf("second Destroy: %v", err)
	}
}

func TestPidsAndFrozen(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte("12\n34\n"), 0o644)
	pids, err := pids(map[string]string{"pids": dir})
	if err != nil || !reflect.DeepEqual(pids, []int{12, 34}) {
		t.Errorf("Pids = %v, %v", pids, err)
	}
	os.WriteFile(filepath.Join(dir, "freezer.state"), []byte("FROZEN\n"), 0o644)
	if !frozen(map[string]string{"freezer": dir}) {
		t.Error("v1 FROZEN not seen")
	}
	os.WriteFile(filepath.Join(dir, "cgroup.freeze"), []byte("1\n"), 0o644)
	if !frozen(map[string]string{Unified: dir}) {
		t.Error("v2 cgroup.freeze 1 not seen")
	}
	if frozen(map[string]string{Unified: dir, "pids": dir}) {
		t.Error("a hybrid host's unified freeze file decided the state")
	}
}

func TestDetectLayoutOnThisHost(t *testing.T) {
	l, err := DetectLayout()
	if err != nil {
		t.Skip(err)
	}
	seen := map[string]bool{}
	for _, h := range l.Hierarchies {
		if seen[h.Key] || h.Key == "" {
			t.Errorf("hierarchy key %q repeated or empty", h.Key)
		}
		seen[h.Key] = true
	}
}

// TestFSManagerV2 drives the Manager on a cgroup2 sub-tree this test makes
// (the hybrid host's unified mount): create, move a process in, list, freeze
// and thaw through cgroup.freeze, kill through cgroup.kill, destroy.
func TestFSManagerV2(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	root := "/sys/fs/cgroup/unified"
	if _, err := os.Stat(filepath.Join(root, "cgroup.procs")); err != nil {
		root = "/sys/fs/cgroup"
	}
	dir := filepath.Join(root, fmt.Sprintf("runo-manager-test-%d", os.Getpid()))
	paths := map[string]string{Unified: dir}
	var m Manager = NewFS(paths, Missing(paths))
	if err := m.Create(); err != nil {
		t.Skip(err)
	}
	defer os.Remove(dir)
	cmd := exec.Command("sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()
	if err := os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(strconv.Itoa(cmd.Process.Pid)), 0); err != nil {
		t.Fatal(err)
	}
	pids, err := m.Pids()
	if err != nil || len(pids) != 1 || pids[0] != cmd.Process.Pid {
		t.Fatalf("Pids = %v, %v; want [%d]", pids, err, cmd.Process.Pid)
	}
	if _, err := os.Stat(filepath.Join(dir, "cgroup.freeze")); err == nil {
		if err := m.Freeze(true); err != nil || !m.Frozen() {
			t.Fatalf("Freeze(true): %v, Frozen %v", err, m.Frozen())
		}
		if err := m.Freeze(false); err != nil || m.Frozen() {
			t.Fatalf("Freeze(false): %v, Frozen %v", err, m.Frozen())
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "cgroup.kill")); err == nil {
		if err := m.Kill(); err != nil {
			t.Fatal(err)
		}
		if err := cmd.Wait(); err == nil || !strings.Contains(err.Error(), "killed") {
			t.Fatalf("after Kill, the process ended with %v, not killed", err)
		}
	}
	cmd.Process.Kill()
	cmd.Wait()
	if err := m.Destroy(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("%s left after Destroy: %v", dir, err)
	}
}

// TestDeviceFilterV2 attaches the eBPF device filter to a cgroup2 sub-tree
// this test makes and opens devices from a process born in it.
func TestDeviceFilterV2(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	root := "/sys/fs/cgroup/unified"
	if _, err := os.Stat(filepath.Join(root, "cgroup.procs")); err != nil {
		root = "/sys/fs/cgroup"
	}
	dir := filepath.Join(root, fmt.Sprintf("runo-devices-test-%d", os.Getpid()))
	paths := map[string]string{Unified: dir}
	m := NewFS(paths, Missing(paths))
	if err := m.Create(); err != nil {
		t.Skip(err)
	}
	defer m.Destroy()
	one, eleven := int64(1), int64(11)
	rules := []specs.LinuxDeviceCgroup{
		{Allow: false, Access: "rwm"},
		// /dev/kmsg, for reading only.
		{Allow: true, Type: "c", Major: &one, Minor: &eleven, Access: "r"},
	}
	if err := m.Set(&specs.LinuxResources{Devices: rules}, true); err != nil {
		t.Fatal(err)
	}
	cg, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer cg.Close()
	try := func(redir string) string {
		cmd := exec.Command("sh", "-c", "exec 3"+redir+" && echo ok")
		cmd.SysProcAttr = &syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: int(cg.Fd())}
		out, _ := cmd.CombinedOutput()
		return string(out)
	}
	for redir, want := range map[string]bool{
		"</dev/kmsg": true, ">/dev/kmsg": false, "</dev/mem": false, ">/dev/null": true, "</dev/zero": true,
	} {
		out := try(redir)
		if got := strings.HasSuffix(out, "ok\n"); got != want {
			t.Errorf("exec 3%s: %q, want allowed %v", redir, out, want)
		}
	}
}

func TestCreateFillsEmptyCpusets(t *testing.T) {
	// A fake v1 cpuset hierarchy: the root has cpus and mems, a pod
	// cgroup made by someone else has none, the container's is new.
	root := t.TempDir()
	pod := filepath.Join(root, "pod")
	leaf := filepath.Join(pod, "ctr")
	for _, d := range []string{root, pod, leaf} {
		os.MkdirAll(d, 0o755)
		for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
			os.WriteFile(filepath.Join(d, f), nil, 0o644)
		}
	}
	os.WriteFile(filepath.Join(root, "cpuset.cpus"), []byte("0-1\n"), 0o644)
	os.WriteFile(filepath.Join(root, "cpuset.mems"), []byte("0\n"), 0o644)
	if err := create(map[string]string{"cpuset": leaf}, nil); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{pod, leaf} {
		if b, _ := os.ReadFile(filepath.Join(d, "cpuset.cpus")); strings.TrimSpace(string(b)) != "0-1" {
			t.Errorf("%s cpuset.cpus = %q", d, b)
		}
		if b, _ := os.ReadFile(filepath.Join(d, "cpuset.mems")); strings.TrimSpace(string(b)) != "0" {
			t.Errorf("%s cpuset.mems = %q", d, b)
		}
	}
}

func TestParseSystemdPath(t *testing.T) {
	for _, tc := range []struct{ path, unit, slice, dir, err string }{
		{"", "runo-ct.scope", "system.slice", "/sys/fs/cgroup/system.slice/runo-ct.scope", ""},
		{"kubepods-besteffort-pod1.slice:cri-containerd:abc", "cri-containerd-abc.scope", "kubepods-besteffort-pod1.slice",
			"/sys/fs/cgroup/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1.slice/cri-containerd-abc.scope", ""},
		{":libpod:x", "libpod-x.scope", "system.slice", "/sys/fs/cgroup/system.slice/libpod-x.scope", ""},
		{"-.slice::y.scope", "y.scope", "-.slice", "/sys/fs/cgroup/y.scope", ""},
		{"/a/b", "", "", "", "slice:prefix:name"},
		{"a:b:c", "", "", "", "not a slice"},
		{"a-.slice:b:c", "", "", "", "bad slice name"},
		{"a.slice:b:c.slice", "", "", "", "a scope, not a slice"},
	} {
		u, err := ParseSystemdPath(tc.path, "ct", "/sys/fs/cgroup", "system.slice")
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: error %v, want %q", tc.path, err, tc.err)
			}
			continue
		}
		if err != nil || u.Unit != tc.unit || u.Slice != tc.slice || u.Dir != tc.dir {
			t.Errorf("%q: %+v, %v", tc.path, u, err)
		}
	}
}

func TestSystemdProperties(t *testing.T) {
	limit, quota, period, shares, pids := int64(1<<26), int64(33333), uint64(100000), uint64(1024), int64(0)
	props, err := systemdProperties(&specs.LinuxResources{
		Memory: &specs.LinuxMemory{Limit: &limit},
		CPU:    &specs.LinuxCPU{Quota: &quota, Period: &period, Shares: &shares, Cpus: "0-2,9"},
		Pids:   &specs.LinuxPids{Limit: &pids},
	})
	got := map[string]any{}
	for _, p := range props {
		got[p.Name] = p.Value.Value()
	}
	want := map[string]any{"MemoryMax": uint64(1 << 26), "CPUQuotaPerSecUSec": uint64(340000), "CPUQuotaPeriodUSec": uint64(100000),
		"CPUWeight": uint64(100), "AllowedCPUs": []byte{0x07, 0x02}, "TasksMax": uint64(1)}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("properties %v (%v), want %v", got, err, want)
	}
	// The unified keys systemd has properties for win over the rest; a
	// period alone is no quota; idle and shares cannot both be.
	idle := int64(1)
	props, err = systemdProperties(&specs.LinuxResources{
		Memory:  &specs.LinuxMemory{Limit: &limit},
		CPU:     &specs.LinuxCPU{Period: &period},
		Unified: map[string]string{"memory.max": "max", "memory.min": "131072", "cpu.max": "10000 50000", "io.weight": "50"},
	})
	got = map[string]any{}
	for _, p := range props {
		got[p.Name] = p.Value.Value()
	}
	want = map[string]any{"MemoryMax": uint64(math.MaxUint64), "MemoryMin": uint64(131072), "CPUQuotaPerSecUSec": uint64(200000),
		"CPUQuotaPeriodUSec": uint64(50000)}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("unified: properties %v (%v), want %v", got, err, want)
	}
	both := &specs.LinuxResources{CPU: &specs.LinuxCPU{Shares: &shares, Idle: &idle}}
	kept, dropped := IdleOverWeight(both)
	if props, err := systemdProperties(both); err != nil || len(props) != 1 || props[0].Value.Value() != uint64(0) ||
		!dropped || kept.CPU.Shares != nil || *kept.CPU.Idle != 1 || both.CPU.Shares == nil {
		t.Errorf("shares and idle: %v %v", props, err)
	}
	// The same in the unified map: idle is weight 0, the weight dropped.
	both = &specs.LinuxResources{Unified: map[string]string{"cpu.idle": "1", "cpu.weight": "8"}}
	kept, dropped = IdleOverWeight(both)
	if props, err := systemdProperties(kept); err != nil || len(props) != 1 || props[0].Value.Value() != uint64(0) ||
		!dropped || len(kept.Unified) != 1 || len(both.Unified) != 2 {
		t.Errorf("unified idle and weight: %v %v %v", props, err, kept.Unified)
	}
	if _, dropped := IdleOverWeight(&specs.LinuxResources{Unified: map[string]string{"cpu.idle": "0", "cpu.weight": "8"}}); dropped {
		t.Error("a weight with cpu.idle 0 was dropped")
	}
	// The files get the quota systemd keeps: 504000 for 500000 per 900000.
	quota, period = 500000, 900000
	if got := roundQuota(&specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: &quota, Period: &period}}); *got.CPU.Quota != 504000 {
		t.Errorf("rounded quota %d", *got.CPU.Quota)
	}
}

// TestDeviceProperties: the rules applyDevices applies, in systemd's
// terms, as runc gives them.
func TestDeviceProperties(t *testing.T) {
	show := func(r *specs.LinuxResources) string {
		var out []string
		for _, p := range deviceProperties(r) {
			out = append(out, p.Name+"="+p.Value.String())
		}
		return strings.Join(out, " ")
	}
	got := show(nil)
	for _, want := range []string{`DevicePolicy="strict"`, `("char-*", "m",)`, `("block-*", "m",)`, `("/dev/char/1:3", "rwm",)`, `("/dev/char/5:2", "rwm",)`} {
		if !strings.Contains(got, want) {
			t.Errorf("default rules: %s lacks %s", got, want)
		}
	}
	major := int64(136)
	if names := procDevices(); names["char"][major] == "pts" && !strings.Contains(got, `("char-pts", "rwm",)`) {
		t.Errorf("default rules: %s lacks char-pts", got)
	}
	all := &specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Allow: true, Access: "rwm"}}}
	if got := show(all); got != `DevicePolicy="auto"` {
		t.Errorf("allow all: %s", got)
	}
	// A rule denied again after it was allowed is not allowed.
	one := int64(1)
	sda := []specs.LinuxDeviceCgroup{
		{Allow: true, Type: "b", Major: new(int64(8)), Minor: &one, Access: "rw"},
		{Allow: false, Type: "b", Major: new(int64(8)), Minor: &one, Access: "rw"},
	}
	if got := show(&specs.LinuxResources{Devices: sda}); strings.Contains(got, "/dev/block/8:1") {
		t.Errorf("denied again: %s", got)
	}
	sda = sda[:1]
	if got := show(&specs.LinuxResources{Devices: sda}); !strings.Contains(got, `("/dev/block/8:1", "rw",)`) {
		t.Errorf("allowed: %s", got)
	}
}

// TestAnnotatedProperties: org.systemd.property.* annotations become unit
// properties as runc reads them; bad ones are refused, naming them.
func TestAnnotatedProperties(t *testing.T) {
	got, err := AnnotatedProperties(map[string]string{
		"org.systemd.property.RuntimeMaxSec":   "2",
		"org.systemd.property.TimeoutStopUSec": "uint64 123",
		"org.systemd.property.CollectMode":     "'inactive-or-failed'",
		"other":                                "x",
	})
	if err != nil || len(got) != 3 {
		t.Fatalf("properties %v, %v", got, err)
	}
	want := map[string]any{"RuntimeMaxUSec": uint64(2000000), "TimeoutStopUSec": uint64(123), "CollectMode": "inactive-or-failed"}
	for name, text := range got {
		p, err := unitProperty(name, text)
		if err != nil || !reflect.DeepEqual(p.Value.Value(), want[p.Name]) {
			t.Errorf("%s=%s: %s %v (%v)", name, text, p.Name, p.Value, err)
		}
	}
	for _, bad := range []map[string]string{
		{"org.systemd.property.RuntimeMaxSec": "'two'"},
		{"org.systemd.property.RuntimeMaxSec": "-1"},
		{"org.systemd.property.CPUWeight": "[unclosed"},
		{"org.systemd.property.lower": "1"},
	} {
		if _, err := AnnotatedProperties(bad); err == nil || !strings.Contains(err.Error(), "annotations[\"org.systemd.property.") {
			t.Errorf("%v: %v", bad, err)
		}
	}
}
