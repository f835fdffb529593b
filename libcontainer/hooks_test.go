package libcontainer

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func shHook(script string, timeout int) specs.Hook {
	h := specs.Hook{Path: "/bin/sh", Args: []string{"sh", "-c", script}}
	if timeout > 0 {
		h.Timeout = &timeout
	}
	return h
}

func TestHookEnvironmentIsTheConfigs(t *testing.T) {
	t.Setenv("RUNO_SECRET", "leaked")
	out := filepath.Join(t.TempDir(), "env")
	if err := runHook(shHook("env > "+out, 0), nil, "/"); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(out)
	if strings.Contains(string(data), "RUNO_SECRET") {
		t.Fatalf("a hook without env got runo's environment:\n%s", data)
	}
	h := shHook("env > "+out, 0)
	h.Env = []string{"A=1"}
	if err := runHook(h, nil, "/"); err != nil {
		t.Fatal(err)
	}
	data, _ = os.ReadFile(out)
	if !strings.Contains(string(data), "A=1") || strings.Contains(string(data), "RUNO_SECRET") {
		t.Fatalf("env: %s", data)
	}
}

func TestHookThatExitsHasFinished(t *testing.T) {
	start := time.Now()
	// The child keeps stdout and stderr open for a minute.
	err := runHook(shHook("echo state: $(cat); sleep 60 & exit 0", 0), []byte("{}"), "/")
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("took %v", d)
	}
	// Output written just before a failing exit is in the error.
	err = runHook(shHook("sleep 60 & echo the reason; exit 3", 0), nil, "/")
	if err == nil || !strings.Contains(err.Error(), "exit status 3: the reason") {
		t.Fatalf("error %v", err)
	}
}

func TestHookPastItsTimeoutIsKilledWithItsGroup(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	err := runHook(shHook("sleep 60 & echo $! > "+pidFile+"; wait", 1), nil, "/")
	if err == nil || err.Error() != "timed out after 1s" {
		t.Fatalf("error %v", err)
	}
	data, _ := os.ReadFile(pidFile)
	pid, _ := strconv.Atoi(strings.TrimSpace(string(data)))
	if pid <= 0 {
		t.Fatalf("pid file %q", data)
	}
	for range 50 {
		if syscall.Kill(pid, 0) != nil {
			return
		}
		if stat, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); len(stat) > 0 && strings.Contains(string(stat), ") Z ") {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("the hook's child %d outlived the timeout", pid)
}
