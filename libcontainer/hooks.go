package libcontainer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// hookState is the container state a hook reads on stdin, in the
// runtime-spec's format.
func hookState(id string, status Status, pid int, bundle string, annotations map[string]string) []byte {
	b, _ := json.Marshal(specs.State{
		Version: specs.Version, ID: id, Status: specs.ContainerState(status), Pid: pid,
		Bundle: bundle, Annotations: annotations,
	})
	return b
}

// runHooks runs hooks in order, each with state on stdin and dir as its
// working directory (the bundle, as runc runs them: hooks read config.json
// from there), and stops at the first that fails. kind names them in
// errors, in runc's words ("error running createRuntime hook #1: ...").
func runHooks(kind string, hooks []specs.Hook, state []byte, dir string) error {
	for i, h := range hooks {
		if err := runHook(h, state, dir); err != nil {
			return fmt.Errorf("error running %s hook #%d: %s: %w", kind, i, h.Path, err)
		}
	}
	return nil
}

func runHook(h specs.Hook, state []byte, dir string) error {
	ctx := context.Background()
	if h.Timeout != nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(*h.Timeout)*time.Second)
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, h.Path)
	if len(h.Args) > 0 {
		cmd.Args = h.Args
	}
	cmd.Env = h.Env
	cmd.Dir = dir
	cmd.Stdin = bytes.NewReader(state)
	// The output is kept for the error message only, and bounded: a hook
	// that writes without end must not fill runo's memory.
	out := &cappedBuffer{max: 64 << 10}
	cmd.Stdout, cmd.Stderr = out, out
	// The hook's own children may keep its output open: do not wait for them.
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("timed out after %ds", *h.Timeout)
	}
	if err != nil {
		if msg := strings.TrimSpace(out.buf.String()); msg != "" {
			return fmt.Errorf("%w: %s", err, msg)
		}
		return err
	}
	return nil
}

// hasCreateHooks reports whether any hook of the create operation is set.
func hasCreateHooks(h *specs.Hooks) bool {
	return h != nil && len(h.Prestart)+len(h.CreateRuntime)+len(h.CreateContainer) > 0
}

// cappedBuffer keeps the first max bytes written to it and drops the rest.
type cappedBuffer struct {
	buf bytes.Buffer
	max int
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}
