package libcontainer

import (
	"errors"
	"fmt"
	"os"
	"os/signal"

	"golang.org/x/sys/unix"
)

// RunOpts are the flags of run beyond those of create.
type RunOpts struct {
	CreateOpts
	Detach      bool
	Keep        bool
	NoSubreaper bool
}

// Run creates and starts a container. Detached, it returns at once;
// otherwise it forwards signals to the container's process, waits for it,
// deletes the container unless Keep, and returns the process's exit status
// (128+N when killed by signal N).
func (s *Store) Run(o RunOpts) (int, error) {
	if !o.Detach && !o.NoSubreaper {
		// Orphans of the container's processes are reparented to us and
		// reaped below instead of lingering as zombies.
		if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
			return 0, fmt.Errorf("becoming a subreaper: %w", err)
		}
	}
	sigs, notified := notifySignals(o.Detach)
	o.proxyTTY = !o.Detach
	c, err := s.Create(o.CreateOpts)
	if err != nil {
		return 0, err
	}
	var tty *ttyProxy
	if c.master != nil {
		if tty, err = proxyTTY(c.master); err != nil {
			c.Close()
			s.remove(c.ID)
			return 0, err
		}
		c.master = nil
	}
	<-notified
	err = c.Start()
	pid := c.State.Pid
	c.Close()
	if err != nil || o.Detach {
		if err != nil {
			s.remove(c.ID)
			tty.close()
		}
		return 0, err
	}
	status := forwardUntilExit(pid, sigs, tty.resize)
	tty.close()
	if !o.Keep {
		if err := s.remove(c.ID); err != nil {
			return status, err
		}
	}
	return status, nil
}

// notifySignals asks for every signal unless detach, for forwardUntilExit.
// That costs a round trip to the Go runtime's signal thread per signal,
// ~2ms in all, so it runs while the caller starts the container; notified
// is closed once signals arrive on sigs. Undoing it would cost as much
// again, so the handlers stay: a foreground run or exec is its caller's
// last act.
func notifySignals(detach bool) (sigs chan os.Signal, notified chan struct{}) {
	notified = make(chan struct{})
	if detach {
		close(notified)
		return nil, notified
	}
	sigs = make(chan os.Signal, 128)
	go func() {
		signal.Notify(sigs)
		close(notified)
	}()
	return sigs, notified
}

// remove force-deletes a container that run made.
func (s *Store) remove(id string) error {
	c, err := s.Load(id, true)
	if errors.Is(err, ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer c.Close()
	return c.Delete(true)
}

// forwardUntilExit relays signals to pid and reaps children until pid exits.
// SIGWINCH calls resize instead: the process learns its new size from its
// pty. The exit is seen by a wait4 blocked meanwhile, not through SIGCHLD,
// which the Go runtime delivers later; pid is runo's child (nsenter's
// CLONE_PARENT, CRIU's rst_sibling).
func forwardUntilExit(pid int, sigs chan os.Signal, resize func()) int {
	exited := make(chan int, 1)
	go func() {
		for {
			got, ws, err := wait4(-1, 0)
			if err != nil {
				// No child left: pid was reaped already.
				exited <- 0
				return
			}
			if got == pid {
				exited <- exitStatus(ws)
				return
			}
		}
	}()
	for {
		select {
		case status := <-exited:
			return status
		case sig := <-sigs:
			switch sig {
			case unix.SIGCHLD, unix.SIGURG:
				// Reaped above; the Go runtime's own preemption signal.
			case unix.SIGWINCH:
				resize()
			default:
				unix.Kill(pid, sig.(unix.Signal))
			}
		}
	}
}
