package libcontainer

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/moby/sys/capability"
	"github.com/moby/sys/user"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/runo-runtime/runo/seccomp"
	"golang.org/x/sys/unix"
)

// procOpts are what setupProcess needs beyond the process.
type procOpts struct {
	// fifo is exec.fifo, for create.
	fifo        *os.File
	preserveFds int
	seccomp     *seccomp.Program
	seccompFd   int
}

// setupProcess applies what belongs to the process itself, for create and
// exec alike: its limits, working directory, user and privileges. The
// seccomp filter comes last: without no_new_privs it needs CAP_SYS_ADMIN,
// so it is loaded before the user and capabilities change; a filter that
// notifies a listener is loaded before init reports ready, so that the
// listener reaches the agent during create; any other waits for the exec.
func setupProcess(sys initSys, p *specs.Process, o procOpts) (*userProcess, error) {
	if err := sys.rlimits(p.Rlimits); err != nil {
		return nil, err
	}
	if adj := p.OOMScoreAdj; adj != nil {
		if err := sys.oomScoreAdj(*adj); err != nil {
			return nil, err
		}
	}
	if err := sys.chdir(p.Cwd); err != nil {
		return nil, err
	}
	if err := sys.sched(p); err != nil {
		return nil, err
	}
	if err := sys.lsm(p); err != nil {
		return nil, err
	}
	caps, err := sys.dropBounding(p.Capabilities)
	if err != nil {
		return nil, err
	}
	if err := sys.ownStdio(p.User.UID); err != nil {
		return nil, err
	}
	// Before any filter: a strict profile may not allow close_range.
	if err := sys.closeOnExec(3 + o.preserveFds); err != nil {
		return nil, err
	}
	if o.seccomp != nil && !p.NoNewPrivileges {
		if err := sys.loadSeccomp(o); err != nil {
			return nil, err
		}
		o.seccomp = nil
	}
	env, err := sys.setUser(p)
	if err != nil {
		return nil, err
	}
	if err := sys.applyCaps(caps); err != nil {
		return nil, err
	}
	if p.NoNewPrivileges {
		if err := sys.noNewPrivs(); err != nil {
			return nil, err
		}
	}
	if o.seccomp != nil && o.seccomp.Notify {
		if err := sys.loadSeccomp(o); err != nil {
			return nil, err
		}
		o.seccomp = nil
	}
	path, err := sys.lookPath(p.Args[0], env)
	if err != nil {
		return nil, err
	}
	return &userProcess{path: path, args: p.Args, env: env, fifo: o.fifo, seccomp: o.seccomp}, nil
}

// loadSeccomp loads the filter and sends its listener, if any, to the
// runtime.
func loadSeccomp(o procOpts) error {
	fd, err := seccomp.Load(o.seccomp)
	if err != nil {
		return fmt.Errorf("linux.seccomp: %w", err)
	}
	if fd < 0 {
		return nil
	}
	defer unix.Close(fd)
	defer unix.Close(o.seccompFd)
	if err := sendFd(o.seccompFd, fd, []byte("seccomp")); err != nil {
		return fmt.Errorf("sending the seccomp listener: %w", err)
	}
	return nil
}

var rlimits = map[string]int{
	"RLIMIT_AS": unix.RLIMIT_AS, "RLIMIT_CORE": unix.RLIMIT_CORE, "RLIMIT_CPU": unix.RLIMIT_CPU,
	"RLIMIT_DATA": unix.RLIMIT_DATA, "RLIMIT_FSIZE": unix.RLIMIT_FSIZE, "RLIMIT_LOCKS": unix.RLIMIT_LOCKS,
	"RLIMIT_MEMLOCK": unix.RLIMIT_MEMLOCK, "RLIMIT_MSGQUEUE": unix.RLIMIT_MSGQUEUE, "RLIMIT_NICE": unix.RLIMIT_NICE,
	"RLIMIT_NOFILE": unix.RLIMIT_NOFILE, "RLIMIT_NPROC": unix.RLIMIT_NPROC, "RLIMIT_RSS": unix.RLIMIT_RSS,
	"RLIMIT_RTPRIO": unix.RLIMIT_RTPRIO, "RLIMIT_RTTIME": unix.RLIMIT_RTTIME,
	"RLIMIT_SIGPENDING": unix.RLIMIT_SIGPENDING, "RLIMIT_STACK": unix.RLIMIT_STACK,
}

// setUser switches to process.user and returns the environment with HOME
// filled in from the container's /etc/passwd when the config lacks it.
func setUser(p *specs.Process) ([]string, error) {
	u := p.User
	env := processEnv(p.Env, u.UID)
	// Only this thread's credentials change: the process is executed from
	// it (init's main goroutine is locked to it) and takes them. Go's own
	// setuid calls stop every thread, ~0.1 ms each; init's other threads
	// run only the runtime.
	groups := make([]int, len(u.AdditionalGids))
	for i, g := range u.AdditionalGids {
		groups[i] = int(g)
	}
	if err := unix.Setgroups(groups); err != nil {
		// A user namespace of rootless runo denies setgroups: then the
		// process keeps no groups anyway, but cannot be given any.
		if len(groups) > 0 || !setgroupsDenied() {
			return nil, fmt.Errorf("process.user.additionalGids %s: %w", quoteList(u.AdditionalGids), err)
		}
	}
	if _, _, e := unix.RawSyscall(unix.SYS_SETRESGID, uintptr(u.GID), uintptr(u.GID), uintptr(u.GID)); e != 0 {
		return nil, fmt.Errorf("process.user.gid %d: %w", u.GID, e)
	}
	if _, _, e := unix.RawSyscall(unix.SYS_SETRESUID, uintptr(u.UID), uintptr(u.UID), uintptr(u.UID)); e != 0 {
		return nil, fmt.Errorf("process.user.uid %d: %w", u.UID, e)
	}
	umask := 0o022
	if u.Umask != nil {
		umask = int(*u.Umask)
	}
	unix.Umask(umask)
	return env, nil
}

// ownStdio gives the process's stdio pipes and sockets to its user, as
// runc does, so that a process that is not root can reopen them through
// /proc/self/fd (/dev/stdout). Unlike runc, files and devices are left
// alone: they may be the host's, such as the terminal runo was run from.
func ownStdio(uid uint32) error {
	for fd := 0; fd <= 2; fd++ {
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil {
			if err == unix.EBADF {
				continue
			}
			return fmt.Errorf("stdio fd %d: %w", fd, err)
		}
		t := st.Mode & unix.S_IFMT
		if (t != unix.S_IFIFO && t != unix.S_IFSOCK) || st.Uid == uid {
			continue
		}
		// EPERM and EINVAL: the owner or uid is not mapped in the
		// container's user namespace; the process keeps the open fd anyway.
		if err := unix.Fchown(fd, int(uid), -1); err != nil && err != unix.EPERM && err != unix.EINVAL {
			return fmt.Errorf("giving stdio fd %d to uid %d: %w", fd, uid, err)
		}
	}
	return nil
}

func setgroupsDenied() bool {
	b, err := os.ReadFile("/proc/self/setgroups")
	return err == nil && strings.TrimSpace(string(b)) == "deny"
}

// processEnv is the environment the process gets, as runc makes it: of a
// variable given twice only the last stays (where it stood), and HOME,
// when missing or empty, comes from the container's /etc/passwd ("/"
// without an entry).
func processEnv(env []string, uid uint32) []string {
	out := make([]string, 0, len(env)+1)
	seen := map[string]bool{}
	for i := len(env) - 1; i >= 0; i-- {
		name, value, _ := strings.Cut(env[i], "=")
		if seen[name] {
			continue
		}
		seen[name] = true
		if name == "HOME" && value == "" {
			continue
		}
		out = append(out, env[i])
	}
	slices.Reverse(out)
	if !slices.ContainsFunc(out, func(kv string) bool { return strings.HasPrefix(kv, "HOME=") }) {
		home := "/"
		if users, err := user.ParsePasswdFileFilter("/etc/passwd", func(e user.User) bool { return e.Uid == int(uid) }); err == nil && len(users) > 0 {
			home = users[0].Home
		}
		out = append(out, "HOME="+home)
	}
	return out
}

const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// lookPath finds the executable as execvp would with the process's PATH.
// The messages are runc's, which docker maps to exit codes 126 and 127.
func lookPath(file string, env []string) (string, error) {
	if strings.Contains(file, "/") {
		if err := checkExecutable(file); err != nil {
			return "", fmt.Errorf("exec: %q: %w", file, err)
		}
		return file, nil
	}
	path := defaultPath
	for _, e := range env {
		if v, ok := strings.CutPrefix(e, "PATH="); ok {
			path = v
		}
	}
	var denied error
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			dir = "."
		}
		p := filepath.Join(dir, file)
		err := checkExecutable(p)
		if err == nil {
			return p, nil
		}
		if errors.Is(err, unix.EACCES) && denied == nil {
			denied = err
		}
	}
	if denied != nil {
		return "", fmt.Errorf("exec: %q: %w", file, denied)
	}
	return "", fmt.Errorf("exec: %q: executable file not found in $PATH", file)
}

func checkExecutable(p string) error {
	st, err := os.Stat(p)
	if err != nil {
		return err
	}
	if st.IsDir() {
		return &os.PathError{Op: "exec", Path: p, Err: unix.EACCES}
	}
	// With the effective ids and capabilities, as execve judges: a user
	// with CAP_DAC_OVERRIDE may execute a file with no exec bit for it.
	if err := unix.Faccessat(unix.AT_FDCWD, p, unix.X_OK, unix.AT_EACCESS); err != nil {
		return &os.PathError{Op: "exec", Path: p, Err: err}
	}
	return nil
}

// knowLastCap has the capability package read and keep the kernel's last
// capability while /proc is still the host's (create), or, for exec, where
// /proc is the container's, checks it against the value the runtime read
// on the host: a fake cap_last_cap would leave capabilities above it in
// the bounding set.
func knowLastCap(b *bootstrap) error {
	last, err := capability.LastCap()
	if err != nil || b.Exec == nil {
		return err
	}
	if int(last) != b.LastCap {
		return errors.New("the container's /proc/sys/kernel/cap_last_cap is not the kernel's")
	}
	return nil
}

// listenEnv announces n socket-activation descriptors to the process, which
// is pid 1 of its namespace as far as systemd's protocol goes (as in runc).
func listenEnv(env []string, n int) []string {
	if n == 0 {
		return env
	}
	return mergeEnv(env, []string{"LISTEN_FDS=" + strconv.Itoa(n), "LISTEN_PID=1"})
}

// setSched applies the scheduling attributes and I/O priority to the
// calling thread, the one that executes the process.
func setSched(p *specs.Process) error {
	if s := p.Scheduler; s != nil {
		attr := unix.SchedAttr{
			Policy: schedPolicies[s.Policy], Nice: s.Nice, Priority: uint32(s.Priority),
			Runtime: s.Runtime, Deadline: s.Deadline, Period: s.Period,
		}
		for _, f := range s.Flags {
			attr.Flags |= schedFlags[f]
		}
		if err := unix.SchedSetAttr(0, &attr, 0); err != nil {
			if err == unix.EPERM && s.Policy == specs.SchedDeadline {
				// The kernel wants every cpu of the root domain for a
				// deadline task; a cpuset that limits them is why, in
				// runc's words.
				return fmt.Errorf("process.scheduler: %w: SCHED_DEADLINE needs all cpus, a process scheduler can't be used together with AllowedCPUs (linux.resources.cpu.cpus)", err)
			}
			return fmt.Errorf("process.scheduler: %w", err)
		}
	}
	if io := p.IOPriority; io != nil {
		const whoProcess = 1 // IOPRIO_WHO_PROCESS: with 0, the calling thread
		prio := ioprioClasses[io.Class]<<13 | io.Priority
		if _, _, e := unix.Syscall(unix.SYS_IOPRIO_SET, whoProcess, 0, uintptr(prio)); e != 0 {
			return fmt.Errorf("process.ioPriority: %w", e)
		}
	}
	return nil
}

// setLSM makes the kernel apply the process's profile and label at its
// exec. They are attributes of the executing thread, init's main one.
func setLSM(p *specs.Process) error {
	if p.ApparmorProfile != "" {
		file := "self/attr/apparmor/exec"
		if _, err := os.Stat("/proc/thread-self/attr/apparmor"); err != nil {
			file = "self/attr/exec"
		}
		if err := writeProc(file, "exec "+p.ApparmorProfile); err != nil {
			return fmt.Errorf("process.apparmorProfile %q: %w", p.ApparmorProfile, err)
		}
	}
	if p.SelinuxLabel != "" {
		if err := writeProc("self/attr/exec", p.SelinuxLabel); err != nil {
			return fmt.Errorf("process.selinuxLabel %q: %w", p.SelinuxLabel, err)
		}
	}
	return nil
}
