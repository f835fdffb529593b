package nsenter

import (
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// These runtime hooks are what syscall.forkExec uses around its fork; the
// runtime keeps them linkable for packages outside syscall (go.dev/issue/67401).

//go:linkname runtimeBeforeFork syscall.runtime_BeforeFork
func runtimeBeforeFork()

//go:linkname runtimeAfterFork syscall.runtime_AfterFork
func runtimeAfterFork()

//go:linkname runtimeAfterForkInChild syscall.runtime_AfterForkInChild
func runtimeAfterForkInChild()

// childArgs holds everything the child reads. The parent fills it in before
// the fork; the child writes only rec and joined, in its own copy of memory
// or, with CLONE_VM, in the parent's while the parent waits.
type childArgs struct {
	clone3    *cloneArgs
	tasksFds  []uintptr
	zero      [1]byte
	joinFds   []uintptr
	joinTypes []uintptr
	// joined marks the namespaces entered, one per joinFds.
	joined  []bool
	newUser bool
	// becomeRoot: the child is in a user namespace, new or joined.
	becomeRoot   bool
	wait         bool
	unshareFlags uintptr
	timensPath   *byte
	timensData   []byte
	fork         bool
	// vfork: the children share the parent's memory (CLONE_VM|CLONE_VFORK).
	vfork      bool
	keepFds    []uintptr
	exeFd      uintptr
	empty      *byte
	argv, envv **byte
	statusW    uintptr
	ackR, ackW uintptr
	rec        [4]uint32
	ackBuf     [1]byte
}

// cloneArgs is the kernel's struct clone_args (clone3(2)) up to its cgroup
// field, the newest one used.
type cloneArgs struct {
	flags, pidfd, childTID, parentTID, exitSignal uint64
	stack, stackSize, tls, setTID, setTIDSize     uint64
	cgroup                                        uint64
}

// forkChild forks; in the parent it returns the child's pid, and the child
// never returns from it.
func forkChild(a *childArgs) (int, syscall.Errno) {
	syscall.ForkLock.Lock()
	runtimeBeforeFork()
	var pid uintptr
	var errno syscall.Errno
	switch {
	case a.vfork:
		pid, errno = vforkSyscall(unix.SYS_CLONE3, uintptr(unsafe.Pointer(a.clone3)), unsafe.Sizeof(*a.clone3))
	case a.clone3 != nil:
		pid, _, errno = syscall.RawSyscall(unix.SYS_CLONE3, uintptr(unsafe.Pointer(a.clone3)), unsafe.Sizeof(*a.clone3), 0)
	default:
		pid, _, errno = syscall.RawSyscall6(syscall.SYS_CLONE, uintptr(syscall.SIGCHLD), 0, 0, 0, 0, 0)
	}
	if errno != 0 || pid != 0 {
		runtimeAfterFork()
		syscall.ForkLock.Unlock()
		return int(pid), errno
	}
	child(a)
	return 0, 0 // not reached: child exits or executes
}

// child runs in the forked process: see the package documentation for what
// it may do. It never returns.
//
//go:nosplit
//go:norace
func child(a *childArgs) {
	runtimeAfterForkInChild()
	// Without the parent's end of the acknowledgement pipe, the child sees
	// end of file if the parent dies while it waits.
	syscall.RawSyscall(syscall.SYS_CLOSE, a.ackW, 0, 0)

	// First, while still with the parent's credentials and cgroup namespace.
	for i := 0; i < len(a.tasksFds); i++ {
		n, _, e := syscall.RawSyscall(syscall.SYS_WRITE, a.tasksFds[i], uintptr(unsafe.Pointer(&a.zero[0])), 1)
		if e != 0 || n != 1 {
			fail(a, stepCgroup, uintptr(i), e)
		}
	}
	// A joined user namespace comes between two rounds of the others: those
	// owned by another user namespace (the host's, a pod's) can only be
	// joined before it, with the caller's privileges; those a rootless
	// caller has no rights in, only after it.
	joinRound(a, true)
	for i := 0; i < len(a.joinFds); i++ {
		if a.joinTypes[i] == unix.CLONE_NEWUSER {
			if _, _, e := syscall.RawSyscall(unix.SYS_SETNS, a.joinFds[i], a.joinTypes[i], 0); e != 0 {
				fail(a, stepJoin, uintptr(i), e)
			}
			a.joined[i] = true
		}
	}
	joinRound(a, false)
	if a.newUser {
		if _, _, e := syscall.RawSyscall(syscall.SYS_UNSHARE, unix.CLONE_NEWUSER, 0, 0); e != 0 {
			fail(a, stepUnshareUser, 0, e)
		}
	}

	if a.wait {
		report(a, kindWaiting, 0, 0, 0)
		n, _, e := syscall.RawSyscall(syscall.SYS_READ, a.ackR, uintptr(unsafe.Pointer(&a.ackBuf[0])), 1)
		if e != 0 || n != 1 {
			fail(a, stepWait, 0, e)
		}
	}

	if a.becomeRoot {
		// In a user namespace the host's root is unmapped, and an unmapped
		// uid loses every capability at exec: become the namespace's root
		// (its maps are written by now). setgroups may be denied there.
		syscall.RawSyscall(syscall.SYS_SETGROUPS, 0, 0, 0)
		if _, _, e := syscall.RawSyscall(syscall.SYS_SETRESGID, 0, 0, 0); e != 0 {
			fail(a, stepBecomeRoot, 0, e)
		}
		if _, _, e := syscall.RawSyscall(syscall.SYS_SETRESUID, 0, 0, 0); e != 0 {
			fail(a, stepBecomeRoot, 0, e)
		}
	}
	if a.unshareFlags != 0 {
		if _, _, e := syscall.RawSyscall(syscall.SYS_UNSHARE, a.unshareFlags, 0, 0); e != 0 {
			fail(a, stepUnshare, 0, e)
		}
	}
	if a.timensPath != nil {
		// Changing ids made the process non-dumpable, which gives its
		// /proc/self files to the host's root, out of a user namespace's
		// reach: dumpable just while the offsets are written.
		if a.becomeRoot {
			syscall.RawSyscall(syscall.SYS_PRCTL, unix.PR_SET_DUMPABLE, 1, 0)
		}
		writeTimeOffsets(a)
		if a.becomeRoot {
			syscall.RawSyscall(syscall.SYS_PRCTL, unix.PR_SET_DUMPABLE, 0, 0)
		}
	}
	if a.fork {
		// CLONE_PARENT makes the caller of Start the parent of the process
		// that executes, so it can wait for it; this child then exits.
		var pid uintptr
		var e syscall.Errno
		if a.vfork {
			pid, e = vforkSyscall(syscall.SYS_CLONE, unix.CLONE_PARENT|unix.CLONE_VM|unix.CLONE_VFORK, 0)
		} else {
			pid, _, e = syscall.RawSyscall6(syscall.SYS_CLONE, unix.CLONE_PARENT, 0, 0, 0, 0, 0)
		}
		if e != 0 {
			fail(a, stepFork, 0, e)
		}
		if pid != 0 {
			report(a, kindPid, 0, 0, pid)
			syscall.RawSyscall(syscall.SYS_EXIT_GROUP, 0, 0, 0)
		}
	}
	// Only stdio and the kept descriptors reach init: not what the caller
	// of runo left open without close-on-exec (a shell's, a test runner's).
	// Before Linux 5.11 this fails and they are inherited, as before.
	syscall.RawSyscall(unix.SYS_CLOSE_RANGE, 3, ^uintptr(0), unix.CLOSE_RANGE_CLOEXEC)
	for i := 0; i < len(a.keepFds); i++ {
		if _, _, e := syscall.RawSyscall(syscall.SYS_FCNTL, a.keepFds[i], syscall.F_SETFD, 0); e != 0 {
			fail(a, stepKeepFd, uintptr(i), e)
		}
	}
	_, _, e := syscall.RawSyscall6(unix.SYS_EXECVEAT, a.exeFd, uintptr(unsafe.Pointer(a.empty)),
		uintptr(unsafe.Pointer(a.argv)), uintptr(unsafe.Pointer(a.envv)), unix.AT_EMPTY_PATH, 0)
	fail(a, stepExec, 0, e)
}

//go:nosplit
//go:norace
func writeTimeOffsets(a *childArgs) {
	fd, _, e := syscall.RawSyscall(syscall.SYS_OPEN, uintptr(unsafe.Pointer(a.timensPath)), syscall.O_WRONLY|syscall.O_CLOEXEC, 0)
	if e != 0 {
		fail(a, stepTimeOffsets, 0, e)
	}
	n, _, e := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(&a.timensData[0])), uintptr(len(a.timensData)))
	if e != 0 || n != uintptr(len(a.timensData)) {
		fail(a, stepTimeOffsets, 0, e)
	}
	syscall.RawSyscall(syscall.SYS_CLOSE, fd, 0, 0)
}

// report writes one status record; a failed write is not reported further,
// since the parent then learns of the failure from the exit.
//
//go:nosplit
//go:norace
func report(a *childArgs, kind, step, index, value uintptr) {
	a.rec[0], a.rec[1], a.rec[2], a.rec[3] = uint32(kind), uint32(step), uint32(index), uint32(value)
	syscall.RawSyscall(syscall.SYS_WRITE, a.statusW, uintptr(unsafe.Pointer(&a.rec[0])), unsafe.Sizeof(a.rec))
}

//go:nosplit
//go:norace
func fail(a *childArgs, step, index uintptr, errno syscall.Errno) {
	if errno == 0 {
		errno = syscall.EPIPE // a short read or write: the other side went away
	}
	report(a, kindError, step, index, uintptr(errno))
	for {
		syscall.RawSyscall(syscall.SYS_EXIT_GROUP, 1, 0, 0)
	}
}

// joinRound joins the namespaces other than a user namespace not joined
// yet; in the first round a refusal (EPERM) is left for the second.
//
//go:nosplit
//go:norace
func joinRound(a *childArgs, first bool) {
	for i := 0; i < len(a.joinFds); i++ {
		if a.joined[i] || a.joinTypes[i] == unix.CLONE_NEWUSER {
			continue
		}
		_, _, e := syscall.RawSyscall(unix.SYS_SETNS, a.joinFds[i], a.joinTypes[i], 0)
		if e == syscall.EPERM && first {
			continue
		}
		if e != 0 {
			fail(a, stepJoin, uintptr(i), e)
		}
		a.joined[i] = true
	}
}
