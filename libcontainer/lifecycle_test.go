package libcontainer

import (
	"errors"
	"testing"
)

// TestLifecycle pins which operation is allowed in which status, and the
// words of each refusal (runc's, which engines and scripts match).
func TestLifecycle(t *testing.T) {
	ok := ""
	want := map[Op]map[Status]string{
		OpCreate: {
			Creating: "container with given ID already exists: c", Created: "container with given ID already exists: c",
			Running: "container with given ID already exists: c", Paused: "container with given ID already exists: c",
			Stopped: "container with given ID already exists: c",
		},
		OpStart: {
			Creating: "cannot start container c: it is creating", Created: ok,
			Running: "cannot start an already running container", Paused: "cannot start an already running container",
			Stopped: "cannot start a container that has stopped",
		},
		OpKill: {
			Creating: "cannot kill container c: it is creating", Created: ok, Running: ok, Paused: ok,
			Stopped: "container not running",
		},
		OpPause: {
			Creating: "container not running", Created: "container not running", Running: ok,
			Paused: "container not running", Stopped: "container not running",
		},
		OpResume: {
			Creating: "container not paused", Created: "container not paused", Running: "container not paused",
			Paused: ok, Stopped: "container not paused",
		},
		OpExec: {
			Creating: "cannot exec container c: it is creating", Created: ok, Running: ok,
			Paused:  "cannot exec in a paused container (use --ignore-paused to override)",
			Stopped: "cannot exec in a stopped container",
		},
		OpExecPaused: {
			Creating: "cannot exec --ignore-paused container c: it is creating", Created: ok, Running: ok, Paused: ok,
			Stopped: "cannot exec in a stopped container",
		},
		OpUpdate: {
			Creating: "cannot update container c: it is creating", Created: ok, Running: ok, Paused: ok,
			Stopped: "container not running",
		},
		OpPs: {
			Creating: "cannot ps container c: it is creating", Created: ok, Running: ok, Paused: ok, Stopped: ok,
		},
		OpStats: {
			Creating: "cannot events container c: it is creating", Created: ok, Running: ok, Paused: ok,
			Stopped: "container not running",
		},
		OpDelete: {
			Creating: "cannot delete container c that is not stopped: creating", Created: ok,
			Running: "cannot delete container c that is not stopped: running",
			Paused:  "cannot delete container c that is not stopped: paused", Stopped: ok,
		},
		OpDeleteForce: {Creating: ok, Created: ok, Running: ok, Paused: ok, Stopped: ok},
		OpCheckpoint: {
			Creating: "Container cannot be checkpointed in creating state", Created: "Container cannot be checkpointed in created state",
			Running: ok, Paused: ok, Stopped: "Container cannot be checkpointed in stopped state",
		},
	}
	if len(want) != len(lifecycle) {
		t.Fatalf("the test covers %d operations, the table has %d", len(want), len(lifecycle))
	}
	for op, byStatus := range want {
		for _, s := range []Status{Creating, Created, Running, Paused, Stopped} {
			err := checkOp(op, "c", s)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != byStatus[s] {
				t.Errorf("%s on a %s container: got %q, want %q", op, s, got, byStatus[s])
			}
		}
	}
	// Callers branch on the sentinels.
	if err := checkOp(OpExec, "c", Stopped); !errors.Is(err, ErrNotRunning) {
		t.Errorf("exec on stopped: %v is not ErrNotRunning", err)
	}
	if err := checkOp(OpStats, "c", Stopped); !errors.Is(err, ErrNotRunning) {
		t.Errorf("events on stopped: %v is not ErrNotRunning", err)
	}
}
