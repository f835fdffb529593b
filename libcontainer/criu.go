package libcontainer

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	securejoin "github.com/cyphar/filepath-securejoin"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/runo-runtime/runo/cgroups"
)

// Checkpoint and restore go through CRIU's RPC (`criu swrk`), as runc's
// do: runc's flags, the same images, so that one runtime restores what
// the other dumped.

// CriuOpts are the flags of checkpoint and restore.
type CriuOpts struct {
	ImagePath string
	WorkPath  string
	// ParentPath is the pre-dump to build on, relative to ImagePath.
	ParentPath      string
	LeaveRunning    bool
	TCPEstablished  bool
	TCPSkipInFlight bool
	LinkRemap       bool
	ExtUnixSk       bool
	ShellJob        bool
	FileLocks       bool
	PreDump         bool
	AutoDedup       bool
	LazyPages       bool
	// StatusFd gets a \0 once lazy pages are served; -1 for none.
	StatusFd int
	// PageServer is "ADDRESS:PORT" of a page server, or "".
	PageServer        string
	ManageCgroupsMode string
	// EmptyNs are namespace types made empty on restore; the network one
	// always is, as in runc: its devices are the host's to give.
	EmptyNs         []string
	LsmProfile      string
	LsmMountContext string
}

// descriptorsFile records, beside the images, what init's stdio were:
// restore hands the pipes among them to the restored process.
const descriptorsFile = "descriptors.json"

// criuConfigAnnotation names a CRIU config file for one container; empty,
// none at all. Without it, /etc/criu/runc.conf is read, as runc reads it.
const (
	criuConfigAnnotation = "org.criu.config"
	criuDefaultConfig    = "/etc/criu/runc.conf"
)

// criuVersion asks CRIU for its version (30000 for 3.0), once per command.
func criuVersion() (int, error) {
	if _, err := exec.LookPath("criu"); err != nil {
		return 0, fmt.Errorf("checkpoint/restore needs CRIU (criu.org), and no criu is in $PATH: %w", err)
	}
	s := &swrk{req: &criuReq{Type: criuReqVersion}, statusFd: -1}
	if err := s.run(); err != nil {
		return 0, fmt.Errorf("CRIU version check failed: %w", err)
	}
	ver := s.version
	if ver == nil {
		return 0, errors.New("CRIU version check failed: CRIU's answer has no version")
	}
	v := int(ver.MajorNumber)*10000 + int(ver.MinorNumber)*100 + int(ver.Sublevel)
	if ver.Gitid != "" {
		// A build from git counts as the next minor release, as runc
		// and go-criu count it.
		v = v - v%100 + 100
	}
	if v < 31500 {
		return 0, fmt.Errorf("CRIU %d.%d is too old: runo needs 3.15 or newer", v/10000, v/100%100)
	}
	return v, nil
}

// rpcOpts turns the flags into CRIU's options, the images directory open
// in images; it fails on a flag with a bad value.
func (o *CriuOpts) rpcOpts(images, work *os.File, spec *specs.Spec) (*criuOpts, error) {
	mode, err := criuCgMode(o.ManageCgroupsMode)
	if err != nil {
		return nil, err
	}
	empty := uint32(unix.CLONE_NEWNET)
	for _, ns := range o.EmptyNs {
		if ns != string(specs.NetworkNamespace) {
			return nil, fmt.Errorf("--empty-ns %s: namespace is not supported (only network)", ns)
		}
	}
	r := &criuOpts{
		ImagesDirFd:       new(int32(images.Fd())),
		LogLevel:          new(int32(4)),
		ManageCgroups:     new(true),
		ManageCgroupsMode: &mode,
		NotifyScripts:     new(true),
		ShellJob:          new(o.ShellJob),
		TcpEstablished:    new(o.TCPEstablished),
		ExtUnixSk:         new(o.ExtUnixSk),
		FileLocks:         new(o.FileLocks),
		EmptyNs:           new(empty),
		OrphanPtsMaster:   new(true),
		AutoDedup:         new(o.AutoDedup),
		LazyPages:         new(o.LazyPages),
	}
	if work != nil {
		r.WorkDirFd = new(int32(work.Fd()))
	}
	if file, ok := spec.Annotations[criuConfigAnnotation]; !ok {
		r.ConfigFile = new(criuDefaultConfig)
	} else if file != "" {
		r.ConfigFile = new(file)
	}
	return r, nil
}

func criuCgMode(mode string) (int32, error) {
	switch mode {
	case "":
		return criuCgDefault, nil
	case "soft":
		return criuCgSoft, nil
	case "full":
		return criuCgFull, nil
	case "strict":
		return criuCgStrict, nil
	case "ignore":
		return criuCgIgnore, nil
	}
	return 0, fmt.Errorf("--manage-cgroups-mode %s: invalid manage-cgroups-mode value (soft, full, strict or ignore)", mode)
}

// openDirs makes and opens the images directory and the work directory,
// which defaults to it and holds CRIU's log.
func (o *CriuOpts) openDirs(create bool) (images, work *os.File, logDir string, err error) {
	if o.ImagePath == "" {
		return nil, nil, "", errors.New("--image-path: no directory for the images")
	}
	if create {
		if err := os.MkdirAll(o.ImagePath, 0o700); err != nil {
			return nil, nil, "", fmt.Errorf("--image-path: %w", err)
		}
	}
	if images, err = os.Open(o.ImagePath); err != nil {
		return nil, nil, "", fmt.Errorf("--image-path: %w", err)
	}
	logDir = o.ImagePath
	if o.WorkPath != "" {
		if err := os.MkdirAll(o.WorkPath, 0o700); err != nil {
			images.Close()
			return nil, nil, "", fmt.Errorf("--work-path: %w", err)
		}
		if work, err = os.Open(o.WorkPath); err != nil {
			images.Close()
			return nil, nil, "", fmt.Errorf("--work-path: %w", err)
		}
		logDir = o.WorkPath
	}
	return images, work, logDir, nil
}

// checkParent refuses a --parent-path that is absolute or not a directory
// beside the images.
func (o *CriuOpts) checkParent() error {
	if o.ParentPath == "" {
		return nil
	}
	if filepath.IsAbs(o.ParentPath) {
		return fmt.Errorf("--parent-path %s: must be relative to --image-path", o.ParentPath)
	}
	p := filepath.Join(o.ImagePath, o.ParentPath)
	st, err := os.Stat(p)
	if err == nil && !st.IsDir() {
		err = &os.PathError{Op: "stat", Path: p, Err: unix.ENOTDIR}
	}
	if err != nil {
		return fmt.Errorf("invalid --parent-path: %w", err)
	}
	return nil
}

// Checkpoint dumps a running or paused container into o.ImagePath. Unless
// it leaves the container running (or only pre-dumps), the container is
// deleted after, as runc deletes it.
func (c *Container) Checkpoint(o CriuOpts) error {
	if err := c.check(OpCheckpoint); err != nil {
		return err
	}
	if err := o.checkParent(); err != nil {
		return err
	}
	spec, err := c.spec()
	if err != nil {
		return err
	}
	if _, err := criuVersion(); err != nil {
		return err
	}
	images, work, logDir, err := o.openDirs(true)
	if err != nil {
		return err
	}
	defer images.Close()
	if work != nil {
		defer work.Close()
	}
	opts, err := o.rpcOpts(images, work, spec)
	if err != nil {
		return err
	}
	st := c.State
	opts.LogFile = new("dump.log")
	opts.Root = new(st.Rootfs)
	opts.Pid = new(int32(st.Pid))
	opts.LeaveRunning = new(o.LeaveRunning)
	opts.TcpSkipInFlight = new(o.TCPSkipInFlight)
	opts.LinkRemap = new(o.LinkRemap)
	for _, t := range []specs.LinuxNamespaceType{specs.NetworkNamespace, specs.PIDNamespace} {
		if path := namespacePath(spec, t); path != "" {
			var ns unix.Stat_t
			if err := unix.Stat(path, &ns); err != nil {
				return fmt.Errorf("linux.namespaces: %s namespace %s: %w", t, path, err)
			}
			opts.External = append(opts.External, fmt.Sprintf("%s[%d]:%s", criuNsName(t), ns.Ino, criuNsKey(t)))
		}
	}
	// CRIU freezes the processes through the cgroup: none escapes by
	// forking meanwhile.
	if dir := st.CgroupPaths["freezer"]; dir != "" {
		opts.FreezeCgroup = new(dir)
	} else if dir := st.CgroupPaths[cgroups.Unified]; dir != "" {
		opts.FreezeCgroup = new(dir)
	}
	if o.PageServer != "" {
		host, port, err := net.SplitHostPort(o.PageServer)
		n, perr := strconv.Atoi(port)
		if err != nil || host == "" || perr != nil || n <= 0 || n > 65535 {
			return fmt.Errorf("--page-server %s: use --page-server ADDRESS:PORT to specify page server", o.PageServer)
		}
		opts.Ps = &criuPageServerInfo{Address: new(host), Port: new(int32(n))}
	}
	if o.ParentPath != "" {
		opts.ParentImg = new(o.ParentPath)
		opts.TrackMem = new(true)
	}
	kind := criuReqDump
	if o.PreDump {
		kind = criuReqPreDump
		if err := checkCriuFeatures(&criuFeatures{MemTrack: new(true)}); err != nil {
			return err
		}
	}
	if o.LazyPages {
		if err := checkCriuFeatures(&criuFeatures{LazyPages: new(true)}); err != nil {
			return err
		}
		if o.StatusFd != -1 {
			flags, err := unix.FcntlInt(uintptr(o.StatusFd), unix.F_GETFL, 0)
			if err != nil {
				return fmt.Errorf("invalid --status-fd argument %d: %w", o.StatusFd, err)
			}
			if flags&(unix.O_WRONLY|unix.O_RDWR) == 0 {
				return fmt.Errorf("invalid --status-fd argument %d: not writable", o.StatusFd)
			}
		}
	}
	if !o.PreDump {
		opts.ExtMnt = c.externalMounts(spec, false)
		fds := make([]string, 3)
		for i := range fds {
			// An unreadable link (another mount namespace's file) is
			// recorded as "": CRIU restores it by itself.
			fds[i], _ = os.Readlink(fmt.Sprintf("/proc/%d/fd/%d", st.Pid, i))
		}
		data, err := json.Marshal(fds)
		if err != nil {
			return err
		}
		if err := writeFileAtomic(filepath.Join(o.ImagePath, descriptorsFile), data, 0o600); err != nil {
			return err
		}
	}
	s := &swrk{req: &criuReq{Type: kind, Opts: opts}, statusFd: o.StatusFd, debug: c.debug}
	if err := s.run(); err != nil {
		return criuFailed(err, logDir, "dump.log")
	}
	if o.LeaveRunning || o.PreDump {
		return nil
	}
	return c.Delete(true)
}

// spec reads the config.json create kept.
func (c *Container) spec() (*specs.Spec, error) {
	data, err := readRegular(filepath.Join(c.h.dir, configFile))
	if err != nil {
		return nil, fmt.Errorf("reading the container's config: %w", err)
	}
	return ParseSpec(data)
}

// namespacePath is the path of a namespace of type t the spec joins, or "".
func namespacePath(spec *specs.Spec, t specs.LinuxNamespaceType) string {
	for _, ns := range spec.Linux.Namespaces {
		if ns.Type == t {
			return ns.Path
		}
	}
	return ""
}

// criuNsName is the kernel's name of a namespace type, as in /proc/PID/ns.
func criuNsName(t specs.LinuxNamespaceType) string {
	switch t {
	case specs.NetworkNamespace:
		return "net"
	case specs.MountNamespace:
		return "mnt"
	}
	return string(t)
}

// criuNsKey names a joined namespace in the images: what restore maps to
// the namespace it joins. runc's names, so images move between them.
func criuNsKey(t specs.LinuxNamespaceType) string {
	name := criuNsName(t)
	return "extRoot" + strings.ToUpper(name[:1]) + name[1:] + "NS"
}

// externalMounts are the mounts CRIU cannot make by itself, which come from
// outside the container: bind mounts, cgroup directories bound in, devices
// bound from the host, /dev/null over masked files. Each is named by its
// destination in the images; restore maps the names to their sources.
func (c *Container) externalMounts(spec *specs.Spec, restore bool) []criuExtMountMap {
	var ext []criuExtMountMap
	add := func(dest, source string) {
		dest = MountDestination(c.State.Rootfs, dest)
		// The destination as it resolved inside the rootfs (a symlink).
		if p, err := securejoin.SecureJoin(c.State.Rootfs, dest); err == nil {
			dest = "/" + strings.TrimPrefix(strings.TrimPrefix(p, c.State.Rootfs), "/")
		}
		if !restore {
			source = dest
		}
		ext = append(ext, criuExtMountMap{Key: dest, Val: source})
	}
	cgroupNS := newNamespace(spec, specs.CgroupNamespace)
	userns := hasNamespace(spec, specs.UserNamespace)
	for _, m := range spec.Mounts {
		switch {
		case parseMountOptions(m.Options).isBind() || m.Type == "bind":
			src := m.Source
			if !filepath.IsAbs(src) {
				src = filepath.Join(c.State.Bundle, src)
			}
			add(m.Destination, src)
		case m.Type == "cgroup" || m.Type == "cgroup2":
			// Bound in where there is no cgroup namespace to mount one
			// (see rootfs.mountCgroup).
			for key, dir := range c.State.CgroupPaths {
				if key == cgroups.Unified && len(c.State.CgroupPaths) == 1 {
					if !cgroupNS {
						add(m.Destination, dir)
					}
				} else if key != cgroups.Unified && (!cgroupNS || userns) {
					add(filepath.Join(m.Destination, strings.TrimPrefix(key, "name=")), dir)
				}
			}
		}
	}
	if restore && len(spec.Linux.MaskedPaths) > 0 {
		ext = append(ext, criuExtMountMap{Key: "/dev/null", Val: "/dev/null"})
	} else if !restore {
		for _, p := range spec.Linux.MaskedPaths {
			st, err := os.Stat(fmt.Sprintf("/proc/%d/root%s", c.State.Pid, filepath.Clean("/"+p)))
			if err == nil && !st.IsDir() {
				ext = append(ext, criuExtMountMap{Key: filepath.Clean("/" + p), Val: "/dev/null"})
			}
		}
	}
	if userns {
		// Devices are bound from the host's in a user namespace.
		for _, d := range append(append([]specs.LinuxDevice{}, defaultDevices...), spec.Linux.Devices...) {
			add(d.Path, d.Path)
		}
	}
	return ext
}

// checkCriuFeatures asks CRIU whether it has the features want asks for.
func checkCriuFeatures(want *criuFeatures) error {
	s := &swrk{req: &criuReq{Type: criuReqFeatureCheck, Features: want}, statusFd: -1}
	if err := s.run(); err != nil {
		return fmt.Errorf("CRIU feature check failed: %w", err)
	}
	got := s.features
	var missing []string
	if has(want.MemTrack) && (got == nil || !has(got.MemTrack)) {
		missing = append(missing, "memory tracking (--pre-dump, --parent-path)")
	}
	if has(want.LazyPages) && (got == nil || !has(got.LazyPages)) {
		missing = append(missing, "lazy pages (--lazy-pages)")
	}
	if len(missing) > 0 {
		return fmt.Errorf("CRIU or this kernel lacks %s", strings.Join(missing, ", "))
	}
	return nil
}

// swrk is one request to a `criu swrk` child and the notifications it
// sends until it answers.
type swrk struct {
	req *criuReq
	// stdio become CRIU's, and so the restored process's inherited ones.
	stdio []*os.File
	// extra are inherited from fd 4 on.
	extra []*os.File
	// statusFd, if not -1, gets \0 when CRIU says it is ready to serve
	// lazy pages.
	statusFd int
	// joined moves CRIU into the container's cgroups before the request.
	joined func(pid int) error
	// notified handles a notification; the fds are those it came with.
	notified func(script string, pid int, fds []int) error
	// features and version are from CRIU's answer.
	features *criuFeatures
	version  *criuVersionInfo
	debug    func(string)
}

func (s *swrk) run() error {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	client := os.NewFile(uintptr(fds[0]), "criu-client")
	server := os.NewFile(uintptr(fds[1]), "criu-server")
	defer client.Close()
	cmd := exec.Command("criu", "swrk", "3")
	if s.stdio != nil {
		cmd.Stdin, cmd.Stdout, cmd.Stderr = s.stdio[0], s.stdio[1], s.stdio[2]
	}
	cmd.ExtraFiles = append([]*os.File{server}, s.extra...)
	err = cmd.Start()
	server.Close()
	if err != nil {
		return fmt.Errorf("starting criu: %w", err)
	}
	waited := false
	defer func() {
		if !waited {
			client.Close()
			cmd.Wait()
		}
	}()
	if s.joined != nil {
		if err := s.joined(cmd.Process.Pid); err != nil {
			return err
		}
	}
	if s.debug != nil && s.req.Opts != nil {
		s.debug(fmt.Sprintf("criu %s: %v", s.req.Type, s.req.Opts))
	}
	req := s.req
	buf, oob := make([]byte, 64*1024), make([]byte, unix.CmsgSpace(4*16))
	for {
		if _, err := client.Write(req.marshal()); err != nil {
			return fmt.Errorf("writing to criu: %w", err)
		}
		n, oobn, _, _, err := unix.Recvmsg(int(client.Fd()), buf, oob, unix.MSG_CMSG_CLOEXEC)
		if err != nil {
			return fmt.Errorf("reading from criu: %w", err)
		}
		if n == 0 {
			return errors.New("criu exited without answering")
		}
		var resp criuResp
		if err := resp.unmarshal(buf[:n]); err != nil {
			return fmt.Errorf("criu's answer: %w", err)
		}
		if !resp.Success {
			err := fmt.Errorf("criu %s failed", strings.ToLower(resp.Type.String()))
			if msg := resp.CrErrmsg; msg != "" {
				err = fmt.Errorf("%w: %s", err, msg)
			} else if n := resp.CrErrno; n != 0 {
				err = fmt.Errorf("%w: %w", err, unix.Errno(n))
			}
			return err
		}
		if resp.Type != criuReqNotify {
			s.features, s.version = resp.Features, resp.Version
			break
		}
		var passed []int
		if oobn > 0 {
			if msgs, err := unix.ParseSocketControlMessage(oob[:oobn]); err == nil {
				for i := range msgs {
					got, _ := unix.ParseUnixRights(&msgs[i])
					passed = append(passed, got...)
				}
			}
		}
		script, pid := resp.Notify.Script, int(resp.Notify.Pid)
		err = nil
		switch {
		case script == "status-ready" && s.statusFd != -1:
			unix.Write(s.statusFd, []byte{0})
			unix.Close(s.statusFd)
			s.statusFd = -1
		case s.notified != nil:
			err = s.notified(script, pid, passed)
		}
		for _, fd := range passed {
			unix.Close(fd)
		}
		if err != nil {
			return err
		}
		req = &criuReq{Type: criuReqNotify, NotifySuccess: new(true)}
	}
	unix.Shutdown(int(client.Fd()), unix.SHUT_WR)
	waited = true
	if err := cmd.Wait(); err != nil && s.req.Type != criuReqPreDump {
		return fmt.Errorf("criu: %w", err)
	}
	return nil
}

// criuFailed adds to err the lines of CRIU's log that say why, with a few
// before each: CRIU's own message is often only its errno.
func criuFailed(err error, dir, file string) error {
	path := filepath.Join(dir, file)
	f, ferr := os.Open(path)
	if ferr != nil {
		return err
	}
	defer f.Close()
	const before = 4
	var window []string
	var quoted []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() && len(quoted) < 40 {
		line := sc.Text()
		window = append(window, line)
		if len(window) > before+1 {
			window = window[1:]
		}
		if bytes.Contains(sc.Bytes(), []byte("Error")) {
			quoted = append(quoted, window...)
			window = nil
		}
	}
	if len(quoted) == 0 {
		return fmt.Errorf("%w (see %s)", err, path)
	}
	return fmt.Errorf("%w; from %s:\n%s", err, path, strings.Join(quoted, "\n"))
}
