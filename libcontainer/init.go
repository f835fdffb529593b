package libcontainer

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	"github.com/cyphar/filepath-securejoin/pathrs-lite/procfs"
	"github.com/moby/sys/capability"
	"github.com/moby/sys/user"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/runo-runtime/runo/seccomp"
)

// syncFdEnv tells `runo init` which descriptor is its end of the socket to
// the runtime.
const syncFdEnv = "_RUNO_SYNC_FD"

// bootstrap is what the runtime tells init, through the sync socket.
type bootstrap struct {
	ID     string          `json:"id"`
	Config json.RawMessage `json:"config"`
	Bundle string          `json:"bundle"`
	Rootfs string          `json:"rootfs"`
	// FifoFd is init's descriptor of exec.fifo (O_PATH), inherited: the
	// path may not be reachable from a user namespace.
	FifoFd int `json:"fifo_fd"`
	// IDMapFds are init's descriptors of the detached idmapped mounts, by
	// mount index.
	IDMapFds     map[int]int       `json:"idmap_fds,omitempty"`
	NoPivot      bool              `json:"no_pivot,omitempty"`
	NoNewKeyring bool              `json:"no_new_keyring,omitempty"`
	PreserveFds  int               `json:"preserve_fds,omitempty"`
	CgroupPaths  map[string]string `json:"cgroup_paths,omitempty"`
	// ListenFds is how many of the preserved descriptors are socket-activation
	// ones, announced to the process in LISTEN_FDS.
	ListenFds int `json:"listen_fds,omitempty"`
	// Pid is init's pid as the runtime sees it, for hooks.
	Pid int `json:"pid,omitempty"`
	// ConsoleFd is init's descriptor of the console socket, when the
	// process has a terminal.
	ConsoleFd int `json:"console_fd,omitempty"`
	// Seccomp is the compiled filter of the process, and SeccompFd the
	// socket its listener goes to, if it notifies one.
	Seccomp   *seccomp.Program `json:"seccomp,omitempty"`
	SeccompFd int              `json:"seccomp_fd,omitempty"`
	// Exec is the process of `runo exec`: init only becomes it.
	Exec *specs.Process `json:"exec,omitempty"`
	// LastCap is the kernel's last capability as the runtime read it on
	// the host, for exec.
	LastCap int `json:"last_cap,omitempty"`
}

// initMsg is init's answer on the sync socket: "ready", or "error" with the
// reason.
type initMsg struct {
	Type  string `json:"type"`
	Error string `json:"error,omitempty"`
}

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
	dec := json.NewDecoder(conn)
	var b bootstrap
	if err := dec.Decode(&b); err != nil {
		// The runtime went away before sending anything: nothing to do.
		return 1
	}
	p, err := setupInit(conn, dec, &b)
	if err != nil {
		json.NewEncoder(conn).Encode(initMsg{Type: "error", Error: err.Error()})
		return 1
	}
	if err := json.NewEncoder(conn).Encode(initMsg{Type: "ready"}); err != nil {
		return 1
	}
	conn.Close()
	err = p.execOnStart()
	fmt.Fprintf(os.Stderr, "runo init: %v\n", err)
	return 1
}

// setupInit sets up the container (create) or the process (exec).
func setupInit(conn *os.File, dec *json.Decoder, b *bootstrap) (*userProcess, error) {
	if err := knowLastCap(b); err != nil {
		return nil, err
	}
	if b.Exec != nil {
		return setupExec(b)
	}
	spec, err := ParseSpec(b.Config)
	if err != nil {
		return nil, err
	}
	return setup(b, spec, func() error { return createHooks(conn, dec, b, spec) })
}

// userProcess is the process init executes at start.
type userProcess struct {
	path        string
	args, env   []string
	fifo        *os.File
	preserveFds int
	// seccomp, if set, is loaded just before the exec.
	seccomp *seccomp.Program
	// startHooks run once start has opened the fifo, before the exec.
	startHooks []specs.Hook
	hookState  []byte
}

// setupExec prepares the process of `runo exec`, pinned first to the
// initial cpus of process.execCPUAffinity while it sets up, then to the
// final ones (the initial if there are none) for the process itself.
func setupExec(b *bootstrap) (*userProcess, error) {
	if b.Exec.Terminal {
		if err := setupConsole(b.ConsoleFd, b.Exec.ConsoleSize, false, b.Exec.User.UID); err != nil {
			return nil, err
		}
	}
	o := procOpts{preserveFds: b.PreserveFds, seccomp: b.Seccomp, seccompFd: b.SeccompFd}
	aff := b.Exec.ExecCPUAffinity
	if aff == nil {
		return setupProcess(b.Exec, o)
	}
	if err := setAffinity(aff.Initial); err != nil {
		return nil, err
	}
	p, err := setupProcess(b.Exec, o)
	if err != nil {
		return nil, err
	}
	return p, setAffinity(aff.Final)
}

// createHooks runs the hooks of create at their point, mounts made and
// before pivot_root: prestart and createRuntime by the runtime, then
// createContainer here, in the container's namespaces.
func createHooks(conn *os.File, dec *json.Decoder, b *bootstrap, spec *specs.Spec) error {
	if !hasCreateHooks(spec.Hooks) {
		return nil
	}
	if err := json.NewEncoder(conn).Encode(initMsg{Type: "hooks"}); err != nil {
		return err
	}
	var msg initMsg
	if err := dec.Decode(&msg); err != nil || msg.Type != "hooks-done" {
		return fmt.Errorf("waiting for the runtime's hooks: %v", err)
	}
	state := hookState(b.ID, Creating, b.Pid, b.Bundle, spec.Annotations)
	return runHooks("createContainer", spec.Hooks.CreateContainer, state)
}

// setup does everything that can fail before the container is created, so
// that create reports it. hooks runs the create hooks before pivot_root.
func setup(b *bootstrap, spec *specs.Spec, hooks func() error) (*userProcess, error) {
	unix.Umask(0)
	if !b.NoNewKeyring {
		if _, err := unix.KeyctlJoinSessionKeyring("_ses." + b.ID); err != nil && err != unix.ENOSYS {
			return nil, fmt.Errorf("joining a new session keyring: %w", err)
		}
	}
	fifo := os.NewFile(uintptr(b.FifoFd), "exec.fifo")
	unix.CloseOnExec(b.FifoFd)
	var r *rootfs
	if newNamespace(spec, "mount") {
		r = &rootfs{path: b.Rootfs, bundle: b.Bundle, spec: spec, cgroupPaths: b.CgroupPaths,
			cgroupNS: newNamespace(spec, specs.CgroupNamespace), userns: hasNamespace(spec, specs.UserNamespace), idmapFds: b.IDMapFds}
		if err := r.prepare(); err != nil {
			return nil, err
		}
	}
	if err := hooks(); err != nil {
		return nil, err
	}
	if r != nil {
		if err := r.pivot(b.NoPivot); err != nil {
			return nil, fmt.Errorf("entering rootfs: %w", err)
		}
	}
	// The pty comes from the container's devpts, mounted by now, and binds
	// over /dev/console before a read-only root could prevent it.
	if spec.Process.Terminal {
		if err := setupConsole(b.ConsoleFd, spec.Process.ConsoleSize, r != nil, spec.Process.User.UID); err != nil {
			return nil, err
		}
	}
	// Sysctls go in before readonlyPaths (usually /proc/sys) close them.
	if err := setupSystem(spec); err != nil {
		return nil, err
	}
	if err := setPersonality(spec.Linux.Personality); err != nil {
		return nil, err
	}
	if err := setMemoryPolicy(spec.Linux.MemoryPolicy); err != nil {
		return nil, err
	}
	if r != nil {
		if err := r.finish(); err != nil {
			return nil, err
		}
	}
	spec.Process.Env = listenEnv(spec.Process.Env, b.ListenFds)
	p, err := setupProcess(spec.Process, procOpts{fifo: fifo, preserveFds: b.PreserveFds, seccomp: b.Seccomp, seccompFd: b.SeccompFd})
	if err != nil {
		return nil, err
	}
	if spec.Hooks != nil && len(spec.Hooks.StartContainer) > 0 {
		p.startHooks = spec.Hooks.StartContainer
		p.hookState = hookState(b.ID, Created, b.Pid, b.Bundle, spec.Annotations)
	}
	return p, nil
}

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
func setupProcess(p *specs.Process, o procOpts) (*userProcess, error) {
	for _, rl := range p.Rlimits {
		lim := syscall.Rlimit{Cur: rl.Soft, Max: rl.Hard}
		// syscall.Setrlimit, unlike a raw prlimit, also tells the Go runtime
		// not to restore its saved RLIMIT_NOFILE at exec.
		if err := syscall.Setrlimit(rlimits[rl.Type], &lim); err != nil {
			return nil, fmt.Errorf("process.rlimits %s (soft %d, hard %d): %w", rl.Type, rl.Soft, rl.Hard, err)
		}
	}
	if adj := p.OOMScoreAdj; adj != nil {
		if err := writeProc("self/oom_score_adj", strconv.Itoa(*adj)); err != nil {
			return nil, fmt.Errorf("process.oomScoreAdj %d: %w", *adj, err)
		}
	}
	if err := unix.Chdir(p.Cwd); err != nil {
		return nil, fmt.Errorf("process.cwd %s: %w", p.Cwd, err)
	}
	// A cwd reached through a descriptor of the runtime could lie outside
	// the container's root (CVE-2024-21626): the kernel then has no path
	// for it from the root.
	if wd, err := unix.Getwd(); err != nil || !strings.HasPrefix(wd, "/") {
		return nil, fmt.Errorf("process.cwd %s: not inside the container", p.Cwd)
	}
	if err := setSched(p); err != nil {
		return nil, err
	}
	if err := setLSM(p); err != nil {
		return nil, err
	}
	caps, err := newProcessCaps(p.Capabilities)
	if err != nil {
		return nil, err
	}
	if caps != nil {
		if err := caps.dropBounding(); err != nil {
			return nil, err
		}
	}
	if err := ownStdio(p.User.UID); err != nil {
		return nil, err
	}
	if o.seccomp != nil && !p.NoNewPrivileges {
		if err := loadSeccomp(o); err != nil {
			return nil, err
		}
		o.seccomp = nil
	}
	env, err := setUser(p)
	if err != nil {
		return nil, err
	}
	if caps != nil {
		if err := caps.apply(); err != nil {
			return nil, err
		}
	}
	if p.NoNewPrivileges {
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			return nil, fmt.Errorf("process.noNewPrivileges: %w", err)
		}
	}
	if o.seccomp != nil && o.seccomp.Notify {
		if err := loadSeccomp(o); err != nil {
			return nil, err
		}
		o.seccomp = nil
	}
	path, err := lookPath(p.Args[0], env)
	if err != nil {
		return nil, err
	}
	return &userProcess{path: path, args: p.Args, env: env, fifo: o.fifo, preserveFds: o.preserveFds, seccomp: o.seccomp}, nil
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

// hasNamespace says the container has a namespace of type t, new or joined.
func hasNamespace(spec *specs.Spec, t specs.LinuxNamespaceType) bool {
	for _, ns := range spec.Linux.Namespaces {
		if ns.Type == t {
			return true
		}
	}
	return false
}

func newNamespace(spec *specs.Spec, t specs.LinuxNamespaceType) bool {
	for _, ns := range spec.Linux.Namespaces {
		if ns.Type == t {
			return ns.Path == ""
		}
	}
	return false
}

// setupSystem applies the namespaced kernel settings of the spec.
func setupSystem(spec *specs.Spec) error {
	if spec.Hostname != "" {
		if err := unix.Sethostname([]byte(spec.Hostname)); err != nil {
			return fmt.Errorf("hostname: %w", err)
		}
	}
	if spec.Domainname != "" {
		if err := unix.Setdomainname([]byte(spec.Domainname)); err != nil {
			return fmt.Errorf("domainname: %w", err)
		}
	}
	for key, value := range spec.Linux.Sysctl {
		if err := writeProc("sys/"+strings.ReplaceAll(key, ".", "/"), value); err != nil {
			return fmt.Errorf("linux.sysctl %s: %w", key, err)
		}
	}
	return nil
}

// writeProc writes a kernel setting under /proc: "self/..." of init's
// executing thread, or any other path from procfs's root ("sys/...").
// It goes through a private procfs instance that pathrs-lite mounts
// detached, where nothing the container's config or image mounted over
// /proc can redirect the write to another file (CVE-2019-16884,
// CVE-2025-52881).
func writeProc(path, value string) error {
	if procRoot == nil {
		h, err := procfs.OpenProcRoot()
		if err != nil {
			return fmt.Errorf("opening procfs: %w", err)
		}
		procRoot = h
	}
	var f *os.File
	var err error
	if sub, ok := strings.CutPrefix(path, "self/"); ok {
		var done procfs.ProcThreadSelfCloser
		f, done, err = procRoot.OpenThreadSelf(sub)
		if err == nil {
			defer done()
		}
	} else {
		f, err = procRoot.OpenRoot(path)
	}
	if err != nil {
		return err
	}
	defer f.Close()
	w, err := pathrs.Reopen(f, unix.O_WRONLY|unix.O_CLOEXEC)
	if err != nil {
		return err
	}
	defer w.Close()
	_, err = w.WriteString(value)
	return err
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

// procRoot is init's procfs handle, opened at the first writeProc.
var procRoot *procfs.Handle

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
	env := p.Env
	if !hasEnv(env, "HOME") {
		home := "/"
		if users, err := user.ParsePasswdFileFilter("/etc/passwd", func(e user.User) bool { return e.Uid == int(u.UID) }); err == nil && len(users) > 0 {
			home = users[0].Home
		}
		env = append(append([]string(nil), env...), "HOME="+home)
	}
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
			return nil, fmt.Errorf("process.user.additionalGids %v: %w", u.AdditionalGids, err)
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

func hasEnv(env []string, name string) bool {
	for _, e := range env {
		if strings.HasPrefix(e, name+"=") {
			return true
		}
	}
	return false
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
	if err := unix.Access(p, unix.X_OK); err != nil {
		return &os.PathError{Op: "exec", Path: p, Err: err}
	}
	return nil
}

// reopenFifo opens exec.fifo for writing, which blocks until start opens
// it. The container's /proc may not be procfs: a reopen through it that
// is not the fifo itself is redone through pathrs-lite's own procfs.
func reopenFifo(fifo *os.File) (int, error) {
	fd, err := unix.Open("/proc/self/fd/"+strconv.Itoa(int(fifo.Fd())), unix.O_WRONLY|unix.O_CLOEXEC, 0)
	if err == nil {
		var a, b unix.Stat_t
		if unix.Fstat(fd, &a) == nil && unix.Fstat(int(fifo.Fd()), &b) == nil && a.Dev == b.Dev && a.Ino == b.Ino {
			return fd, nil
		}
		unix.Close(fd)
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
// process with only stdio and the preserved descriptors open.
func (p *userProcess) execOnStart() error {
	if p.fifo != nil {
		fd, err := reopenFifo(p.fifo)
		if err != nil {
			return fmt.Errorf("opening exec fifo: %w", err)
		}
		// start learns from the fifo whether the process runs: "0", or "1"
		// and why not.
		answer := []byte("0")
		hookErr := runHooks("startContainer", p.startHooks, p.hookState)
		if hookErr != nil {
			answer = append([]byte("1"), hookErr.Error()...)
		}
		if _, err := unix.Write(fd, answer); err != nil {
			return fmt.Errorf("writing exec fifo: %w", err)
		}
		unix.Close(fd)
		if hookErr != nil {
			return hookErr
		}
	}
	if err := unix.CloseRange(uint(3+p.preserveFds), ^uint(0), unix.CLOSE_RANGE_CLOEXEC); err != nil {
		return fmt.Errorf("marking descriptors close-on-exec: %w", err)
	}
	// As few syscalls as possible run under the filter before the exec.
	if p.seccomp != nil {
		if _, err := seccomp.Load(p.seccomp); err != nil {
			return fmt.Errorf("linux.seccomp: %w", err)
		}
	}
	err := syscall.Exec(p.path, p.args, p.env)
	return fmt.Errorf("exec %s: %w", p.path, err)
}
