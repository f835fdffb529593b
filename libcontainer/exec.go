package libcontainer

import (
	"encoding/json"
	"errors"
	"fmt"
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
	if err := checkPassedFds(o.ListenFds, o.PreserveFds); err != nil {
		return 0, err
	}
	saved := &savedConfig{path: filepath.Join(c.h.dir, configFile)}
	p, err := c.execProcess(o, saved)
	if err != nil {
		return 0, err
	}
	for _, why := range UnsupportedCaps(p.Capabilities) {
		c.warn(fmt.Errorf("process.capabilities: %s, and skipped", why))
	}
	cg, err := c.cgroups().Sub(o.Cgroups)
	if err != nil {
		return 0, err
	}
	if len(o.Cgroups) == 0 {
		if dir := initCgroup2(c.State); dir != "" {
			cg = cgroups.NewFS(map[string]string{cgroups.Unified: dir}, nil)
		}
	}
	cons, err := openConsole(p, ConsoleOpts{Socket: o.ConsoleSocket, Detach: o.Detach})
	if err != nil {
		return 0, err
	}
	defer cons.Close()
	prog, err := c.execSeccomp(saved)
	if err != nil {
		return 0, err
	}
	sigs, notified := notifySignals(o.Detach)
	pid, err := c.startExec(p, o, cg, cons, prog)
	if err != nil && c.rootless && len(o.Cgroups) == 0 && errors.Is(err, nsenter.ErrJoinCgroup) &&
		(errors.Is(err, unix.EACCES) || errors.Is(err, unix.EPERM)) {
		// runc's rule: rootless, a process that may not join the
		// container's cgroup (its caller's is outside the user's delegated
		// tree, as rootless dockerd's shim started outside systemd) runs
		// in its caller's. Nothing of the failed attempt runs.
		c.warn(fmt.Errorf("rootless: the process stays in runo's cgroup: %w", err))
		pid, err = c.startExec(p, o, cgroups.NewFS(nil, nil), cons, prog)
	}
	if err != nil {
		return 0, c.vanished(err)
	}
	var tty *ttyProxy
	if cons != nil && cons.parent != nil {
		master, err := cons.receive()
		if err == nil {
			tty, err = proxyTTY(master)
		}
		if err != nil {
			unix.Kill(pid, unix.SIGKILL)
			reap(pid)
			return 0, err
		}
	}
	if err := announce(pid, o.PidFile, o.PidfdSocket); err != nil {
		// The caller cannot know the process it was not told of: it does
		// not run. The terminal runo was proxying goes back to how it was.
		unix.Kill(pid, unix.SIGKILL)
		reap(pid)
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

// savedConfig is the config create kept, read once and only if exec needs
// it: for the process's defaults, or the filter of a lost seccomp.json.
type savedConfig struct {
	path string
	data []byte
	spec *specs.Spec
	err  error
}

// read returns the config's bytes and, when the fast reader took them, the
// spec (else nil: decode the part needed with json).
func (s *savedConfig) read() ([]byte, *specs.Spec, error) {
	if s.data == nil && s.err == nil {
		if s.data, s.err = readRegular(s.path); s.err == nil {
			s.spec = readSpec(s.data)
		} else {
			s.err = fmt.Errorf("reading the container's config: %w", s.err)
		}
	}
	return s.data, s.spec, s.err
}

// execSeccomp returns the filter exec loads: the one create compiled or,
// when that file is gone (a partial copy of --root, a cleaner, an older
// runo's state), the saved config's, compiled again. An exec never runs
// under a weaker filter than the config's: what cannot be known is refused.
func (c *Container) execSeccomp(saved *savedConfig) (*seccomp.Program, error) {
	prog, ferr := readSeccompFile(c.h.dir)
	if ferr == nil && prog != nil {
		return prog, nil
	}
	data, spec, err := saved.read()
	if err != nil {
		return nil, fmt.Errorf("cannot tell whether exec needs a seccomp filter: %w", err)
	}
	if spec == nil {
		var cfg struct {
			Linux *specs.Linux `json:"linux"`
		}
		if err := json.Unmarshal(data, &cfg); err != nil {
			return nil, fmt.Errorf("cannot tell whether exec needs a seccomp filter: %s: %w", saved.path, jsonError(data, err))
		}
		spec = &specs.Spec{Linux: cfg.Linux}
	}
	if spec.Linux == nil || spec.Linux.Seccomp == nil {
		return nil, ferr
	}
	why := "is missing"
	if ferr != nil {
		why = fmt.Sprintf("is damaged (%v)", ferr)
	}
	if c.debug != nil {
		c.debug(fmt.Sprintf("%s %s: compiling linux.seccomp of %s again", filepath.Join(c.h.dir, seccompFile), why, saved.path))
	}
	prog, err = seccomp.Compile(spec.Linux.Seccomp)
	if err != nil {
		return nil, fmt.Errorf("%s %s, and compiling linux.seccomp of %s again failed: %w", filepath.Join(c.h.dir, seccompFile), why, saved.path, err)
	}
	return prog, nil
}

// execProcess builds and checks the process to execute.
func (c *Container) execProcess(o ExecOpts, saved *savedConfig) (*specs.Process, error) {
	p := o.Process
	if p == nil {
		data, spec, err := saved.read()
		if err != nil {
			return nil, err
		}
		// With json, the process alone: the rest of a config create
		// checked is skipped unread.
		if spec == nil {
			spec = new(specs.Spec)
			var proc struct {
				Process *specs.Process `json:"process"`
			}
			if err := json.Unmarshal(data, &proc); err != nil {
				return nil, jsonError(data, err)
			}
			spec.Process = proc.Process
		}
		if spec.Process == nil {
			return nil, errors.New("the container's config has no process")
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
	return p, nil
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
// container's init that differs from runo's own, and in its cgroups. A
// process that does not get to run is killed and reaped.
func (c *Container) startExec(p *specs.Process, o ExecOpts, cg cgroups.Manager, cons *ptySocket, prog *seccomp.Program) (int, error) {
	st := c.State
	l := &launch{cgroups: cg, preserveFds: o.ListenFds + o.PreserveFds, cons: cons, debug: c.debug}
	for _, ns := range execNamespaces {
		path := fmt.Sprintf("/proc/%d/ns/%s", st.Pid, ns.file)
		if sameFile(path, "/proc/self/ns/"+ns.file) {
			continue
		}
		l.namespaces = append(l.namespaces, nsenter.Namespace{Type: ns.typ, Path: path})
	}
	// The namespace paths were the container's if its init still is.
	if !processAlive(st.Pid, st.PidStartTime) {
		return 0, checkOp(OpExec, c.ID, Stopped)
	}
	last, err := capability.LastCap()
	if err != nil {
		return 0, err
	}
	b := &bootstrap{
		ID: c.ID, Exec: p, PreserveFds: o.ListenFds + o.PreserveFds, ListenFds: o.ListenFds, Seccomp: prog, LastCap: int(last),
		Personality: st.Personality, MemoryPolicy: st.MemoryPolicy, Debug: c.debug != nil,
	}
	if cons != nil {
		b.ConsoleFd = int(cons.child.Fd())
	}
	if l.lis, err = newListener(prog != nil && prog.Notify); err != nil {
		return 0, err
	}
	b.SeccompFd = l.lis.childFd()
	proc, err := l.start()
	pid := 0
	if proc != nil {
		pid = proc.pid
		defer proc.close()
	}
	l.lis.start(prog, specs.State{
		Version: specs.Version, ID: c.ID, Status: specs.StateRunning, Pid: pid, Bundle: st.Bundle, Annotations: st.Annotations,
	})
	if err != nil {
		return 0, err
	}
	err = proc.send(b)
	if err == nil {
		err = proc.await(nil)
	}
	if errors.Is(err, errInitExited) {
		err = errors.New("exec: runo init exited before the process started")
	}
	if err == nil {
		err = l.lis.wait()
	}
	if err != nil {
		proc.kill()
		return 0, err
	}
	return pid, nil
}

// vanished explains a failed start by the container itself when it was
// deleted or stopped meanwhile (a delete --force that won the race): that,
// not the broken socket it caused, is what the caller needs to hear.
func (c *Container) vanished(err error) error {
	if _, serr := os.Lstat(c.h.dir); errors.Is(serr, os.ErrNotExist) {
		return fmt.Errorf("exec: container %s was deleted while the process started", c.ID)
	}
	if !processAlive(c.State.Pid, c.State.PidStartTime) {
		return fmt.Errorf("exec: container %s stopped while the process started", c.ID)
	}
	return err
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

// initCgroup2 is, on a pure cgroup2 host, the cgroup of the container's
// init when the container's own cgroup passes controllers to children of
// its own making: "no internal processes" then keeps an exec'd process
// out of it, and it joins init where init is, as runc's exec does. "" when
// the container's cgroup takes processes.
func initCgroup2(st *State) string {
	dir, ok := st.CgroupPaths[cgroups.Unified]
	if !ok || len(st.CgroupPaths) != 1 {
		return ""
	}
	sub, err := os.ReadFile(filepath.Join(dir, "cgroup.subtree_control"))
	if err != nil || strings.TrimSpace(string(sub)) == "" {
		return ""
	}
	own, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", st.Pid))
	if err != nil {
		return ""
	}
	rel, ok := strings.CutPrefix(strings.TrimSpace(string(own)), "0::")
	if !ok {
		return ""
	}
	layout, err := cgroups.DetectLayout()
	if err != nil || !layout.PureV2() {
		return ""
	}
	return filepath.Join(layout.Hierarchies[0].Mountpoint, rel)
}
