package libcontainer

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/moby/sys/capability"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/runo-runtime/runo/cgroups"
	"github.com/runo-runtime/runo/nsenter"
	"github.com/runo-runtime/runo/seccomp"
)

// configFile is the container's config.json as create read it: exec takes
// the defaults of its process from there, not from a bundle that may have
// changed since.
const configFile = "config.json"

// ExecOpts are the inputs of Exec. Without Process, the new process is the
// container's own with Args and the other fields applied, as runc does.
type ExecOpts struct {
	Process *specs.Process
	Args    []string
	Env     []string
	Cwd     string
	// User is "uid" or "uid:gid".
	User           string
	AdditionalGids []uint32
	NoNewPrivs     bool
	// Tty is -t: the process gets a terminal.
	Tty bool
	// Caps are added to the process's bounding, effective and permitted
	// sets (and ambient, if it has inheritable ones), as runc's --cap.
	Caps            []string
	ApparmorProfile string
	ProcessLabel    string
	// Cgroups are --cgroup's "[controller[,controller]:]path": sub-cgroups
	// of the container's to run the process in.
	Cgroups []string

	Detach       bool
	PidFile      string
	PreserveFds  int
	ListenFds    int
	PidfdSocket  string
	IgnorePaused bool
	// ConsoleSocket receives the terminal of a detached process.
	ConsoleSocket string
}

// Exec starts a process in the container's namespaces and cgroups. In the
// foreground it relays signals to it, waits, and returns its exit status;
// detached, it returns once the process runs.
func (c *Container) Exec(o ExecOpts) (int, error) {
	op := OpExec
	if o.IgnorePaused {
		op = OpExecPaused
	}
	if err := c.check(op); err != nil {
		return 0, err
	}
	p, err := c.execProcess(o)
	if err != nil {
		return 0, err
	}
	cg, err := c.cgroups().Sub(o.Cgroups)
	if err != nil {
		return 0, err
	}
	cons, err := openConsole(p, ConsoleOpts{Socket: o.ConsoleSocket, Detach: o.Detach})
	if err != nil {
		return 0, err
	}
	defer cons.Close()
	prog, err := readSeccompFile(c.h.dir)
	if err != nil {
		return 0, err
	}
	sigs, notified := notifySignals(o.Detach)
	pid, err := c.startExec(p, o, cg, cons, prog)
	if err != nil {
		return 0, err
	}
	var tty *ttyProxy
	if cons != nil && cons.parent != nil {
		master, err := cons.receive()
		if err == nil {
			tty, err = proxyTTY(master)
		}
		if err != nil {
			unix.Kill(pid, unix.SIGKILL)
			reapExited(pid)
			return 0, err
		}
	}
	if err := announce(pid, o.PidFile, o.PidfdSocket); err != nil {
		// The terminal runo was proxying goes back to how it was.
		if tty != nil && tty.host != nil {
			tty.host.Reset()
		}
		return 0, err
	}
	if o.Detach {
		return 0, nil
	}
	<-notified
	status := forwardUntilExit(pid, sigs, tty.resize)
	tty.close()
	return status, nil
}

// execProcess builds and checks the process to execute.
func (c *Container) execProcess(o ExecOpts) (*specs.Process, error) {
	p := o.Process
	if p == nil {
		data, err := os.ReadFile(filepath.Join(c.h.dir, configFile))
		if err != nil {
			return nil, fmt.Errorf("reading the container's config: %w", err)
		}
		spec, err := ParseSpec(data)
		if err != nil {
			return nil, err
		}
		p = spec.Process
		p.Args = o.Args
		p.Env = mergeEnv(p.Env, o.Env)
		if o.Cwd != "" {
			p.Cwd = o.Cwd
		}
		if o.User != "" {
			if err := parseUser(o.User, &p.User); err != nil {
				return nil, err
			}
		}
		p.User.AdditionalGids = append(p.User.AdditionalGids, o.AdditionalGids...)
		p.NoNewPrivileges = p.NoNewPrivileges || o.NoNewPrivs
		p.Terminal = o.Tty
		addCaps(p, o.Caps)
		if o.ApparmorProfile != "" {
			p.ApparmorProfile = o.ApparmorProfile
		}
		if o.ProcessLabel != "" {
			p.SelinuxLabel = o.ProcessLabel
		}
	}
	if err := validateProcess(p); err != nil {
		return nil, err
	}
	if err := validateLSM(p, ""); err != nil {
		return nil, err
	}
	p.Env = listenEnv(p.Env, o.ListenFds)
	return p, nil
}

// mergeEnv adds extra to env, a name given again replacing its value.
func mergeEnv(env, extra []string) []string {
	out := append([]string(nil), env...)
	for _, e := range extra {
		name, _, _ := strings.Cut(e, "=")
		replaced := false
		for i, o := range out {
			if strings.HasPrefix(o, name+"=") {
				out[i], replaced = e, true
			}
		}
		if !replaced {
			out = append(out, e)
		}
	}
	return out
}

// listenEnv announces n socket-activation descriptors to the process, which
// is pid 1 of its namespace as far as systemd's protocol goes (as in runc).
func listenEnv(env []string, n int) []string {
	if n == 0 {
		return env
	}
	return mergeEnv(env, []string{"LISTEN_FDS=" + strconv.Itoa(n), "LISTEN_PID=1"})
}

// parseUser reads --user "uid[:gid]".
func parseUser(s string, u *specs.User) error {
	uid, gid, hasGid := strings.Cut(s, ":")
	n, err := strconv.ParseUint(uid, 10, 32)
	if err != nil {
		return fmt.Errorf("--user %q: the uid must be a number", s)
	}
	u.UID, u.GID = uint32(n), 0
	if hasGid {
		n, err := strconv.ParseUint(gid, 10, 32)
		if err != nil {
			return fmt.Errorf("--user %q: the gid must be a number", s)
		}
		u.GID = uint32(n)
	}
	return nil
}

// execNamespaces are the namespace files of a process, by runtime-spec type.
var execNamespaces = []struct{ typ, file string }{
	{"user", "user"}, {"ipc", "ipc"}, {"uts", "uts"}, {"network", "net"}, {"pid", "pid"},
	{"cgroup", "cgroup"}, {"time", "time"}, {"mount", "mnt"},
}

// startExec starts `runo init` in exec mode inside every namespace of the
// container's init that differs from runo's own, and in its cgroups.
func (c *Container) startExec(p *specs.Process, o ExecOpts, cg cgroups.Manager, cons *ptySocket, prog *seccomp.Program) (int, error) {
	st := c.State
	cfg := &nsenter.Config{Args: []string{"runo", "init"}}
	for _, ns := range execNamespaces {
		path := fmt.Sprintf("/proc/%d/ns/%s", st.Pid, ns.file)
		if sameFile(path, "/proc/self/ns/"+ns.file) {
			continue
		}
		cfg.Namespaces = append(cfg.Namespaces, nsenter.Namespace{Type: ns.typ, Path: path})
	}
	// The namespace paths were the container's if its init still is.
	if !processAlive(st.Pid, st.PidStartTime) {
		return 0, checkOp(OpExec, c.ID, Stopped)
	}
	entry, err := cg.Entry()
	if err != nil {
		return 0, err
	}
	defer entry.Close()
	cfg.CgroupTasks, cfg.Cgroup2 = entry.Tasks, entry.Unified
	exe, err := selfExe()
	if err != nil {
		return 0, err
	}
	defer exe.Close()
	cfg.Exe = exe
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return 0, fmt.Errorf("creating sync socket: %w", err)
	}
	conn, child := os.NewFile(uintptr(fds[0]), "sync"), os.NewFile(uintptr(fds[1]), "sync-child")
	defer conn.Close()
	cfg.Env = []string{syncFdEnv + "=" + strconv.Itoa(int(child.Fd()))}
	for fd := 3; fd < 3+o.ListenFds+o.PreserveFds; fd++ {
		cfg.KeepFds = append(cfg.KeepFds, fd)
	}
	cfg.KeepFds = append(cfg.KeepFds, int(child.Fd()))
	last, err := capability.LastCap()
	if err != nil {
		return 0, err
	}
	b := &bootstrap{ID: c.ID, Exec: p, PreserveFds: o.ListenFds + o.PreserveFds, Seccomp: prog, LastCap: int(last)}
	if cons != nil {
		cfg.KeepFds = append(cfg.KeepFds, int(cons.child.Fd()))
		b.ConsoleFd = int(cons.child.Fd())
	}
	lis, err := newListener(prog != nil && prog.Notify)
	if err != nil {
		return 0, err
	}
	if lis != nil {
		cfg.KeepFds = append(cfg.KeepFds, lis.childFd())
		b.SeccompFd = lis.childFd()
	}
	pid, err := nsenter.Start(cfg)
	child.Close()
	lis.start(prog, specs.State{
		Version: specs.Version, ID: c.ID, Status: specs.StateRunning, Pid: pid, Bundle: st.Bundle, Annotations: st.Annotations,
	})
	if err != nil {
		return 0, err
	}
	json.NewEncoder(conn).Encode(b)
	var msg initMsg
	if err := json.NewDecoder(conn).Decode(&msg); err != nil {
		reapExited(pid)
		if errors.Is(err, io.EOF) {
			return 0, errors.New("exec: runo init exited before the process started")
		}
		return 0, fmt.Errorf("reading from runo init: %w", err)
	}
	if msg.Type != "ready" {
		reapExited(pid)
		return 0, errors.New(msg.Error)
	}
	if err := lis.wait(); err != nil {
		unix.Kill(pid, unix.SIGKILL)
		reapExited(pid)
		return 0, err
	}
	return pid, nil
}

// addCaps adds --cap's capabilities to the process, as runc does: to its
// bounding, effective and permitted sets, and to the ambient set only when
// the inheritable set, which ambient ones need, is given.
func addCaps(p *specs.Process, caps []string) {
	if len(caps) == 0 {
		return
	}
	if p.Capabilities == nil {
		p.Capabilities = &specs.LinuxCapabilities{}
	}
	c := p.Capabilities
	c.Bounding = append(c.Bounding, caps...)
	c.Effective = append(c.Effective, caps...)
	c.Permitted = append(c.Permitted, caps...)
	if c.Inheritable != nil {
		c.Ambient = append(c.Ambient, caps...)
	}
}

// reapExited reaps a child that has exited or is about to.
func reapExited(pid int) {
	var ws unix.WaitStatus
	for {
		if _, err := unix.Wait4(pid, &ws, 0, nil); err != unix.EINTR {
			return
		}
	}
}

func sameFile(a, b string) bool {
	var sa, sb unix.Stat_t
	return unix.Stat(a, &sa) == nil && unix.Stat(b, &sb) == nil && sa.Dev == sb.Dev && sa.Ino == sb.Ino
}
