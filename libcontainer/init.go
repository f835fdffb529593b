package libcontainer

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"syscall"
	"unsafe"

	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	"github.com/moby/sys/userns"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/runo-runtime/runo/seccomp"
)

// Init is `runo init`, run by nsenter inside the container's namespaces.
// It sets the container up, reports to the runtime, waits for `start` on
// exec.fifo and executes the user's process. It returns only on failure.
func Init() int {
	// Until the final exec, which makes it dumpable again, nothing in the
	// container may ptrace init or read its memory and descriptors
	// (CVE-2016-9962).
	if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
		fmt.Fprintf(os.Stderr, "runo init: %v\n", err)
		return 1
	}
	fd, err := strconv.Atoi(os.Getenv(syncFdEnv))
	if err != nil {
		fmt.Fprintln(os.Stderr, "runo init: not started by runo")
		return 1
	}
	conn := os.NewFile(uintptr(fd), "sync")
	b, err := recvBootstrap(conn)
	if err != nil {
		// The runtime went away before sending anything, or sent what
		// this runo cannot read: it learns of it from init's exit.
		return 1
	}
	if b.Debug {
		initDebug = func(msg string) { sendMsg(conn, initMsg{Type: msgLog, Error: msg}) }
	}
	debugf("child process in init(): setting up container %s", b.ID)
	p, err := setupInit(conn, b)
	if err != nil {
		sendMsg(conn, initMsg{Type: msgError, Error: err.Error()})
		return 1
	}
	if b.Exec != nil {
		debugf("setns_init: about to exec %s", p.path)
	}
	debugf("init: closing the pipe to signal completion")
	if err := sendMsg(conn, initMsg{Type: msgReady}); err != nil {
		return 1
	}
	initDebug = nil
	conn.Close()
	// start reports a failure it read on exec.fifo; only exec's init,
	// which has none, says it here. A failed execve was said already.
	if err = p.execOnStart(); p.fifo == nil && !errors.Is(err, errExecFailed) {
		fmt.Fprintf(os.Stderr, "runo init: %v\n", err)
	}
	// The process's exit status, as runc's init gives it.
	return 255
}

// errExecFailed is execOnStart's answer once it told the process's stderr
// why the execve failed.
var errExecFailed = errors.New("exec failed")

// initDebug sends a debug line to the runtime, while init is connected to
// it and --debug asked for them.
var initDebug func(string)

func debugf(format string, args ...any) {
	if initDebug != nil {
		initDebug(fmt.Sprintf(format, args...))
	}
}

// setupInit sets up the container (create) or the process (exec).
func setupInit(conn *os.File, b *bootstrap) (*userProcess, error) {
	if err := knowLastCap(b); err != nil {
		return nil, err
	}
	if b.Exec != nil {
		return setupExec(realInit{}, b)
	}
	spec := b.Spec
	if spec == nil {
		return nil, errors.New("the bootstrap has no spec")
	}
	if err := checkJoinedMappings(spec.Linux); err != nil {
		return nil, err
	}
	link := runtimeLink{hooks: func() error { return createHooks(conn, b, spec) }}
	if b.MountSourceFd > 0 {
		link.mountSource = mountSourceFrom(conn, os.NewFile(uintptr(b.MountSourceFd), "mount source"))
	}
	return setup(realInit{}, b, spec, link)
}

// runtimeLink is what init asks of the runtime while it sets up: to run
// the create hooks, and for mount sources (sourceFromRuntime), if any.
type runtimeLink struct {
	hooks       func() error
	mountSource func(i int) (*os.File, error)
}

// mountSourceFrom asks the runtime for mount sources on conn and receives
// them on sock.
func mountSourceFrom(conn, sock *os.File) func(i int) (*os.File, error) {
	return func(i int) (*os.File, error) {
		if err := sendMsg(conn, initMsg{Type: msgMountSource, Mount: i}); err != nil {
			return nil, fmt.Errorf("asking the runtime for the source: %w", err)
		}
		f, _, err := recvFd(sock)
		if err != nil {
			return nil, fmt.Errorf("receiving the source: %w", err)
		}
		return f, nil
	}
}

// userProcess is the process init executes at start.
type userProcess struct {
	path      string
	args, env []string
	fifo      *os.File
	// seccomp, if set, is loaded just before the exec.
	seccomp *seccomp.Program
	// procFds is init's /proc/thread-self/fd, when init pivoted.
	procFds *os.File
	// startHooks run once start has opened the fifo, before the exec.
	startHooks []specs.Hook
	hookState  []byte
}

// setupExec prepares the process of `runo exec`, pinned first to the
// initial cpus of process.execCPUAffinity while it sets up, then to the
// final ones (the initial if there are none) for the process itself.
func setupExec(sys initSys, b *bootstrap) (*userProcess, error) {
	b.Exec.Env = listenEnv(b.Exec.Env, b.ListenFds)
	if b.Exec.Terminal {
		if err := sys.console(b.ConsoleFd, b.Exec.ConsoleSize, false, b.Exec.User.UID); err != nil {
			return nil, err
		}
	} else if err := sys.newSession(); err != nil {
		return nil, err
	}
	// As for the container's: what is not namespaced, exec sets anew.
	if err := sys.personality(b.Personality); err != nil {
		return nil, err
	}
	if err := sys.memoryPolicy(b.MemoryPolicy); err != nil {
		return nil, err
	}
	o := procOpts{preserveFds: b.PreserveFds, seccomp: b.Seccomp, seccompFd: b.SeccompFd}
	// Not the affinity of the runo that ran exec: the container's cpus, or
	// execCPUAffinity's.
	var initial, final string
	if aff := b.Exec.ExecCPUAffinity; aff != nil {
		initial, final = aff.Initial, aff.Final
	}
	if err := sys.affinity(initial); err != nil {
		return nil, err
	}
	p, err := setupProcess(sys, b.Exec, o)
	if err != nil || final == "" {
		return p, err
	}
	return p, sys.affinity(final)
}

// createHooks runs the hooks of create at their point, mounts made and
// before pivot_root: prestart and createRuntime by the runtime, then
// createContainer here, in the container's namespaces.
func createHooks(conn *os.File, b *bootstrap, spec *specs.Spec) error {
	if !hasCreateHooks(spec.Hooks) {
		return nil
	}
	if err := sendMsg(conn, initMsg{Type: msgHooks}); err != nil {
		return fmt.Errorf("asking the runtime for its hooks: %w", err)
	}
	msg, err := recvMsg(conn)
	if err != nil {
		return fmt.Errorf("waiting for the runtime's hooks: %w", err)
	}
	if msg.Type != msgHooksDone {
		return fmt.Errorf("waiting for the runtime's hooks: got %q", msg.Type)
	}
	state := hookState(b.ID, Creating, b.Pid, b.Bundle, spec.Annotations)
	// In the rootfs, not yet pivoted into, as runc runs them: hooks that
	// bind libraries into the image use paths relative to it.
	return runHooks("createContainer", spec.Hooks.CreateContainer, state, b.Rootfs)
}

// setup does everything that can fail before the container is created, so
// that create reports it. link runs the create hooks before pivot_root.
// The order is the security argument: mounts and devices, the hooks,
// pivot_root, the console (from the container's devpts, before a
// read-only root), sysctls (before readonlyPaths close /proc/sys), masked
// and read-only paths, then the process's own settings.
func setup(sys initSys, b *bootstrap, spec *specs.Spec, link runtimeLink) (*userProcess, error) {
	unix.Umask(0)
	if !b.NoNewKeyring {
		if err := sys.joinKeyring(b.ID); err != nil {
			return nil, err
		}
	}
	fifo := os.NewFile(uintptr(b.FifoFd), "exec.fifo")
	unix.CloseOnExec(b.FifoFd)
	var r *rootfs
	var procFds *os.File
	// Without a mount namespace of its own or a joined one, the container
	// is set up in the host's, as runc does: its mounts are the host's.
	hostMounts := !hasNamespace(spec, specs.MountNamespace)
	if newNamespace(spec, specs.MountNamespace) || hostMounts {
		// exec.fifo is reopened after pivot_root through this handle of
		// init's private procfs, which nothing in the container can cover.
		var err error
		if procFds, err = openFdDir(); err != nil {
			return nil, err
		}
		r = &rootfs{path: b.Rootfs, bundle: b.Bundle, spec: spec, cgroupPaths: b.CgroupPaths,
			cgroupNS: newNamespace(spec, specs.CgroupNamespace), userns: hasNamespace(spec, specs.UserNamespace) || userns.RunningInUserNS(), source: link.mountSource,
			hostMounts: hostMounts}
		if err := sys.prepareRootfs(r); err != nil {
			return nil, err
		}
	}
	if err := link.hooks(); err != nil {
		return nil, err
	}
	if r != nil {
		if err := sys.pivotRoot(r, b.NoPivot); err != nil {
			return nil, fmt.Errorf("entering rootfs: %w", err)
		}
	}
	if spec.Process.Terminal {
		if err := sys.console(b.ConsoleFd, spec.Process.ConsoleSize, r != nil, spec.Process.User.UID); err != nil {
			return nil, err
		}
	} else if err := sys.newSession(); err != nil {
		return nil, err
	}
	if err := sys.kernelSettings(spec); err != nil {
		return nil, err
	}
	if err := sys.personality(spec.Linux.Personality); err != nil {
		return nil, err
	}
	if err := sys.memoryPolicy(spec.Linux.MemoryPolicy); err != nil {
		return nil, err
	}
	if r != nil {
		if err := sys.finishRootfs(r); err != nil {
			return nil, err
		}
	}
	spec.Process.Env = listenEnv(spec.Process.Env, b.ListenFds)
	// Not the affinity of the runo that ran create: every cpu of the
	// container's cpuset.
	if err := sys.affinity(""); err != nil {
		return nil, err
	}
	p, err := setupProcess(sys, spec.Process, procOpts{fifo: fifo, preserveFds: b.PreserveFds, seccomp: b.Seccomp, seccompFd: b.SeccompFd})
	if err != nil {
		return nil, err
	}
	p.procFds = procFds
	if spec.Hooks != nil && len(spec.Hooks.StartContainer) > 0 {
		// Run in the process's directory and, unless they have their own,
		// with its environment, as runc runs them.
		p.startHooks = slices.Clone(spec.Hooks.StartContainer)
		for i := range p.startHooks {
			if p.startHooks[i].Env == nil {
				p.startHooks[i].Env = p.env
			}
		}
		p.hookState = hookState(b.ID, Created, b.Pid, b.Bundle, spec.Annotations)
	}
	return p, nil
}

// openFdDir opens init's fd directory in its private procfs. Init's main
// goroutine is locked to its thread, which stays until the exec.
func openFdDir() (*os.File, error) {
	proc, err := privateProc()
	if err != nil {
		return nil, err
	}
	f, done, err := proc.OpenThreadSelf("fd")
	if err != nil {
		return nil, fmt.Errorf("opening /proc/thread-self/fd: %w", err)
	}
	done()
	return f, nil
}

// reopenFifo opens exec.fifo for writing, which blocks until start opens
// it: through procFds, a handle of /proc/thread-self/fd taken before pivot_root,
// or else (a joined mount namespace, whose /proc may not be procfs)
// through pathrs-lite's own procfs. The container's /proc is never used.
func reopenFifo(fifo, procFds *os.File) (int, error) {
	if procFds != nil {
		fd, err := unix.Openat(int(procFds.Fd()), strconv.Itoa(int(fifo.Fd())), unix.O_WRONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			return -1, err
		}
		var a, b unix.Stat_t
		if unix.Fstat(fd, &a) == nil && unix.Fstat(int(fifo.Fd()), &b) == nil && a.Dev == b.Dev && a.Ino == b.Ino {
			return fd, nil
		}
		unix.Close(fd)
		return -1, errors.New("/proc/thread-self/fd does not lead to exec.fifo")
	}
	f, err := pathrs.Reopen(fifo, unix.O_WRONLY|unix.O_CLOEXEC)
	if err != nil {
		return -1, err
	}
	defer f.Close()
	return unix.FcntlInt(f.Fd(), unix.F_DUPFD_CLOEXEC, 0)
}

// execOnStart blocks until `runo start` opens exec.fifo for reading (for
// exec, which has no fifo, it goes on at once), then executes the user's
// process. Every other descriptor is close-on-exec by now (setupProcess),
// and what runs here must work under the process's seccomp filter, which
// the startContainer hooks run under too, as in runc.
//
// start learns from the fifo whether the process runs: "1" and why not,
// or "0"; the fifo is close-on-exec, so its end tells start that the exec
// happened or init is gone. As with runc, a failed execve itself is the
// process's failure, not start's: its stderr says why, it exits 255.
func (p *userProcess) execOnStart() error {
	fifo := -1
	if p.fifo != nil {
		var err error
		if fifo, err = reopenFifo(p.fifo, p.procFds); err != nil {
			err = fmt.Errorf("opening exec fifo: %w", err)
			fmt.Fprintf(os.Stderr, "runo init: %v\n", err)
			return err
		}
	}
	// Made before the filter: allocating after it may enter the runtime.
	path, err := syscall.BytePtrFromString(p.path)
	if err != nil {
		return err
	}
	argv, err := syscall.SlicePtrFromStrings(p.args)
	if err != nil {
		return err
	}
	envv, err := syscall.SlicePtrFromStrings(p.env)
	if err != nil {
		return err
	}
	if p.seccomp != nil {
		if _, err = seccomp.Load(p.seccomp); err != nil {
			err = fmt.Errorf("linux.seccomp: %w", err)
		}
	}
	// No call (hence no stack check, where the runtime preempts) between
	// the filter and startAndExec unless there are hooks to run.
	if err == nil && len(p.startHooks) > 0 {
		err = runHooks("startContainer", p.startHooks, p.hookState, "")
	}
	if err != nil {
		if fifo >= 0 {
			unix.Write(fifo, append([]byte("1"), err.Error()...))
		}
		return err
	}
	op, errno := startAndExec(fifo, path, &argv[0], &envv[0])
	if op == "write" {
		return fmt.Errorf("writing exec fifo: %w", errno)
	}
	fmt.Fprintf(os.Stderr, "exec %s: %v\n", p.path, errno)
	return errExecFailed
}

// startAndExec tells start (the fifo, unless -1) that the process runs and
// executes it, with raw system calls and no stack check: nothing may enter
// the Go scheduler once the seccomp filter is on, since a strict profile
// denies the futex calls it makes (seen under load: a preemption at a
// function's stack check, then a failed futex wake, killed init). It
// returns the call that failed.
//
//go:nosplit
func startAndExec(fifo int, path *byte, argv, envv **byte) (string, syscall.Errno) {
	if fifo >= 0 {
		ok := [1]byte{'0'}
		if _, _, errno := syscall.RawSyscall(syscall.SYS_WRITE, uintptr(fifo), uintptr(unsafe.Pointer(&ok[0])), 1); errno != 0 {
			return "write", errno
		}
	}
	_, _, errno := syscall.RawSyscall(syscall.SYS_EXECVE, uintptr(unsafe.Pointer(path)), uintptr(unsafe.Pointer(argv)), uintptr(unsafe.Pointer(envv)))
	return "execve", errno
}
