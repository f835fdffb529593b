package libcontainer

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/runo-runtime/runo/cgroups"
	"github.com/runo-runtime/runo/nsenter"
	"github.com/runo-runtime/runo/seccomp"
)

// CreateOpts are the inputs of Create: the command-line flags of create/run.
type CreateOpts struct {
	ID           string
	Bundle       string
	PidFile      string
	NoPivot      bool
	NoNewKeyring bool
	PreserveFds  int
	// ListenFds are systemd socket-activation descriptors (LISTEN_FDS),
	// passed as 3.. before the preserved ones, as runc passes them.
	ListenFds int
	// PidfdSocket, if set, receives a pidfd of init once it is ready.
	PidfdSocket string
	// ConsoleSocket receives the terminal of a process.terminal process.
	ConsoleSocket string
	// proxyTTY is set by a foreground run, which proxies the terminal.
	proxyTTY bool
}

// Container is one container, loaded from its state directory.
type Container struct {
	ID    string
	State *State
	h     *handle
	warn  func(error)
	debug func(string)
	// master is the terminal of a foreground run's process.
	master *os.File
	// rootless: runo runs unprivileged.
	rootless bool
}

// Create validates the bundle, creates the container and returns once its
// init is ready and waiting for start. It leaves nothing behind on failure.
// The returned container holds the container's lock until Close.
func (s *Store) Create(o CreateOpts) (*Container, error) {
	n, err := s.newContainer(o)
	if err != nil {
		return nil, err
	}
	c := n.c
	cons, err := openConsole(n.spec.Process, ConsoleOpts{Socket: o.ConsoleSocket, Detach: !o.proxyTTY})
	if err != nil {
		c.h.remove()
		c.h.close()
		return nil, err
	}
	defer cons.Close()
	if err := c.create(n.spec, n.config, o, cons, n.compiled); err != nil {
		if derr := c.destroy(); derr != nil {
			err = fmt.Errorf("%w (and cleaning up: %v)", err, derr)
		}
		c.Close()
		return nil, err
	}
	return c, nil
}

// newContainer is a container of create or restore before anything of it
// runs: its id taken, its spec validated and its cgroups placed.
type newContainer struct {
	c      *Container
	spec   *specs.Spec
	config []byte
	// compiled waits for the spec's seccomp program, compiled meanwhile.
	compiled func() (*seccomp.Program, error)
}

// newContainer validates the bundle and takes the id. On failure nothing
// is left; on success the caller removes the state directory if it fails.
func (s *Store) newContainer(o CreateOpts) (*newContainer, error) {
	if err := ValidateID(o.ID); err != nil {
		return nil, err
	}
	if err := checkPassedFds(o.ListenFds, o.PreserveFds); err != nil {
		return nil, err
	}
	bundle, err := filepath.Abs(o.Bundle)
	if err != nil {
		return nil, err
	}
	// The host's cgroup layout does not depend on the spec: it is read
	// while config.json is decoded.
	var layout *cgroups.Layout
	layoutErr := make(chan error, 1)
	go func() {
		var err error
		layout, err = cgroups.DetectLayout()
		layoutErr <- err
	}()
	spec, config, err := LoadSpec(bundle)
	if lerr := <-layoutErr; err == nil {
		err = lerr
	}
	if err != nil {
		return nil, err
	}
	if r := spec.Linux.Resources; r != nil && r.Memory != nil && r.Memory.Kernel != nil {
		s.warn(errors.New("linux.resources.memory.kernel is ignored, as runc ignores it: kernels no longer limit kernel memory apart"))
	}
	if s.Systemd {
		var dropped bool
		if spec.Linux.Resources, dropped = cgroups.IdleOverWeight(spec.Linux.Resources); dropped {
			s.warn(errors.New("unable to apply both CPUWeight and CpuIdle to systemd, ignoring CPUWeight"))
		}
	}
	for _, why := range UnsupportedCaps(spec.Process.Capabilities) {
		s.warn(fmt.Errorf("process.capabilities: %s, and skipped", why))
	}
	for i, m := range spec.Mounts {
		if !filepath.IsAbs(m.Destination) {
			s.warn(fmt.Errorf("mounts[%d].destination: %q is not an absolute path; taken from the rootfs, as runc does", i, m.Destination))
		}
	}
	if r := spec.Linux.Resources; r != nil && len(r.Unified) > 0 && !layout.PureV2() {
		// runc's words: it takes a hybrid host for a v1 one.
		return nil, errors.New("linux.resources.unified: invalid configuration: cgroup v2 is not the only cgroup hierarchy on this host")
	}
	paths, unit, err := cgroupPaths(s, layout, spec.Linux.CgroupsPath, o.ID)
	if err != nil {
		return nil, err
	}
	if unit != nil {
		if unit.Properties, err = cgroups.AnnotatedProperties(spec.Annotations); err != nil {
			return nil, err
		}
		unit.Owner = cgroupOwner(spec)
	}
	if s.Rootless {
		// An unprivileged euid makes no namespace but in a user namespace
		// of its own; euid 0 in one (podman's) makes them all.
		if os.Geteuid() != 0 && !hasNamespace(spec, specs.UserNamespace) {
			return nil, errors.New("rootless: the container needs a user namespace (runo spec --rootless writes one)")
		}
		if dir := undelegated(paths); unit == nil && dir != "" {
			// runc's rule: with no limits the container runs without
			// cgroups of its own; a limit is never silently dropped.
			if asked := limitsAsked(spec.Linux.Resources); len(asked) > 0 {
				return nil, fmt.Errorf("rootless: linux.resources.%s cannot be applied: the cgroup %s is not delegated to uid %d", asked[0], dir, HostUID())
			}
			s.warn(fmt.Errorf("rootless: cgroups skipped, %s is not delegated to uid %d", dir, HostUID()))
			paths = map[string]string{}
		}
	}
	// libseccomp takes milliseconds over a profile such as docker's (6.9 ms
	// for tests/seccomp/default.json), unless the store has it compiled:
	// it compiles while the container's cgroups are made and init starts,
	// and create waits for it then.
	compiled := func() (*seccomp.Program, error) { return nil, nil }
	if spec.Linux.Seccomp != nil {
		type result struct {
			prog *seccomp.Program
			err  error
		}
		done := make(chan result, 1)
		go func() {
			prog, err := s.compileSeccomp(spec.Linux.Seccomp)
			done <- result{prog, err}
		}()
		compiled = func() (*seccomp.Program, error) {
			r := <-done
			return r.prog, r.err
		}
	}
	// The id is taken before the console socket is dialled: a duplicate
	// must not reach the caller's terminal receiver.
	h, err := s.create(o.ID)
	if err != nil {
		return nil, err
	}
	if err := usableCgroup(paths); err != nil {
		h.remove()
		h.close()
		return nil, err
	}
	c := &Container{ID: o.ID, h: h, warn: s.warn, debug: s.Debug, rootless: s.Rootless, State: &State{
		ID: o.ID, Bundle: bundle, Rootfs: RootfsPath(spec, bundle), Created: time.Now().UTC(),
		Annotations: spec.Annotations, CgroupPaths: paths, CgroupDirs: ownDirs(paths, unit),
		Hooks: spec.Hooks, Personality: spec.Linux.Personality, MemoryPolicy: spec.Linux.MemoryPolicy,
		HostPidns: !newNamespace(spec, specs.PIDNamespace), Systemd: unit,
	}}
	return &newContainer{c: c, spec: spec, config: config, compiled: compiled}, nil
}

// cgroupOwner is the host uid of the container's process when the
// container has its own user and cgroup namespaces and a writable cgroupfs
// at /sys/fs/cgroup: systemd's scope is delegated to it, as runc does.
func cgroupOwner(spec *specs.Spec) *int {
	if !newNamespace(spec, specs.UserNamespace) || !newNamespace(spec, specs.CgroupNamespace) || spec.Process == nil {
		return nil
	}
	rw := false
	for _, m := range spec.Mounts {
		if m.Type == "cgroup" || m.Type == "cgroup2" || (m.Type == "" && m.Source == "cgroup") {
			if filepath.Clean(m.Destination) == "/sys/fs/cgroup" && !slices.Contains(m.Options, "ro") {
				rw = true
			}
		}
	}
	if !rw {
		return nil
	}
	uid := spec.Process.User.UID
	for _, m := range spec.Linux.UIDMappings {
		if uid >= m.ContainerID && uid-m.ContainerID < m.Size {
			host := int(m.HostID + uid - m.ContainerID)
			return &host
		}
	}
	return nil
}

// withoutPids splits the pids limit off r.
func withoutPids(r *specs.LinuxResources) (*specs.LinuxResources, *specs.LinuxPids) {
	if r == nil || r.Pids == nil {
		return r, nil
	}
	rest := *r
	rest.Pids = nil
	return &rest, r.Pids
}

// usableCgroup refuses, with runc's words, a cgroup that holds processes
// (another container's, which the new one would share) or is frozen (a
// process born there would stop, and create with it). It runs before
// anything of the new container exists: its cleanup would kill them.
func usableCgroup(paths map[string]string) error {
	if len(paths) == 0 {
		return nil
	}
	m := cgroups.NewFS(paths, nil)
	if pids, err := m.Pids(); err == nil && len(pids) > 0 {
		return fmt.Errorf("container's cgroup is not empty: %d process(es) found", len(pids))
	}
	if m.Frozen() {
		return errors.New("container's cgroup unexpectedly frozen")
	}
	return nil
}

// create does the steps of Create that need undoing on failure. The state
// is saved before each thing that will need cleaning up is made.
func (c *Container) create(spec *specs.Spec, config []byte, o CreateOpts, cons *ptySocket, compiled func() (*seccomp.Program, error)) error {
	st := c.State
	if err := c.h.save(st); err != nil {
		return err
	}
	cg := c.cgroups()
	if err := cg.Create(); err != nil {
		return err
	}
	fifo, err := c.h.makeFifo()
	if err != nil {
		return err
	}
	defer fifo.Close()
	lis, err := newListener(spec.Linux.Seccomp != nil && seccomp.Notifies(spec.Linux.Seccomp))
	if err != nil {
		return err
	}
	l := c.launchOf(spec, o, cg, cons, lis)
	if sd, ok := cg.(*cgroups.Systemd); ok {
		// systemd moves init into the scope while it waits, before it
		// makes a cgroup namespace rooted there.
		placed := l.placed
		l.placed = func(pid int) error {
			if placed != nil {
				if err := placed(pid); err != nil {
					return err
				}
			}
			return sd.Adopt(pid)
		}
	}
	l.inherit = append(l.inherit, fifo)
	b := c.bootstrapOf(spec, o, fifo)
	if cons != nil {
		b.ConsoleFd = int(cons.child.Fd())
	}
	sources, err := c.mountSources(spec)
	if err != nil {
		return err
	}
	if sources != nil {
		defer sources.parent.Close()
		defer sources.child.Close()
		l.inherit = append(l.inherit, sources.child)
		b.MountSourceFd = int(sources.child.Fd())
	}
	proc, err := l.start()
	prog, cerr := compiled()
	if err == nil {
		err = cerr
	}
	if proc != nil {
		b.Pid = proc.pid
		defer proc.close()
		if sources != nil {
			proc.sources = sources.parent
		}
		proc.mountSource = func(i int) (*os.File, error) { return openMountSource(proc.pid, spec, st.Bundle, i) }
	}
	lis.start(prog, specs.State{
		Version: specs.Version, ID: c.ID, Status: specs.StateCreating, Pid: b.Pid, Bundle: st.Bundle, Annotations: st.Annotations,
	})
	if err != nil {
		return err
	}
	// While init's runtime starts: it does nothing in the container before
	// it has the bootstrap, so the limits and devices are in place before
	// it acts. All but the pids limit: init's runtime starts its threads
	// meanwhile, which a limit of 1 would refuse (runc too sets it once
	// init runs); it is in place before the process is.
	resources, pids := withoutPids(spec.Linux.Resources)
	if err := cg.Set(resources, !c.rootless); err != nil {
		return err
	}
	if err := moveNetDevices(proc.pid, spec.Linux.NetDevices); err != nil {
		return err
	}
	if prog != nil {
		b.Seccomp, b.SeccompFd = prog, lis.childFd()
	}
	if err := proc.send(b); err != nil {
		return err
	}
	if err := c.h.keep(config, prog); err != nil {
		return err
	}
	if err := c.awaitReady(proc, spec.Hooks, lis); err != nil {
		return err
	}
	if pids != nil {
		if err := cg.Update(&specs.LinuxResources{Pids: pids}); err != nil {
			return err
		}
	}
	// init sent the terminal before it was ready.
	if cons != nil && cons.parent != nil {
		if c.master, err = cons.receive(); err != nil {
			return err
		}
	}
	st.Ready = true
	if err := c.h.save(st); err != nil {
		return err
	}
	return announce(st.Pid, o.PidFile, o.PidfdSocket)
}

// mountSources makes the socket mount sources go to init on, when a mount
// of spec takes its source from the runtime, or returns nil. Rootless runo
// has no more rights to the sources than init, and cannot idmap.
func (c *Container) mountSources(spec *specs.Spec) (*socketEnds, error) {
	need := false
	for i, m := range spec.Mounts {
		if ok, _ := idmapped(i, m); ok && c.rootless {
			return nil, fmt.Errorf("mounts[%d] (%s): idmapped mounts need runo running as root", i, m.Destination)
		}
		need = need || sourceFromRuntime(spec, i)
	}
	if !need || c.rootless {
		return nil, nil
	}
	parent, child, err := socketPair("mount source")
	if err != nil {
		return nil, err
	}
	return &socketEnds{parent, child}, nil
}

// socketEnds are the runtime's and init's ends of a socket pair.
type socketEnds struct{ parent, child *os.File }

// bootstrapOf is what create tells init, but for what only init's start
// decides (its pid, the seccomp program, the descriptors it inherits).
func (c *Container) bootstrapOf(spec *specs.Spec, o CreateOpts, fifo *os.File) *bootstrap {
	st := c.State
	return &bootstrap{
		ID: o.ID, Spec: spec, Bundle: st.Bundle, Rootfs: st.Rootfs, FifoFd: int(fifo.Fd()), NoPivot: o.NoPivot,
		NoNewKeyring: o.NoNewKeyring, PreserveFds: o.ListenFds + o.PreserveFds, ListenFds: o.ListenFds,
		CgroupPaths: st.CgroupPaths, Debug: c.debug != nil,
	}
}

// awaitReady records init's pid and waits for init to be ready, running
// the runtime's create hooks where init stops for them.
func (c *Container) awaitReady(proc *initProcess, hooks *specs.Hooks, lis *listener) error {
	st := c.State
	// The pid is saved with the ready state: until then a killed runo's
	// init is found through the cgroup, which it has been in since birth.
	st.Pid = proc.pid
	var err error
	if _, _, st.PidStartTime, err = procStat(proc.pid); err != nil {
		return fmt.Errorf("reading start time of init %d: %w", proc.pid, err)
	}
	err = proc.await(func() error {
		state := hookState(c.ID, Creating, proc.pid, st.Bundle, st.Annotations)
		if err := runHooks("prestart", hooks.Prestart, state, st.Bundle); err != nil {
			return err
		}
		return runHooks("createRuntime", hooks.CreateRuntime, state, st.Bundle)
	})
	if errors.Is(err, errInitExited) {
		return errors.New("container init exited before it was ready")
	}
	if err != nil {
		return err
	}
	return lis.wait()
}

// launchOf is how create starts init: in the namespaces the spec asks
// for, with the caller's preserved descriptors.
func (c *Container) launchOf(spec *specs.Spec, o CreateOpts, cg cgroups.Manager, cons *ptySocket, lis *listener) *launch {
	l := &launch{cgroups: cg, preserveFds: o.ListenFds + o.PreserveFds, cons: cons, lis: lis, debug: c.debug}
	for _, ns := range spec.Linux.Namespaces {
		l.namespaces = append(l.namespaces, nsenter.Namespace{Type: string(ns.Type), Path: ns.Path})
		if ns.Type == specs.UserNamespace && ns.Path == "" {
			// euid 0 in a user namespace writes any map within it itself.
			l.placed = func(pid int) error { return writeIDMaps(pid, spec.Linux, c.rootless && os.Geteuid() != 0) }
		}
	}
	for _, clock := range []string{"monotonic", "boottime"} {
		if off, ok := spec.Linux.TimeOffsets[clock]; ok {
			l.timeOffsets += fmt.Sprintf("%s %d %d\n", clock, off.Secs, off.Nanosecs)
		}
	}
	return l
}

// undelegated returns the first cgroup directory of paths this user may
// not make or write, or "".
func undelegated(paths map[string]string) string {
	for _, dir := range cgroups.Missing(paths) {
		if unix.Access(filepath.Dir(dir), unix.W_OK) != nil {
			return filepath.Dir(dir)
		}
	}
	for _, dir := range paths {
		if err := unix.Access(dir, unix.W_OK); err != nil && err != unix.ENOENT {
			return dir
		}
	}
	return ""
}

// Load opens an existing container. With lock, it holds the container's
// lock (exclusively) until Close; without, it reads a consistent snapshot.
func (s *Store) Load(id string, lock bool) (*Container, error) {
	if err := ValidateID(id); err != nil {
		return nil, err
	}
	mode := lockNone
	if lock {
		mode = lockExclusive
	}
	h, err := s.open(id, mode)
	if err != nil {
		return nil, err
	}
	st, err := h.load()
	if err != nil {
		h.close()
		return nil, err
	}
	return &Container{ID: id, State: st, h: h, warn: s.warn, debug: s.Debug, rootless: s.Rootless}, nil
}

// List loads every container in the store, sorted by id. Only directories
// that are containers are listed: runo's own, named by a valid id that is
// the id their state records (not one renamed or planted).
func (s *Store) List() ([]*Container, error) {
	root, err := s.openRoot()
	if errors.Is(err, os.ErrNotExist) && !s.RootSet {
		// The default root appears with the first container.
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", s.Root, err)
	}
	f := os.NewFile(uintptr(root), s.Root)
	names, err := f.Readdirnames(-1)
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", s.Root, err)
	}
	var list []*Container
	for _, name := range names {
		if ValidateID(name) != nil {
			continue
		}
		c, err := s.Load(name, false)
		if err != nil {
			continue // deleted meanwhile, or not a container directory
		}
		if c.State.ID != name {
			c.Close()
			continue
		}
		list = append(list, c)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].ID < list[j].ID })
	return list, nil
}

// cgroups is the manager of the container's cgroups.
func (c *Container) cgroups() cgroups.Manager { return cgroupManager(c.State) }

// cgroupManager is the one way to the cgroups a state records.
func cgroupManager(st *State) cgroups.Manager {
	if st.Systemd != nil {
		return cgroups.NewSystemd(*st.Systemd, st.CgroupPaths, st.CgroupDirs)
	}
	return cgroups.NewFS(st.CgroupPaths, st.CgroupDirs)
}

// ownDirs are the cgroup directories runo makes and removes; systemd
// makes and removes a scope's, in the hierarchies it manages.
func ownDirs(paths map[string]string, unit *cgroups.SystemdUnit) []string {
	if unit != nil {
		return cgroups.Missing(cgroups.NotSystemdManaged(paths))
	}
	return cgroups.Missing(paths)
}

// cgroupPaths places a new container's cgroups: in the hierarchies, or
// with the systemd driver in a scope.
func cgroupPaths(s *Store, layout *cgroups.Layout, cgroupsPath, id string) (map[string]string, *cgroups.SystemdUnit, error) {
	if !s.Systemd {
		paths, err := layout.Paths(cgroupsPath, id)
		return paths, nil, err
	}
	if s.Rootless {
		return userScope(layout, cgroupsPath, id)
	}
	if _, err := os.Stat("/run/systemd/system"); err != nil {
		// runc's words.
		return nil, nil, errors.New("--systemd-cgroup: systemd cgroup flag passed, but systemd support for managing cgroups is not available (systemd is not this host's init)")
	}
	if layout.PureV2() {
		u, err := cgroups.ParseSystemdPath(cgroupsPath, id, layout.Hierarchies[0].Mountpoint, "system.slice")
		if err != nil {
			return nil, nil, err
		}
		return map[string]string{cgroups.Unified: u.Dir}, u, nil
	}
	// On v1, the scope's path below each hierarchy's root.
	u, err := cgroups.ParseSystemdPath(cgroupsPath, id, "/", "system.slice")
	if err != nil {
		return nil, nil, err
	}
	paths := layout.Under(u.Dir)
	if u.Dir = cgroups.ScopeDir(paths); u.Dir == "" {
		return nil, nil, errors.New("--systemd-cgroup: this host has no name=systemd hierarchy: is systemd its init?")
	}
	return paths, u, nil
}

// userScope places a rootless container's scope in the systemd user
// instance of the host uid runo runs as (podman's default on systemd
// hosts): below that instance's cgroup, which systemd delegates to the
// user, in user.slice unless cgroupsPath names another.
func userScope(layout *cgroups.Layout, cgroupsPath, id string) (map[string]string, *cgroups.SystemdUnit, error) {
	if !layout.PureV2() {
		return nil, nil, errors.New("--systemd-cgroup: rootless, the systemd driver needs a pure cgroup v2 host, where systemd delegates cgroups to users")
	}
	uid := HostUID()
	root, err := cgroups.UserManagerCgroup(uid)
	if err != nil {
		return nil, nil, fmt.Errorf("--systemd-cgroup: rootless: %w", err)
	}
	u, err := cgroups.ParseSystemdPath(cgroupsPath, id, filepath.Join(layout.Hierarchies[0].Mountpoint, root), "user.slice")
	if err != nil {
		return nil, nil, err
	}
	u.User = &uid
	return map[string]string{cgroups.Unified: u.Dir}, u, nil
}

// Close releases the container's lock and what it holds open.
func (c *Container) Close() {
	c.h.close()
	if c.master != nil {
		c.master.Close()
	}
}

// Status derives the container's status now.
func (c *Container) Status() Status { return c.h.status(c.State) }

// Start lets a created container's init execute the user's process.
func (c *Container) Start() error {
	if err := c.check(OpStart); err != nil {
		return err
	}
	fifo := filepath.Join(c.h.dir, fifoName)
	fd, err := unix.Open(fifo, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("opening exec fifo: %w", err)
	}
	defer unix.Close(fd)
	// Opening it is what lets init go on, so the fifo goes at once: a start
	// killed from here on does not leave a running container that looks
	// created.
	if err := os.Remove(fifo); err != nil {
		return fmt.Errorf("removing exec fifo: %w", err)
	}
	if err := c.awaitFifo(fd); err != nil {
		return err
	}
	if h := c.State.Hooks; h != nil {
		state := hookState(c.ID, Running, c.State.Pid, c.State.Bundle, c.State.Annotations)
		if err := runHooks("poststart", h.Poststart, state, c.State.Bundle); err != nil {
			// As runc: the container does not go on without its poststart
			// hooks.
			signalProcess(c.State.Pid, c.State.PidStartTime, unix.SIGKILL)
			return err
		}
	}
	return nil
}

// awaitFifo waits for init's answer on exec.fifo (see execOnStart) and
// for the end of it, which comes when the process is executed or init
// exits. A fifo reports no hang-up before its first writer, so init's
// death before it writes is noticed by checking its pid.
func (c *Container) awaitFifo(fd int) error {
	pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	var answer []byte
	for {
		n, err := unix.Poll(pfd, 100)
		if err != nil && err != unix.EINTR {
			return fmt.Errorf("waiting for init: %w", err)
		}
		if n <= 0 {
			if !processAlive(c.State.Pid, c.State.PidStartTime) && len(answer) == 0 {
				return errors.New("container init exited before the process could start")
			}
			continue
		}
		var b [4096]byte
		r, err := unix.Read(fd, b[:])
		if r > 0 {
			answer = append(answer, b[:r]...)
			continue
		}
		if err == unix.EAGAIN || err == unix.EINTR {
			continue
		}
		switch {
		case len(answer) == 0:
			return errors.New("container init exited before the process could start")
		case answer[0] != '0' && len(answer) > 1:
			return errors.New(string(answer[1:]))
		case answer[0] != '0':
			return errors.New("container init failed to start the process")
		}
		return nil
	}
}

// Pause freezes every process of a running container.
func (c *Container) Pause() error {
	if err := c.check(OpPause); err != nil {
		return err
	}
	if err := c.cgroups().Freeze(true); err != nil {
		return fmt.Errorf("pausing: %w", err)
	}
	return nil
}

// Resume thaws a paused container.
func (c *Container) Resume() error {
	if err := c.check(OpResume); err != nil {
		return err
	}
	if err := c.cgroups().Freeze(false); err != nil {
		return fmt.Errorf("resuming: %w", err)
	}
	return nil
}

// Pids lists the host pids of every process in the container.
func (c *Container) Pids() ([]int, error) {
	if err := c.check(OpPs); err != nil {
		return nil, err
	}
	pids, err := c.cgroups().Pids()
	if err != nil && c.Status() == Stopped {
		// A stopped container has nothing running, whatever is left of it.
		return nil, nil
	}
	return pids, err
}

// Signal sends sig to the container's init, or with all to every process
// in its cgroup. SIGKILL to a container in the host's pid namespace goes
// to every process, as runc sends it: only the death of a pid namespace's
// init takes the others along. It reaches them after init is gone too.
func (c *Container) Signal(sig unix.Signal, all bool) error {
	if sig == unix.SIGKILL && c.State.HostPidns && len(c.State.CgroupPaths) > 0 && c.State.Ready {
		pids, err := c.cgroups().Pids()
		if err != nil || len(pids) == 0 {
			return ErrNotRunning
		}
		// A frozen process dies only once thawed.
		defer c.cgroups().Freeze(false)
		return c.signalAll(sig)
	}
	if err := c.check(OpKill); err != nil {
		return err
	}
	if sig == unix.SIGKILL && c.Status() == Paused {
		// Killed, it is no longer paused: thawed as runc does, since a
		// frozen process dies only once thawed.
		defer c.cgroups().Freeze(false)
	}
	if all {
		return c.signalAll(sig)
	}
	return signalProcess(c.State.Pid, c.State.PidStartTime, sig)
}

// signalProcess signals through a pidfd checked against the start time,
// so a pid reused since the check is never signalled.
func signalProcess(pid int, start uint64, sig unix.Signal) error {
	pidfd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		if err == unix.ESRCH {
			return ErrNotRunning
		}
		return fmt.Errorf("opening pidfd of %d: %w", pid, err)
	}
	defer unix.Close(pidfd)
	if !processAlive(pid, start) {
		return ErrNotRunning
	}
	if err := unix.PidfdSendSignal(pidfd, sig, nil, 0); err != nil {
		if err == unix.ESRCH {
			return ErrNotRunning
		}
		return fmt.Errorf("signalling %d: %w", pid, err)
	}
	return nil
}

func (c *Container) signalAll(sig unix.Signal) error {
	// cgroup.kill reaches processes forked while the list below is read.
	if sig == unix.SIGKILL {
		if err := c.cgroups().Kill(); !errors.Is(err, cgroups.ErrNoKill) {
			return err
		}
	}
	pids, err := c.cgroups().Pids()
	if err != nil {
		return fmt.Errorf("listing processes: %w", err)
	}
	for _, pid := range pids {
		if err := unix.Kill(pid, sig); err != nil && err != unix.ESRCH {
			return fmt.Errorf("signalling %d: %w", pid, err)
		}
	}
	return nil
}

// Delete removes a container. A created container is stopped first; a
// running or paused one only with force.
func (c *Container) Delete(force bool) error {
	op := OpDelete
	if force {
		op = OpDeleteForce
	}
	if err := c.check(op); err != nil {
		return err
	}
	if err := c.destroy(); err != nil {
		return err
	}
	if h := c.State.Hooks; h != nil {
		state := hookState(c.ID, Stopped, 0, c.State.Bundle, c.State.Annotations)
		if err := runHooks("poststop", h.Poststop, state, c.State.Bundle); err != nil {
			c.warn(err)
		}
	}
	return nil
}

// destroy kills whatever runs in the container and removes its cgroups and
// state. It is also the clean-up of a failed or killed create.
func (c *Container) destroy() error {
	st := c.State
	if processAlive(st.Pid, st.PidStartTime) {
		// Thaw first: a frozen process cannot die. A container without a
		// freezer has nothing to thaw.
		c.cgroups().Freeze(false)
		signalProcess(st.Pid, st.PidStartTime, unix.SIGKILL)
	}
	if len(st.CgroupPaths) > 0 {
		c.signalAll(unix.SIGKILL)
	}
	if err := waitGone(st.Pid, st.PidStartTime); err != nil {
		return err
	}
	if st.Damaged != "" {
		// With no init known, the cgroup must be empty before it goes.
		if err := c.waitEmpty(); err != nil {
			return err
		}
	}
	var errs []error
	if err := c.cgroups().Destroy(); err != nil {
		errs = append(errs, err)
	}
	if err := c.h.remove(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// waitGone waits for a killed init to exit. It reaps it if it is our child
// (run, or a failed create); otherwise it is gone once it is a zombie.
func waitGone(pid int, start uint64) error {
	deadline := time.Now().Add(10 * time.Second)
	for pid > 0 && processAlive(pid, start) {
		if tryReap(pid) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("process %d did not exit after SIGKILL", pid)
		}
		time.Sleep(time.Millisecond)
	}
	if pid > 0 {
		// Reap it if it is our child and already a zombie.
		tryReap(pid)
	}
	return nil
}

// waitEmpty kills what is left in the container's cgroups until nothing
// is, for up to 10 seconds: processes may fork while they are killed.
func (c *Container) waitEmpty() error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		pids, err := c.cgroups().Pids()
		if err != nil || len(pids) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("processes %s of container %s did not exit after SIGKILL", quoteList(pids), c.ID)
		}
		c.signalAll(unix.SIGKILL)
		time.Sleep(time.Millisecond)
	}
}
