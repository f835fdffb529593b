package nsenter

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"syscall"

	"golang.org/x/sys/unix"
)

// Namespace is one namespace of the new process: joined when Path is set,
// created otherwise. Type uses the runtime-spec names.
type Namespace struct {
	Type string
	Path string
}

// Config describes the process Start makes.
type Config struct {
	Namespaces []Namespace
	// TimeOffsets is written to /proc/self/timens_offsets of a new time
	// namespace ("monotonic 5 0\nboottime 0 0\n").
	TimeOffsets string
	// Exe is the binary executed with execveat(2); it may be close-on-exec.
	Exe *os.File
	// Args and Env are the argv and environment of the new process.
	Args []string
	Env  []string
	// KeepFds are inherited by the new process in addition to stdio.
	KeepFds []int
	// CgroupTasks are cgroup v1 "tasks" files, open for writing, that the
	// child writes "0" to before anything else, moving itself. A single
	// thread moving itself skips the global lock (and its RCU grace period,
	// ~10ms) that moving a process by pid costs.
	CgroupTasks []*os.File
	// Cgroup2, if set, is the cgroup v2 directory the child is created in
	// (clone3 with CLONE_INTO_CGROUP), at no such cost either.
	Cgroup2 *os.File
	// Placed, if set, runs while the child waits, before any namespace other
	// than a user namespace is created (id maps are written then).
	Placed func(pid int) error
}

var nsFlags = map[string]uintptr{
	"user":    unix.CLONE_NEWUSER,
	"ipc":     unix.CLONE_NEWIPC,
	"uts":     unix.CLONE_NEWUTS,
	"network": unix.CLONE_NEWNET,
	"pid":     unix.CLONE_NEWPID,
	"cgroup":  unix.CLONE_NEWCGROUP,
	"time":    unix.CLONE_NEWTIME,
	"mount":   unix.CLONE_NEWNS,
}

// joinOrder is the order in which joined namespaces are entered, the user
// namespace aside (see the child): mount last so that the paths of the
// others were resolved on the caller's view (they are opened before the
// fork anyway, but a joined mount namespace may lack /proc).
var joinOrder = map[string]int{"user": 0, "ipc": 1, "uts": 2, "network": 3, "pid": 4, "cgroup": 5, "time": 6, "mount": 7}

// Flag returns the CLONE_NEW* flag of a runtime-spec namespace type, or
// false when the type is unknown.
func Flag(nsType string) (uintptr, bool) {
	f, ok := nsFlags[nsType]
	return f, ok
}

// Record kinds, as written to the status pipe.
const (
	kindWaiting = 1
	kindPid     = 2
	kindError   = 3
)

// Child steps, as named in error records.
const (
	stepCgroup = iota
	stepJoin
	stepUnshareUser
	stepWait
	stepBecomeRoot
	stepUnshare
	stepTimeOffsets
	stepFork
	stepKeepFd
	stepExec
)

// Start forks a child that enters the namespaces of c and executes c.Exe.
// It returns the pid of the executed process once the exec has happened,
// or an error naming the step that failed.
func Start(c *Config) (pid int, err error) {
	a, joined, err := prepare(c)
	if err != nil {
		return 0, err
	}
	defer func() {
		for _, ns := range joined {
			unix.Close(ns.fd)
		}
	}()

	var status, ack [2]int
	if err := unix.Pipe2(status[:], unix.O_CLOEXEC); err != nil {
		return 0, fmt.Errorf("creating status pipe: %w", err)
	}
	defer unix.Close(status[0])
	if err := unix.Pipe2(ack[:], unix.O_CLOEXEC); err != nil {
		unix.Close(status[1])
		return 0, fmt.Errorf("creating acknowledgement pipe: %w", err)
	}
	defer unix.Close(ack[1])
	a.statusW, a.ackR, a.ackW = uintptr(status[1]), uintptr(ack[0]), uintptr(ack[1])

	first, errno := forkChild(a)
	unix.Close(status[1])
	unix.Close(ack[0])
	if errno != 0 {
		what := "forking"
		if a.clone3 != nil && a.clone3.flags&^(unix.CLONE_INTO_CGROUP|unix.CLONE_VM|unix.CLONE_VFORK) != 0 {
			what = fmt.Sprintf("creating namespaces %v", newNamespaces(c))
		}
		if c.Cgroup2 != nil {
			what += " in cgroup " + c.Cgroup2.Name()
		}
		return 0, fmt.Errorf("%s: %w", what, errno)
	}
	return wait(c, a.fork, first, joined, status[0], ack[1])
}

type joinedNS struct {
	Namespace
	fd int
}

// prepare opens the joined namespaces and builds every argument the child
// needs, so that the child only makes system calls.
func prepare(c *Config) (*childArgs, []joinedNS, error) {
	if c.Exe == nil || len(c.Args) == 0 {
		return nil, nil, errors.New("nsenter: no binary or arguments to execute")
	}
	a := &childArgs{exeFd: c.Exe.Fd(), wait: c.Placed != nil, zero: [1]byte{'0'}}
	for _, f := range c.CgroupTasks {
		a.tasksFds = append(a.tasksFds, f.Fd())
	}
	if c.Cgroup2 != nil {
		a.clone3 = &cloneArgs{flags: unix.CLONE_INTO_CGROUP, exitSignal: uint64(unix.SIGCHLD), cgroup: uint64(c.Cgroup2.Fd())}
	}
	var joined []joinedNS
	fail := func(err error) (*childArgs, []joinedNS, error) {
		for _, ns := range joined {
			unix.Close(ns.fd)
		}
		return nil, nil, err
	}
	for _, ns := range c.Namespaces {
		flag, ok := nsFlags[ns.Type]
		if !ok {
			return fail(fmt.Errorf("unknown namespace type %q", ns.Type))
		}
		switch {
		case ns.Path != "":
			fd, err := unix.Open(ns.Path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
			if err != nil {
				return fail(fmt.Errorf("opening %s namespace %s: %w", ns.Type, ns.Path, err))
			}
			joined = append(joined, joinedNS{ns, fd})
		case ns.Type == "user":
			a.newUser = true
		default:
			a.unshareFlags |= flag
		}
		a.becomeRoot = a.becomeRoot || ns.Type == "user"
		if ns.Type == "pid" || ns.Type == "time" {
			a.fork = true
		}
	}
	sort.SliceStable(joined, func(i, j int) bool { return joinOrder[joined[i].Type] < joinOrder[joined[j].Type] })
	joinsTime := false
	for _, ns := range joined {
		joinsTime = joinsTime || ns.Type == "time"
		a.joinFds = append(a.joinFds, uintptr(ns.fd))
		a.joinTypes = append(a.joinTypes, nsFlags[ns.Type])
	}
	a.joined = make([]bool, len(joined))
	// With nothing to join or wait for, and no user or time namespace, the
	// first clone makes the new namespaces itself and no second fork is
	// needed. A new cgroup namespace still waits until the child has moved
	// itself into its v1 cgroups.
	if len(joined) == 0 && !a.newUser && !a.wait && a.unshareFlags&unix.CLONE_NEWTIME == 0 {
		if a.clone3 == nil {
			a.clone3 = &cloneArgs{exitSignal: uint64(unix.SIGCHLD)}
		}
		a.clone3.flags |= uint64(a.unshareFlags &^ unix.CLONE_NEWCGROUP)
		a.unshareFlags &= unix.CLONE_NEWCGROUP
		a.fork = false
	}
	// When the parent has nothing to do before the exec (no id maps to
	// write), the children may borrow its memory meanwhile: a copy of the
	// page tables, and a fault at the parent's next write to each page it
	// shares copy-on-write, cost more than the children's few system calls.
	// Not with a time namespace, which a process sharing memory with its
	// parent cannot enter.
	if !a.wait && !a.newUser && !joinsTime && a.unshareFlags&unix.CLONE_NEWTIME == 0 {
		if a.clone3 == nil {
			a.clone3 = &cloneArgs{exitSignal: uint64(unix.SIGCHLD)}
		}
		a.clone3.flags |= unix.CLONE_VM | unix.CLONE_VFORK
		a.vfork = true
	}
	if c.TimeOffsets != "" {
		if a.unshareFlags&unix.CLONE_NEWTIME == 0 {
			return fail(errors.New("time offsets need a new time namespace"))
		}
		a.timensPath = bytePtr("/proc/self/timens_offsets")
		a.timensData = []byte(c.TimeOffsets)
	}
	for _, fd := range c.KeepFds {
		a.keepFds = append(a.keepFds, uintptr(fd))
	}
	argv, err := syscall.SlicePtrFromStrings(c.Args)
	if err != nil {
		return fail(fmt.Errorf("init arguments: %w", err))
	}
	envv, err := syscall.SlicePtrFromStrings(c.Env)
	if err != nil {
		return fail(fmt.Errorf("init environment: %w", err))
	}
	a.argv, a.envv, a.empty = &argv[0], &envv[0], bytePtr("")
	return a, joined, nil
}

func bytePtr(s string) *byte {
	p, err := syscall.BytePtrFromString(s)
	if err != nil {
		panic(err) // only called with constant strings
	}
	return p
}

// wait follows the child's status records until the final exec, answering
// its request to be placed, and reaps the intermediate child of a double fork.
func wait(c *Config, forks bool, first int, joined []joinedNS, status, ack int) (int, error) {
	final := first
	fail := func(err error) (int, error) {
		unix.Kill(first, unix.SIGKILL)
		reap(first)
		if final != first {
			unix.Kill(final, unix.SIGKILL)
			reap(final)
		}
		return 0, err
	}
	var rec [16]byte
	for {
		err := readRecord(status, rec[:])
		if err == io.EOF {
			break
		}
		if err != nil {
			return fail(fmt.Errorf("reading child status: %w", err))
		}
		kind := binary.NativeEndian.Uint32(rec[0:])
		step := binary.NativeEndian.Uint32(rec[4:])
		index := binary.NativeEndian.Uint32(rec[8:])
		value := binary.NativeEndian.Uint32(rec[12:])
		switch kind {
		case kindWaiting:
			if c.Placed != nil {
				if err := c.Placed(first); err != nil {
					return fail(err)
				}
			}
			if _, err := unix.Write(ack, []byte{0}); err != nil {
				return fail(fmt.Errorf("waking child: %w", err))
			}
		case kindPid:
			final = int(value)
		case kindError:
			return fail(describe(c, joined, step, index, syscall.Errno(value)))
		default:
			return fail(fmt.Errorf("child sent unknown status record %d", kind))
		}
	}
	if final == first && first != 0 && forks {
		return fail(errors.New("child exited before reporting the pid of the process in the new namespaces"))
	}
	if final != first {
		reap(first)
	}
	return final, nil
}

// readRecord reads one whole record, or returns io.EOF when every writer
// has gone (the child executed or exited).
func readRecord(fd int, rec []byte) error {
	for got := 0; got < len(rec); {
		n, err := unix.Read(fd, rec[got:])
		switch {
		case err == unix.EINTR:
			continue
		case err != nil:
			return err
		case n == 0 && got == 0:
			return io.EOF
		case n == 0:
			return io.ErrUnexpectedEOF
		}
		got += n
	}
	return nil
}

func reap(pid int) {
	var ws unix.WaitStatus
	for {
		_, err := unix.Wait4(pid, &ws, 0, nil)
		if err != unix.EINTR {
			return
		}
	}
}

// newNamespaces lists the types of the namespaces c creates, but a user one.
func newNamespaces(c *Config) []string {
	var names []string
	for _, ns := range c.Namespaces {
		if ns.Path == "" && ns.Type != "user" {
			names = append(names, ns.Type)
		}
	}
	return names
}

// ErrJoinCgroup marks the child's failure to enter its cgroups, which it
// does before anything else.
var ErrJoinCgroup = errors.New("joining cgroup")

// describe turns a child's error record into an error naming what failed.
func describe(c *Config, joined []joinedNS, step, index uint32, errno syscall.Errno) error {
	switch step {
	case stepCgroup:
		if int(index) < len(c.CgroupTasks) {
			return fmt.Errorf("%w %s: %w", ErrJoinCgroup, filepath.Dir(c.CgroupTasks[index].Name()), errno)
		}
	case stepJoin:
		if int(index) < len(joined) {
			ns := joined[index]
			return fmt.Errorf("joining %s namespace %s: %w", ns.Type, ns.Path, errno)
		}
	case stepUnshareUser:
		return fmt.Errorf("creating user namespace: %w", errno)
	case stepBecomeRoot:
		return fmt.Errorf("becoming root in the user namespace (are uid and gid 0 mapped?): %w", errno)
	case stepWait:
		return fmt.Errorf("waiting for the runtime: %w", errno)
	case stepUnshare:
		return fmt.Errorf("creating namespaces %v: %w", newNamespaces(c), errno)
	case stepTimeOffsets:
		return fmt.Errorf("writing time namespace offsets %q: %w", c.TimeOffsets, errno)
	case stepFork:
		return fmt.Errorf("forking into the new pid or time namespace: %w", errno)
	case stepKeepFd:
		if int(index) < len(c.KeepFds) {
			return fmt.Errorf("keeping file descriptor %d open: %w", c.KeepFds[index], errno)
		}
	case stepExec:
		return fmt.Errorf("executing %s: %w", c.Exe.Name(), errno)
	}
	return fmt.Errorf("child step %d failed: %w", step, errno)
}
