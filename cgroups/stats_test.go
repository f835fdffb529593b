package cgroups

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func write(t *testing.T, dir, file, data string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, file), []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestStatsV2 reads the cgroup2 file formats, made on a temp dir.
func TestStatsV2(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "cpu.stat", "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 10\nnr_throttled 2\nthrottled_usec 7\n")
	write(t, dir, "memory.current", "4096\n")
	write(t, dir, "memory.max", "max\n")
	write(t, dir, "memory.peak", "8192\n")
	write(t, dir, "memory.events", "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n")
	write(t, dir, "memory.stat", "anon 100\nfile 200\n")
	write(t, dir, "pids.current", "3\n")
	write(t, dir, "pids.max", "10\n")
	write(t, dir, "io.stat", "8:0 rbytes=100 wbytes=200 rios=1 wios=2 dbytes=0 dios=0\n")
	write(t, dir, "hugetlb.2MB.current", "0\n")
	write(t, dir, "hugetlb.2MB.max", "4194304\n")
	write(t, dir, "hugetlb.2MB.events", "max 5\n")
	st := getStats(map[string]string{Unified: dir})
	if u := st.CPU.Usage; u.Total != 1500000 || u.User != 1000000 || u.Kernel != 500000 {
		t.Errorf("cpu usage %+v", u)
	}
	if th := st.CPU.Throttling; th != (Throttling{10, 2, 7000}) {
		t.Errorf("throttling %+v", th)
	}
	if m := st.Memory; m.Usage != (MemoryEntry{Limit: maxUint, Usage: 4096, Max: 8192, Failcnt: 3}) || m.Cache != 200 || m.Raw["anon"] != 100 {
		t.Errorf("memory %+v", m)
	}
	if st.Pids != (PidsStats{3, 10}) {
		t.Errorf("pids %+v", st.Pids)
	}
	if b := st.Blkio.IoServiceBytesRecursive; len(b) != 2 || b[0] != (BlkioEntry{8, 0, "Read", 100}) || b[1] != (BlkioEntry{8, 0, "Write", 200}) {
		t.Errorf("io bytes %+v", b)
	}
	if h := st.Hugetlb["2MB"]; h != (Hugetlb{Usage: 0, Max: 4194304, Failcnt: 5}) || len(st.Hugetlb) != 1 {
		t.Errorf("hugetlb %+v", st.Hugetlb)
	}
}

// TestNotifyOOMV2 watches a memory.events file on a temp dir: a grown
// oom_kill count is an event, other changes are not, removal ends it.
func TestNotifyOOMV2(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "memory.events", "oom 0\noom_kill 0\n")
	ch, err := notifyOOM(map[string]string{Unified: dir})
	if err != nil {
		t.Fatal(err)
	}
	// Rewritten in place, as the kernel's file changes: never empty.
	f, err := os.OpenFile(filepath.Join(dir, "memory.events"), os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteAt([]byte("oom 1\noom_kill 0\n"), 0)
	f.WriteAt([]byte("oom 1\noom_kill 1\n"), 0)
	f.Close()
	select {
	case <-ch:
	case <-time.After(2 * time.Second):
		t.Fatal("no event for oom_kill 1")
	}
	select {
	case _, ok := <-ch:
		if ok {
			t.Fatal("an event without a new OOM kill")
		}
	case <-time.After(100 * time.Millisecond):
	}
	os.Remove(filepath.Join(dir, "memory.events"))
	select {
	case _, ok := <-ch:
		if ok {
			t.Fatal("an event on removal")
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the channel stays open after removal")
	}
}
