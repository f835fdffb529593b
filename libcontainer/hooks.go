package libcontainer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
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

// runHook runs one hook. Its environment is exactly its env (none without
// one, as in runc: never runo's or init's own variables). It has finished
// when it exits: output is read until then, not until every child it left
// closes its copy. One past its timeout is killed with its process group.
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
	if cmd.Env == nil {
		cmd.Env = []string{}
	}
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	stdin, out, err := hookPipes(cmd, state)
	if err != nil {
		return err
	}
	err = cmd.Start()
	stdin.start(err == nil)
	out.start(err == nil)
	if err == nil {
		err = cmd.Wait()
	}
	stdin.stop()
	msg := strings.TrimSpace(out.stop())
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("timed out after %ds", *h.Timeout)
	}
	if err != nil && msg != "" {
		return fmt.Errorf("%w: %s", err, msg)
	}
	return err
}

// hookPipes gives cmd pipes of its own for stdin and output, not ones
// exec.Cmd copies through: Wait would wait for every process holding them.
func hookPipes(cmd *exec.Cmd, state []byte) (*hookInput, *hookOutput, error) {
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, nil, fmt.Errorf("making the hook's stdin: %w", err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return nil, nil, fmt.Errorf("making the hook's output: %w", err)
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, outW
	return &hookInput{r: inR, w: inW, state: state, done: make(chan struct{})},
		&hookOutput{r: outR, w: outW, buf: cappedBuffer{max: 64 << 10}, done: make(chan struct{})}, nil
}

// hookInput writes the state to a hook's stdin while it runs.
type hookInput struct {
	r, w  *os.File
	state []byte
	done  chan struct{}
}

func (in *hookInput) start(started bool) {
	in.r.Close()
	if !started {
		close(in.done)
		return
	}
	go func() {
		defer close(in.done)
		in.w.Write(in.state)
		in.w.Close()
	}()
}

// stop ends a write the hook did not read to the end.
func (in *hookInput) stop() {
	in.w.Close()
	<-in.done
}

// hookOutput keeps a hook's output for the error message only, and
// bounded: a hook that writes without end must not fill runo's memory.
type hookOutput struct {
	r, w *os.File
	buf  cappedBuffer
	done chan struct{}
}

func (o *hookOutput) start(started bool) {
	o.w.Close()
	if !started {
		close(o.done)
		return
	}
	go func() {
		defer close(o.done)
		io.Copy(&o.buf, o.r)
	}()
}

// stop returns what the hook wrote, once it has exited: what is in the
// pipe is taken, and a child still holding it is not waited for.
func (o *hookOutput) stop() string {
	o.r.SetReadDeadline(time.Now())
	<-o.done
	if rc, err := o.r.SyscallConn(); err == nil {
		rc.Control(func(fd uintptr) {
			var b [4096]byte
			for o.buf.buf.Len() < o.buf.max {
				n, err := unix.Read(int(fd), b[:])
				if n <= 0 || err != nil {
					return
				}
				o.buf.Write(b[:n])
			}
		})
	}
	o.r.Close()
	return o.buf.buf.String()
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
