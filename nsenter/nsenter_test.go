package nsenter

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
}

// runShell starts /bin/sh -c script through Start and waits for it.
func runShell(t *testing.T, c Config, script string) (int, error) {
	t.Helper()
	sh, err := os.Open("/bin/sh")
	if err != nil {
		t.Fatal(err)
	}
	defer sh.Close()
	c.Exe, c.Args, c.Env = sh, []string{"sh", "-c", script}, []string{"PATH=/usr/bin:/bin"}
	pid, err := Start(&c)
	if err != nil {
		return 0, err
	}
	var ws unix.WaitStatus
	if _, err := unix.Wait4(pid, &ws, 0, nil); err != nil {
		t.Fatal(err)
	}
	if ws.ExitStatus() != 0 {
		t.Fatalf("script exited with %v", ws)
	}
	return pid, nil
}

func readTrim(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

func TestNewNamespaces(t *testing.T) {
	needRoot(t)
	out := filepath.Join(t.TempDir(), "out")
	ns := []Namespace{{Type: "pid"}, {Type: "uts"}, {Type: "ipc"}, {Type: "network"}, {Type: "mount"}, {Type: "cgroup"}}
	if _, err := runShell(t, Config{Namespaces: ns}, `echo $$ $(readlink /proc/self/ns/uts /proc/self/ns/net) > `+out); err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(readTrim(t, out))
	if f[0] != "1" {
		t.Errorf("pid in new pid namespace = %s, want 1", f[0])
	}
	for i, name := range []string{"uts", "net"} {
		own, _ := os.Readlink("/proc/self/ns/" + name)
		if f[i+1] == own {
			t.Errorf("%s namespace was not new: %s", name, own)
		}
	}
}

func TestJoinNamespaceByPath(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	// A holder process in a new uts namespace to join.
	holder, err := runHolder(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := os.Readlink(fmt.Sprintf("/proc/%d/ns/uts", holder))
	out := filepath.Join(dir, "out")
	ns := []Namespace{{Type: "uts", Path: fmt.Sprintf("/proc/%d/ns/uts", holder)}}
	if _, err := runShell(t, Config{Namespaces: ns}, `readlink /proc/self/ns/uts > `+out); err != nil {
		t.Fatal(err)
	}
	if got := readTrim(t, out); got != want {
		t.Errorf("joined uts namespace %s, want %s", got, want)
	}
}

// runHolder starts a sleeping process in a new uts namespace.
func runHolder(t *testing.T, dir string) (int, error) {
	sh, err := os.Open("/bin/sh")
	if err != nil {
		return 0, err
	}
	defer sh.Close()
	pid, err := Start(&Config{Namespaces: []Namespace{{Type: "uts"}}, Exe: sh, Args: []string{"sh", "-c", "exec sleep 60"}})
	if err != nil {
		return 0, err
	}
	t.Cleanup(func() {
		unix.Kill(pid, unix.SIGKILL)
		reap(pid)
	})
	return pid, nil
}

func TestTimeOffsets(t *testing.T) {
	needRoot(t)
	out := filepath.Join(t.TempDir(), "out")
	c := Config{Namespaces: []Namespace{{Type: "time"}}, TimeOffsets: "monotonic 100000 0\nboottime 100000 0\n"}
	if _, err := runShell(t, c, `cut -d. -f1 /proc/uptime > `+out); err != nil {
		t.Fatal(err)
	}
	inside, _ := strconv.Atoi(readTrim(t, out))
	host, _ := strconv.Atoi(strings.Split(readTrim(t, "/proc/uptime"), ".")[0])
	if inside-host < 99990 {
		t.Errorf("uptime inside %d, host %d: boottime offset not applied", inside, host)
	}
}

func TestPlacedRunsBeforeNewNamespaces(t *testing.T) {
	needRoot(t)
	var placed int
	c := Config{Namespaces: []Namespace{{Type: "uts"}}, Placed: func(pid int) error {
		own, _ := os.Readlink("/proc/self/ns/uts")
		child, _ := os.Readlink(fmt.Sprintf("/proc/%d/ns/uts", pid))
		if own != child {
			return fmt.Errorf("child already in a new uts namespace")
		}
		placed = pid
		return nil
	}}
	pid, err := runShell(t, c, "true")
	if err != nil {
		t.Fatal(err)
	}
	if placed != pid {
		t.Errorf("Placed got pid %d, process is %d", placed, pid)
	}
}

func TestErrorsNameTheStep(t *testing.T) {
	needRoot(t)
	notNS := filepath.Join(t.TempDir(), "plain")
	os.WriteFile(notNS, nil, 0o644)
	cases := []struct {
		name string
		c    Config
		want string
	}{
		{"missing path", Config{Namespaces: []Namespace{{Type: "network", Path: "/nonexistent/ns"}}},
			"opening network namespace /nonexistent/ns: no such file or directory"},
		{"not a namespace", Config{Namespaces: []Namespace{{Type: "network", Path: notNS}}},
			"joining network namespace " + notNS + ": invalid argument"},
		{"wrong type", Config{Namespaces: []Namespace{{Type: "ipc", Path: "/proc/self/ns/net"}}},
			"joining ipc namespace /proc/self/ns/net: invalid argument"},
		{"placement refused", Config{Placed: func(int) error { return fmt.Errorf("no cgroup for you") }},
			"no cgroup for you"},
		{"unknown type", Config{Namespaces: []Namespace{{Type: "bogus"}}}, `unknown namespace type "bogus"`},
		// Born in its namespaces, the child borrows the caller's memory
		// (CLONE_VFORK): its failure comes back the same way.
		{"kept descriptor missing", Config{Namespaces: []Namespace{{Type: "uts"}}, KeepFds: []int{987}},
			"keeping file descriptor 987 open: bad file descriptor"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := runShell(t, tc.c, "true")
			if err == nil || err.Error() != tc.want {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
}

func TestExecFailureIsReported(t *testing.T) {
	needRoot(t)
	f, err := os.Open("/etc/hostname")
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	_, err = Start(&Config{Namespaces: []Namespace{{Type: "pid"}}, Exe: f, Args: []string{"x"}})
	if err == nil || !strings.HasPrefix(err.Error(), "executing /etc/hostname: ") {
		t.Fatalf("error %v, want an exec error naming the binary", err)
	}
	// Nothing is left to reap: both children were collected.
	if _, err := unix.Wait4(-1, nil, unix.WNOHANG, nil); err != unix.ECHILD {
		t.Errorf("a child was left behind: %v", err)
	}
}

// testCgroup makes a cgroup for one test in the first hierarchy mounted at
// one of dirs, or skips.
func testCgroup(t *testing.T, dirs ...string) string {
	t.Helper()
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "cgroup.procs")); err != nil {
			continue
		}
		cg := filepath.Join(d, fmt.Sprintf("runo-nsenter-test-%d", os.Getpid()))
		if err := os.Mkdir(cg, 0o755); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { unix.Rmdir(cg) })
		return cg
	}
	t.Skip("no such cgroup hierarchy mounted")
	return ""
}

func TestChildStartsInItsCgroups(t *testing.T) {
	needRoot(t)
	v1 := testCgroup(t, "/sys/fs/cgroup/freezer")
	v2 := testCgroup(t, "/sys/fs/cgroup/unified", "/sys/fs/cgroup")
	tasks, err := os.OpenFile(filepath.Join(v1, "tasks"), os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer tasks.Close()
	dir, err := os.Open(v2)
	if err != nil {
		t.Fatal(err)
	}
	defer dir.Close()
	out := filepath.Join(t.TempDir(), "cgroup")
	c := Config{Namespaces: []Namespace{{Type: "pid"}}, CgroupTasks: []*os.File{tasks}, Cgroup2: dir}
	if _, err := runShell(t, c, "cat /proc/self/cgroup > "+out); err != nil {
		t.Fatal(err)
	}
	got := readTrim(t, out)
	for _, want := range []string{":freezer:/" + filepath.Base(v1), "0::/" + filepath.Base(v2)} {
		if !strings.Contains(got, want+"\n") && !strings.HasSuffix(got, want) {
			t.Errorf("/proc/self/cgroup of the child:\n%s\nhas no line ending in %q", got, want)
		}
	}
}

func TestCgroupRefusalNamesTheCgroup(t *testing.T) {
	needRoot(t)
	// A v1 cpuset cgroup with no cpus refuses every task.
	cg := testCgroup(t, "/sys/fs/cgroup/cpuset")
	tasks, err := os.OpenFile(filepath.Join(cg, "tasks"), os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer tasks.Close()
	_, err = runShell(t, Config{CgroupTasks: []*os.File{tasks}}, "true")
	want := "joining cgroup " + cg + ": no space left on device"
	if err == nil || err.Error() != want {
		t.Fatalf("error %v, want %q", err, want)
	}
}
