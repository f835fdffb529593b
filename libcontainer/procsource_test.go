package libcontainer

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

func TestCheckProcSource(t *testing.T) {
	dir := t.TempDir()
	os.Symlink("/proc/self", filepath.Join(dir, "self"))
	rel, _ := filepath.Rel(dir, "/proc")
	os.Symlink(rel, filepath.Join(dir, "rel"))
	me, parent := strconv.Itoa(os.Getpid()), os.Getppid()
	for _, c := range []struct {
		src     string
		pids    []int
		refused bool
	}{
		{"/proc/self/fd/3", nil, true},
		{"/proc/thread-self/fd", nil, true},
		{"/proc/" + me + "/root", nil, true},
		{"/proc/" + me + "/task/" + me + "/fd", nil, true},
		{"/proc/./self/", nil, true},
		{"/proc/1/../self/fd", nil, true},
		{dir + "/self/fd/0", nil, true},
		{dir + "/rel/self", nil, true},
		{"/proc/" + strconv.Itoa(parent) + "/fd", []int{parent}, true},
		{"/proc/" + strconv.Itoa(parent) + "/fd", nil, false},
		{"/proc/cpuinfo", nil, false},
		{"/proc/1/comm", nil, false},
		{"/etc/hostname", nil, false},
		{dir + "/missing/self", nil, false},
	} {
		err := checkProcSource(c.src, c.pids...)
		if (err != nil) != c.refused {
			t.Errorf("%s (pids %v): %v, want refused %v", c.src, c.pids, err, c.refused)
		}
	}
}
