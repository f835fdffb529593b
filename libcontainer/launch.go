package libcontainer

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/runo-runtime/runo/cgroups"
	"github.com/runo-runtime/runo/nsenter"
)

// launch is what starting `runo init` takes, for create and exec alike.
type launch struct {
	// namespaces are joined (Path set) or made, as nsenter.Config says;
	// placed runs while the first process of a new user namespace waits
	// for its id maps.
	namespaces  []nsenter.Namespace
	placed      func(pid int) error
	timeOffsets string
	// cgroups are where init is born.
	cgroups cgroups.Manager
	// preserveFds counts the caller's descriptors from 3 that init keeps.
	preserveFds int
	// inherit are runo's own descriptors that init keeps: exec.fifo,
	// idmapped mounts. Their numbers go in the bootstrap.
	inherit []*os.File
	cons    *ptySocket
	lis     *listener
	// debug logs the steps of the launch and init's lines, or is nil.
	debug func(string)
}

// initProcess is a started `runo init` and the runtime's end of its sync
// socket.
type initProcess struct {
	pid int
	// sources is the runtime's end of the mount source socket, and
	// mountSource opens a source init asks for; both nil at exec.
	sources     *os.File
	mountSource func(i int) (*os.File, error)
	// debug takes init's log lines, when --debug asked for them.
	debug func(string)
	conn  *os.File
}

// start starts `runo init` inside the namespaces and cgroups of l, holding
// the descriptors l names; it waits for nothing from init.
func (l *launch) start() (*initProcess, error) {
	entry, err := l.cgroups.Entry()
	if err != nil {
		return nil, err
	}
	defer entry.Close()
	exe, err := selfExe()
	if err != nil {
		return nil, err
	}
	defer exe.Close()
	conn, child, err := socketPair("sync")
	if err != nil {
		return nil, err
	}
	defer child.Close()
	cfg := &nsenter.Config{
		Exe:  exe,
		Args: []string{"runo", "init"},
		// No asynchronous preemption in init: the signal it uses could
		// land between the seccomp filter and execve, and a profile that
		// denies rt_sigreturn then kills init (seen under load). One P:
		// init's work is one thread's, and fewer threads wake to share it
		// (exec 3% faster).
		Env:        []string{syncFdEnv + "=" + strconv.Itoa(int(child.Fd())), "GODEBUG=asyncpreemptoff=1", "GOMAXPROCS=1"},
		Namespaces: l.namespaces,
		Placed:     l.placed,
		// Placed before it makes its namespaces, so that a new cgroup
		// namespace is rooted at the container's cgroups.
		CgroupTasks: entry.Tasks,
		Cgroup2:     entry.Unified,
		TimeOffsets: l.timeOffsets,
	}
	for fd := 3; fd < 3+l.preserveFds; fd++ {
		cfg.KeepFds = append(cfg.KeepFds, fd)
	}
	cfg.KeepFds = append(cfg.KeepFds, int(child.Fd()))
	for _, f := range l.inherit {
		cfg.KeepFds = append(cfg.KeepFds, int(f.Fd()))
	}
	if l.cons != nil {
		cfg.KeepFds = append(cfg.KeepFds, int(l.cons.child.Fd()))
	}
	if l.lis != nil {
		cfg.KeepFds = append(cfg.KeepFds, l.lis.childFd())
	}
	if l.debug != nil {
		l.debug(fmt.Sprintf("nsexec container setup: %d namespaces to join or make, %d descriptors kept", len(cfg.Namespaces), len(cfg.KeepFds)))
	}
	pid, err := nsenter.Start(cfg)
	if err != nil {
		conn.Close()
		return nil, err
	}
	if l.debug != nil {
		l.debug(fmt.Sprintf("nsexec: runo init started as pid %d", pid))
	}
	return &initProcess{pid: pid, debug: l.debug, conn: conn}, nil
}

// send writes the bootstrap, the first thing init reads.
func (p *initProcess) send(b *bootstrap) error {
	if b.Seccomp != nil && p.debug != nil {
		// runc's words, which its tests and users look for.
		p.debug(fmt.Sprintf("seccomp filter flags: %d", b.Seccomp.LoadFlags()))
	}
	if err := sendBootstrap(p.conn, b); err != nil {
		return fmt.Errorf("sending the bootstrap to runo init: %w", err)
	}
	return nil
}

// errInitExited is await's answer when init went without a word: it
// died, or was killed.
var errInitExited = errors.New("runo init exited before it was ready")

// await reads init's messages until it reports ready. Where init stops for
// the create hooks, hooks runs the runtime's and init is told to go on.
func (p *initProcess) await(hooks func() error) error {
	for {
		msg, err := recvMsg(p.conn)
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, unix.ECONNRESET) {
				return errInitExited
			}
			return fmt.Errorf("reading from runo init: %w", err)
		}
		switch msg.Type {
		case msgReady:
			return nil
		case msgError:
			return errors.New(msg.Error)
		case msgLog:
			if p.debug != nil {
				p.debug(msg.Error)
			}
		case msgMountSource:
			if err := p.sendMountSource(msg.Mount); err != nil {
				return err
			}
		case msgHooks:
			if hooks == nil {
				return errors.New("runo init asked for hooks at exec")
			}
			if err := hooks(); err != nil {
				return err
			}
			if err := sendMsg(p.conn, initMsg{Type: msgHooksDone}); err != nil {
				return fmt.Errorf("writing to runo init: %w", err)
			}
		default:
			return fmt.Errorf("runo init sent an unknown message %q", msg.Type)
		}
	}
}

func (p *initProcess) sendMountSource(i int) error {
	if p.mountSource == nil || p.sources == nil {
		return errors.New("runo init asked for a mount source it has no socket for")
	}
	src, err := p.mountSource(i)
	if err != nil {
		return fmt.Errorf("mounts[%d]: %w", i, err)
	}
	defer src.Close()
	if err := sendFd(int(p.sources.Fd()), int(src.Fd()), []byte("mount")); err != nil {
		return fmt.Errorf("sending the source of mounts[%d]: %w", i, err)
	}
	return nil
}

// kill ends an init that will not be used and reaps it: it is runo's
// child, so its pid cannot have been reused.
func (p *initProcess) kill() {
	unix.Kill(p.pid, unix.SIGKILL)
	reap(p.pid)
}

func (p *initProcess) close() { p.conn.Close() }
