package libcontainer

import (
	"errors"
	"fmt"
	"slices"
)

// Op is an operation on an existing container, checked against its status
// by check alone: the lifecycle rule lives in the table below, not in each
// operation.
type Op string

const (
	OpCreate      Op = "create"
	OpStart       Op = "start"
	OpKill        Op = "kill"
	OpPause       Op = "pause"
	OpResume      Op = "resume"
	OpExec        Op = "exec"
	OpExecPaused  Op = "exec --ignore-paused"
	OpUpdate      Op = "update"
	OpPs          Op = "ps"
	OpStats       Op = "events"
	OpDelete      Op = "delete"
	OpDeleteForce Op = "delete --force"
	OpCheckpoint  Op = "checkpoint"
)

// ErrNotPaused is resume's answer for a container that is not paused.
var ErrNotPaused = errors.New("container not paused")

// lifecycle lists the statuses in which each operation may act. A creating
// container belongs to its creator until create returns; create itself
// refuses any container that exists.
var lifecycle = map[Op][]Status{
	OpCreate:      nil,
	OpStart:       {Created},
	OpKill:        {Created, Running, Paused},
	OpPause:       {Running},
	OpResume:      {Paused},
	OpExec:        {Created, Running},
	OpExecPaused:  {Created, Running, Paused},
	OpUpdate:      {Created, Running, Paused},
	OpPs:          {Created, Running, Paused, Stopped},
	OpStats:       {Created, Running, Paused},
	OpDelete:      {Created, Stopped},
	OpDeleteForce: {Creating, Created, Running, Paused, Stopped},
	OpCheckpoint:  {Running, Paused},
}

// stateError is a refusal in runc's words that callers can still match
// with errors.Is against the sentinel it carries, if any.
type stateError struct {
	msg      string
	sentinel error
}

func (e *stateError) Error() string { return e.msg }
func (e *stateError) Unwrap() error { return e.sentinel }

// checkOp says whether op may act on container id in status s, and if
// not, why, in the words runc uses for it.
func checkOp(op Op, id string, s Status) error {
	if slices.Contains(lifecycle[op], s) {
		return nil
	}
	switch {
	case op == OpCreate:
		return fmt.Errorf("%w: %s", ErrExist, id)
	case op == OpStart && s == Stopped:
		return &stateError{"cannot start a container that has stopped", ErrNotRunning}
	case op == OpStart && (s == Running || s == Paused):
		return errors.New("cannot start an already running container")
	case op == OpExec && s == Paused:
		return errors.New("cannot exec in a paused container (use --ignore-paused to override)")
	case (op == OpExec || op == OpExecPaused) && s == Stopped:
		return &stateError{"cannot exec in a stopped container", ErrNotRunning}
	case op == OpResume:
		return ErrNotPaused
	case op == OpCheckpoint:
		// runc's words.
		return fmt.Errorf("Container cannot be checkpointed in %s state", s)
	case op == OpDelete:
		return fmt.Errorf("cannot delete container %s that is not stopped: %s", id, s)
	case s == Stopped || op == OpPause:
		return ErrNotRunning
	}
	return fmt.Errorf("cannot %s container %s: it is %s", op, id, s)
}

// check is checkOp for the container as it is now. A container whose state
// was damaged has no init to act on: only delete can act on it.
func (c *Container) check(op Op) error {
	if c.State.Damaged != "" && op != OpDelete && op != OpDeleteForce {
		return fmt.Errorf("cannot %s container %s: its state is damaged (%s); only delete acts on it", op, c.ID, c.State.Damaged)
	}
	return checkOp(op, c.ID, c.Status())
}
