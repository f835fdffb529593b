package libcontainer

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	securejoin "github.com/cyphar/filepath-securejoin"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/runo-runtime/runo/cgroups"
)

// RestoreOpts are the flags of restore.
type RestoreOpts struct {
	// CreateOpts are the container's; NoPivot is accepted and has no
	// effect, as CRIU makes the mounts.
	CreateOpts
	CriuOpts
	Detach      bool
	NoSubreaper bool
}

// Restore creates container o.ID from the bundle and CRIU's images and
// runs it as Run does: detached, it returns once the container runs;
// otherwise it forwards signals to the restored process, waits for it,
// deletes the container and returns its exit status. It leaves nothing
// behind on failure.
func (s *Store) Restore(o RestoreOpts) (int, error) {
	if _, err := criuVersion(); err != nil {
		return 0, err
	}
	images, work, logDir, err := o.openDirs(false)
	if err != nil {
		return 0, err
	}
	defer images.Close()
	if work != nil {
		defer work.Close()
	}
	var stdio []string
	data, err := os.ReadFile(filepath.Join(o.ImagePath, descriptorsFile))
	if err == nil {
		err = json.Unmarshal(data, &stdio)
	}
	if err != nil {
		return 0, fmt.Errorf("--image-path %s: not a checkpoint of a container: %w", o.ImagePath, err)
	}
	if !o.Detach && !o.NoSubreaper {
		if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
			return 0, fmt.Errorf("becoming a subreaper: %w", err)
		}
	}
	sigs, notified := notifySignals(o.Detach)
	n, err := s.newContainer(o.CreateOpts)
	if err != nil {
		return 0, err
	}
	c := n.c
	cons, err := openConsole(n.spec.Process, ConsoleOpts{Socket: o.ConsoleSocket, Detach: o.Detach})
	if err == nil {
		defer cons.Close()
		r := &restoring{c: c, spec: n.spec, opts: o, cons: cons, stdio: stdio}
		if err = r.prepare(n, images, work); err == nil {
			if err = r.run(); err != nil {
				err = criuFailed(err, logDir, "restore.log")
			}
		}
	}
	if err == nil {
		err = announce(c.State.Pid, o.PidFile, o.PidfdSocket)
	}
	if err != nil {
		if derr := c.destroy(); derr != nil {
			err = fmt.Errorf("%w (and cleaning up: %v)", err, derr)
		}
		c.Close()
		return 0, err
	}
	pid := c.State.Pid
	var tty *ttyProxy
	if c.master != nil {
		tty, err = proxyTTY(c.master)
		c.master = nil
	}
	c.Close()
	if err != nil || o.Detach {
		if err != nil {
			s.remove(c.ID)
		}
		return 0, err
	}
	<-notified
	status := forwardUntilExit(pid, sigs, tty.resize)
	tty.close()
	return status, s.remove(c.ID)
}

// criuRoot is where restore binds the rootfs, in the state directory.
const criuRoot = "criu-root"

// restoring is one restore under way.
type restoring struct {
	c     *Container
	spec  *specs.Spec
	opts  RestoreOpts
	cons  *ptySocket
	stdio []string
	cg    cgroups.Manager
	req   *criuReq
	// extra are the namespaces CRIU inherits from fd 4 on.
	extra []*os.File
}

// prepare makes the cgroups and keeps what exec reads, as create does,
// and builds CRIU's request.
func (r *restoring) prepare(n *newContainer, images, work *os.File) error {
	c, st, spec := r.c, r.c.State, r.spec
	if err := c.h.save(st); err != nil {
		return err
	}
	r.cg = c.cgroups()
	if err := r.cg.Create(); err != nil {
		return err
	}
	prog, err := n.compiled()
	if err != nil {
		return err
	}
	if err := c.h.keep(n.config, prog); err != nil {
		return err
	}
	opts, err := r.opts.rpcOpts(images, work, spec)
	if err != nil {
		return err
	}
	opts.LogFile = new("restore.log")
	opts.EvasiveDevices = new(true)
	// The restored init is runo's child, as a created one is.
	opts.RstSibling = new(true)
	if p := r.opts.LsmProfile; p != "" {
		opts.LsmProfile = new(p)
	}
	if p := r.opts.LsmMountContext; p != "" {
		opts.LsmMountContext = new(p)
	}
	for _, ns := range spec.Linux.Namespaces {
		switch {
		case ns.Path == "":
		case ns.Type == specs.NetworkNamespace || ns.Type == specs.PIDNamespace:
			f, err := os.Open(ns.Path)
			if err != nil {
				return fmt.Errorf("linux.namespaces: %s namespace %s: %w", ns.Type, ns.Path, err)
			}
			opts.InheritFd = append(opts.InheritFd, criuInheritFd{
				Key: criuNsKey(ns.Type), Fd: int32(4 + len(r.extra)),
			})
			r.extra = append(r.extra, f)
		case ns.Type == specs.CgroupNamespace:
			return fmt.Errorf("linux.namespaces: restore cannot join the cgroup namespace %s", ns.Path)
		default:
			opts.JoinNs = append(opts.JoinNs, criuJoinNamespace{Ns: criuNsName(ns.Type), NsFile: ns.Path})
		}
	}
	opts.ExtMnt = c.externalMounts(spec, true)
	for i, d := range r.stdio {
		if strings.Contains(d, "pipe:") {
			opts.InheritFd = append(opts.InheritFd, criuInheritFd{Key: d, Fd: int32(i)})
		}
	}
	r.req = &criuReq{Type: criuReqRestore, Opts: opts}
	return nil
}

// run binds the rootfs where CRIU restores into, makes the mount points
// it needs, and runs CRIU. (Not in a mount namespace of runo's own: CRIU
// fails to mount its cgroup yard there.) A runo killed meanwhile leaves
// the bind mount in the state directory, which delete undoes first.
func (r *restoring) run() error {
	defer func() {
		for _, f := range r.extra {
			f.Close()
		}
	}()
	st := r.c.State
	// CRIU wants the root to be a mount point.
	root := filepath.Join(r.c.h.dir, criuRoot)
	if err := os.Mkdir(root, 0o755); err != nil {
		return err
	}
	defer os.Remove(root)
	if err := unix.Mount(st.Rootfs, root, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("root.path %s: binding it for CRIU: %w", st.Rootfs, err)
	}
	defer unix.Unmount(root, unix.MNT_DETACH)
	// Nothing mounted under it reaches the rootfs's peers, nor theirs it.
	if err := unix.Mount("", root, "", unix.MS_PRIVATE|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if err := r.mountpoints(root); err != nil {
		return err
	}
	r.req.Opts.Root = new(root)
	var stdio []*os.File
	if !r.spec.Process.Terminal {
		stdio = []*os.File{os.Stdin, os.Stdout, os.Stderr}
	}
	s := &swrk{req: r.req, stdio: stdio, extra: r.extra, statusFd: -1, debug: r.c.debug, notified: r.notified,
		joined: func(pid int) error {
			if err := r.cg.Join(pid); err != nil {
				return err
			}
			if err := r.cg.Set(r.spec.Linux.Resources, true); err != nil {
				return err
			}
			cgs, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
			if err != nil {
				return err
			}
			// CRIU's restored processes go where it is.
			for _, line := range strings.Split(strings.TrimSpace(string(cgs)), "\n") {
				parts := strings.SplitN(line, ":", 3)
				if len(parts) != 3 {
					continue
				}
				for _, ctrl := range strings.Split(parts[1], ",") {
					r.req.Opts.CgRoot = append(r.req.Opts.CgRoot, criuCgroupRoot{Ctrl: ctrl, Path: parts[2]})
				}
			}
			return nil
		}}
	return s.run()
}

// mountpoints makes the mount points CRIU needs in the rootfs, which may be
// a copy made since the dump. A bind mount is made too while they are made,
// so that the mount points of mounts nested in it go into its source; a
// tmpfs's come with its contents, restored by CRIU. It undoes the mounts
// before CRIU runs.
func (r *restoring) mountpoints(root string) error {
	var tmpfs []string
	for _, m := range r.spec.Mounts {
		if m.Type == "tmpfs" {
			tmpfs = append(tmpfs, MountDestination(root, m.Destination)+"/")
		}
	}
	var mounted []string
	defer func() {
		for i := len(mounted) - 1; i >= 0; i-- {
			unix.Unmount(mounted[i], unix.MNT_DETACH)
		}
	}()
	for i, m := range r.spec.Mounts {
		dest := MountDestination(root, m.Destination)
		if m.Type == "cgroup" || m.Type == "cgroup2" || slices.ContainsFunc(tmpfs, func(t string) bool { return strings.HasPrefix(dest, t) }) {
			continue
		}
		path, err := securejoin.SecureJoin(root, dest)
		if err != nil {
			return fmt.Errorf("mounts[%d].destination %s: %w", i, m.Destination, err)
		}
		bind := parseMountOptions(m.Options).isBind() || m.Type == "bind"
		src := m.Source
		if bind && !filepath.IsAbs(src) {
			src = filepath.Join(r.c.State.Bundle, src)
		}
		dir := true
		if bind {
			st, err := os.Stat(src)
			if err != nil {
				return fmt.Errorf("mounts[%d].source %s: %w", i, m.Source, err)
			}
			dir = st.IsDir()
		}
		if err := makeMountpoint(path, dir); err != nil {
			return fmt.Errorf("mounts[%d].destination %s: %w", i, m.Destination, err)
		}
		if bind {
			if err := unix.Mount(src, path, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
				return fmt.Errorf("mounts[%d] (%s on %s): %w", i, m.Source, m.Destination, err)
			}
			mounted = append(mounted, path)
		}
	}
	return nil
}

func makeMountpoint(path string, dir bool) error {
	if _, err := os.Lstat(path); err == nil {
		return nil
	}
	if dir {
		return os.MkdirAll(path, 0o755)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|unix.O_CLOEXEC, 0o644)
	if err != nil {
		return err
	}
	return f.Close()
}

// notified handles CRIU's notifications during restore. Hooks run on
// another thread than this one, in the host's mount namespace.
func (r *restoring) notified(script string, pid int, fds []int) error {
	c, st := r.c, r.c.State
	switch script {
	case "setup-namespaces":
		h := st.Hooks
		if h == nil {
			return nil
		}
		done := make(chan error, 1)
		go func() {
			state := hookState(c.ID, Creating, pid, st.Bundle, st.Annotations)
			err := runHooks("prestart", h.Prestart, state, st.Bundle)
			if err == nil {
				err = runHooks("createRuntime", h.CreateRuntime, state, st.Bundle)
			}
			done <- err
		}()
		return <-done
	case "post-restore":
		st.Pid = pid
		var err error
		if _, _, st.PidStartTime, err = procStat(pid); err != nil {
			return fmt.Errorf("reading start time of the restored init %d: %w", pid, err)
		}
		st.Created = time.Now().UTC()
		st.Ready = true
		return c.h.save(st)
	case "orphan-pts-master":
		if len(fds) != 1 {
			return errors.New("criu sent no terminal")
		}
		if r.cons.parent == nil {
			return sendFd(int(r.cons.child.Fd()), fds[0], []byte("/dev/ptmx"))
		}
		fd, err := unix.FcntlInt(uintptr(fds[0]), unix.F_DUPFD_CLOEXEC, 0)
		if err != nil {
			return err
		}
		c.master = os.NewFile(uintptr(fd), "/dev/ptmx")
	}
	return nil
}
