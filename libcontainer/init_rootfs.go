package libcontainer

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	securejoin "github.com/cyphar/filepath-securejoin"

	"github.com/moby/sys/mountinfo"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/runo-runtime/runo/cgroups"
)

// rootfs sets up the container's filesystem from inside its new mount
// namespace. Every target is created and opened inside the rootfs without
// following symlinks out of it, and mounted through its file descriptor
// (/proc/self/fd/N), so a symlink swapped in later cannot redirect a mount.
type rootfs struct {
	path string
	root *os.File
	// realPath is root's path with no symlinks, as the kernel has it.
	realPath string
	bundle   string
	spec     *specs.Spec
	// cgroupPaths are the container's host cgroup directories, for a
	// "cgroup" mount.
	cgroupPaths map[string]string
	// cgroupNS says the process is in a new cgroup namespace, rooted at the
	// container's cgroups: a cgroup filesystem mounted there shows them.
	cgroupNS bool
	// userns says the container has a user namespace of its own: device
	// nodes and v1 cgroup filesystems cannot be made there, only bound.
	userns bool
	// source gets the source of a mount from the runtime, for those
	// sourceFromRuntime names.
	source func(i int) (*os.File, error)
	// devReadonly is a read-only /dev of the config's, mounted writable
	// until its devices and links are made.
	devReadonly bool
	// hostMounts says the container has no mount namespace of its own:
	// the host's propagation is left alone and chroot replaces pivot_root.
	hostMounts bool
}

var defaultDevices = []specs.LinuxDevice{
	{Path: "/dev/null", Type: "c", Major: 1, Minor: 3},
	{Path: "/dev/zero", Type: "c", Major: 1, Minor: 5},
	{Path: "/dev/full", Type: "c", Major: 1, Minor: 7},
	{Path: "/dev/random", Type: "c", Major: 1, Minor: 8},
	{Path: "/dev/urandom", Type: "c", Major: 1, Minor: 9},
	{Path: "/dev/tty", Type: "c", Major: 5, Minor: 0},
}

var deviceTypes = map[string]uint32{"c": unix.S_IFCHR, "u": unix.S_IFCHR, "b": unix.S_IFBLK, "p": unix.S_IFIFO}

// prepare does everything before pivot_root: propagation, the bind of the
// rootfs onto itself, the config's mounts and /dev.
func (r *rootfs) prepare() error {
	if !r.hostMounts {
		prop := uintptr(unix.MS_SLAVE | unix.MS_REC)
		if p := r.spec.Linux.RootfsPropagation; p != "" {
			prop = propagationFlags[p]
		}
		if err := unix.Mount("", "/", "", prop, ""); err != nil {
			return fmt.Errorf("setting propagation of /: %w", err)
		}
		if err := makeParentPrivate(r.path); err != nil {
			return err
		}
	}
	if err := unix.Mount(r.path, r.path, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("binding rootfs %s onto itself: %w", r.path, err)
	}
	if r.hostMounts {
		// Its mounts stay where they are made, not in the host's peers.
		if err := unix.Mount("", r.path, "", unix.MS_PRIVATE, ""); err != nil {
			return fmt.Errorf("making rootfs %s private: %w", r.path, err)
		}
	}
	root, err := os.OpenFile(r.path, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("opening rootfs: %w", err)
	}
	r.root = root
	if r.realPath, err = os.Readlink(fdPath(root)); err != nil {
		return fmt.Errorf("reading the rootfs path: %w", err)
	}
	bindDev := false
	for i := range r.spec.Mounts {
		r.spec.Mounts[i].Destination = MountDestination(r.path, r.spec.Mounts[i].Destination)
	}
	for i, m := range r.spec.Mounts {
		mount := r.mount
		if r.source != nil && sourceFromRuntime(r.spec, i) {
			mount = func(m specs.Mount) error {
				src, err := r.source(i)
				if err != nil {
					return err
				}
				return r.moveSource(m, src)
			}
		}
		if err := mount(m); err != nil {
			return fmt.Errorf("mounts[%d] (%s on %s): %w", i, m.Type, m.Destination, err)
		}
		if filepath.Clean(m.Destination) == "/dev" && parseMountOptions(m.Options).isBind() {
			bindDev = true
		}
	}
	// A bind-mounted /dev comes with its devices; otherwise make them.
	devices := r.spec.Linux.Devices
	if !bindDev {
		// A default device the config lists is the config's, as in runc.
		for _, d := range defaultDevices {
			if !slices.ContainsFunc(r.spec.Linux.Devices, func(c specs.LinuxDevice) bool { return filepath.Clean(c.Path) == d.Path }) {
				devices = append([]specs.LinuxDevice{d}, devices...)
			}
		}
		if err := r.devLinks(); err != nil {
			return err
		}
	}
	// Devices mostly share a directory: resolve each directory once.
	dirs := map[string]*os.File{}
	defer func() {
		for _, f := range dirs {
			f.Close()
		}
	}()
	for i, d := range devices {
		// Name the config's entry; the defaults come first.
		which := "a default device"
		if j := i - (len(devices) - len(r.spec.Linux.Devices)); j >= 0 {
			which = fmt.Sprintf("linux.devices[%d]", j)
		}
		dir, ok := dirs[filepath.Dir(d.Path)]
		if !ok {
			var err error
			if dir, err = r.mkdirAllHandle(filepath.Dir(d.Path)); err != nil {
				return fmt.Errorf("creating device %s (%s): %w", d.Path, which, err)
			}
			dirs[filepath.Dir(d.Path)] = dir
		}
		makeDevice := mknod
		if r.userns {
			makeDevice = bindDevice
		}
		if err := makeDevice(dir, d); err != nil {
			return fmt.Errorf("creating device %s (%s): %w", d.Path, which, err)
		}
	}
	if err := r.mkdirAll(r.spec.Process.Cwd); err != nil {
		return fmt.Errorf("process.cwd %s: %w", r.spec.Process.Cwd, err)
	}
	return nil
}

// makeParentPrivate makes the mount holding the rootfs private, because
// pivot_root refuses a new root whose parent mount is shared. The mount is
// found by asking for the change on path and each of its parents in turn:
// the kernel refuses it (EINVAL) on a directory that is no mount point.
// Cheaper than reading mountinfo, which lists every mount.
func makeParentPrivate(path string) error {
	for dir := filepath.Clean(path); ; dir = filepath.Dir(dir) {
		err := unix.Mount("", dir, "", unix.MS_PRIVATE, "")
		if err == nil {
			return nil
		}
		if err != unix.EINVAL || dir == "/" {
			return fmt.Errorf("making the mount that holds %s private: %w", path, err)
		}
	}
}

// mkdirAll creates a directory inside the rootfs and returns an O_PATH
// handle to it.
func (r *rootfs) mkdirAllHandle(path string) (*os.File, error) {
	return mkdirAllInRoot(r.root, path, 0o755)
}

func (r *rootfs) mkdirAll(path string) error {
	f, err := r.mkdirAllHandle(path)
	if err != nil {
		return err
	}
	return f.Close()
}

// createFile creates an empty file (a bind target) inside the rootfs and
// returns an O_PATH handle to it.
func (r *rootfs) createFile(path string) (*os.File, error) {
	dir, err := r.mkdirAllHandle(filepath.Dir(path))
	if err != nil {
		return nil, err
	}
	defer dir.Close()
	base := filepath.Base(path)
	fd, err := unix.Openat(int(dir.Fd()), base, unix.O_CREAT|unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o644)
	if err != nil && err != unix.EISDIR {
		return nil, err
	}
	if err == nil {
		unix.Close(fd)
	}
	fd, err = unix.Openat(int(dir.Fd()), base, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(fd), path), nil
}

func fdPath(f *os.File) string { return "/proc/self/fd/" + strconv.Itoa(int(f.Fd())) }

func (r *rootfs) mount(m specs.Mount) error {
	opts := parseMountOptions(m.Options)
	if m.Type == "cgroup" {
		return r.mountCgroup(m, opts)
	}
	if m.Type == "bind" || opts.isBind() {
		return r.bind(m, opts)
	}
	if m.Type == "proc" || m.Type == "sysfs" {
		// A symlink there would put the kernel's files elsewhere and leave
		// files of the image where runo and the process expect them
		// (CVE-2019-16884, CVE-2023-27561).
		fd, err := unix.Openat2(int(r.root.Fd()), m.Destination, &unix.OpenHow{
			Flags: unix.O_PATH | unix.O_CLOEXEC, Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_SYMLINKS,
		})
		if err == unix.ELOOP {
			return errors.New("the destination is a symlink in the image: it must be mounted on ordinary directory")
		}
		if err == nil {
			unix.Close(fd)
		}
	}
	if m.Destination == "/dev" && opts.flags&unix.MS_RDONLY != 0 {
		opts.flags &^= unix.MS_RDONLY
		r.devReadonly = true
	}
	// A tmpfs over a directory of the image takes its mode, as runc's
	// does; over one runo makes, tmpfs's own (1777).
	existed := false
	if m.Type == "tmpfs" {
		fd, err := unix.Openat2(int(r.root.Fd()), m.Destination, &unix.OpenHow{
			Flags: unix.O_PATH | unix.O_CLOEXEC, Resolve: unix.RESOLVE_IN_ROOT,
		})
		if err == nil {
			unix.Close(fd)
			existed = true
		}
	}
	target, err := r.target(m, true)
	if err != nil {
		return err
	}
	defer target.Close()
	if existed {
		if opts.data, err = tmpfsMode(opts.data, target); err != nil {
			return err
		}
	}
	var under *os.File
	if opts.tmpcopyup && m.Type == "tmpfs" {
		// Still the directory's contents once the tmpfs covers its path.
		if under, err = os.OpenFile(fdPath(target), unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0); err != nil {
			return err
		}
		defer under.Close()
	}
	if err := unix.Mount(m.Source, fdPath(target), m.Type, opts.flags, opts.data); err != nil {
		return err
	}
	return r.onMounted(m.Destination, func(path string) error {
		if under != nil {
			dst, err := os.OpenFile(path, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
			if err != nil {
				return err
			}
			defer dst.Close()
			if err := copyTree(under, dst); err != nil {
				return fmt.Errorf("tmpcopyup: %w", err)
			}
		}
		if err := setRecursive(path, opts.rec); err != nil {
			return err
		}
		return setPropagation(path, opts.propagation)
	})
}

// copyTree copies the contents of directory src into directory dst, with
// owners and modes, by descriptor: no path is followed.
func copyTree(src, dst *os.File) error {
	entries, err := src.ReadDir(-1)
	if err != nil {
		return err
	}
	for _, e := range entries {
		name := e.Name()
		var st unix.Stat_t
		if err := unix.Fstatat(int(src.Fd()), name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return err
		}
		if err := copyEntry(src, dst, name, &st); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if err := unix.Fchownat(int(dst.Fd()), name, int(st.Uid), int(st.Gid), unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return err
		}
	}
	return nil
}

func copyEntry(src, dst *os.File, name string, st *unix.Stat_t) error {
	sfd, dfd, mode := int(src.Fd()), int(dst.Fd()), st.Mode&0o7777
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		if err := unix.Mkdirat(dfd, name, mode); err != nil {
			return err
		}
		open := func(dir int) (*os.File, error) {
			fd, err := unix.Openat(dir, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
			return os.NewFile(uintptr(fd), name), err
		}
		s, err := open(sfd)
		if err != nil {
			return err
		}
		defer s.Close()
		d, err := open(dfd)
		if err != nil {
			return err
		}
		defer d.Close()
		if err := unix.Fchmod(int(d.Fd()), mode); err != nil {
			return err
		}
		return copyTree(s, d)
	case unix.S_IFLNK:
		target, err := readlinkat(sfd, name)
		if err != nil {
			return err
		}
		return unix.Symlinkat(target, dfd, name)
	case unix.S_IFREG:
		in, err := unix.Openat(sfd, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return err
		}
		inf := os.NewFile(uintptr(in), name)
		defer inf.Close()
		out, err := unix.Openat(dfd, name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_CLOEXEC, uint32(mode))
		if err != nil {
			return err
		}
		outf := os.NewFile(uintptr(out), name)
		defer outf.Close()
		if _, err := io.Copy(outf, inf); err != nil {
			return err
		}
		return unix.Fchmod(out, mode)
	default:
		// Devices, fifos and sockets: made again, as they were.
		return unix.Mknodat(dfd, name, st.Mode, int(st.Rdev))
	}
}

func readlinkat(dir int, name string) (string, error) {
	buf := make([]byte, unix.PathMax)
	n, err := unix.Readlinkat(dir, name, buf)
	if err != nil {
		return "", err
	}
	return string(buf[:n]), nil
}

// onMounted runs fn on a freshly reopened handle of dest: the handle that
// was mounted on refers to the directory below the new mount, not to it.
func (r *rootfs) onMounted(dest string, fn func(path string) error) error {
	mounted, err := openInRoot(r.root, dest)
	if err != nil {
		return err
	}
	defer mounted.Close()
	return fn(fdPath(mounted))
}

func (r *rootfs) bind(m specs.Mount, opts parsedMount) error {
	src := m.Source
	if !filepath.IsAbs(src) {
		src = filepath.Join(r.bundle, src)
	}
	if err := checkProcSource(src); err != nil {
		return err
	}
	st, err := os.Stat(src)
	if err != nil {
		return fmt.Errorf("bind source: %w", err)
	}
	target, err := r.target(m, st.IsDir())
	if err != nil {
		return err
	}
	defer target.Close()
	flags := opts.flags & (unix.MS_BIND | unix.MS_REC)
	if err := unix.Mount(src, fdPath(target), "", flags, ""); err != nil {
		return err
	}
	return r.bound(m, opts)
}

// bindTarget makes the directory or file a mount goes on. Symlinks of the
// image on the way are followed inside the rootfs, also those to a path
// that does not exist yet, which is made, as runc makes it.
func (r *rootfs) bindTarget(dest string, dir bool) (*os.File, error) {
	if full, err := securejoin.SecureJoin(r.realPath, dest); err == nil {
		if rel, err := filepath.Rel(r.realPath, full); err == nil {
			dest = "/" + rel
		}
	}
	if dir {
		return r.mkdirAllHandle(dest)
	}
	return r.createFile(dest)
}

// target makes and opens the directory or file mount m goes on, and
// refuses it where it resolved inside the container's /proc: a destination
// through a symlink of the image lands where the config did not say.
func (r *rootfs) target(m specs.Mount, dir bool) (*os.File, error) {
	t, err := r.bindTarget(m.Destination, dir)
	if err != nil {
		return nil, err
	}
	// /proc is still the host's here: the link names the target's real path.
	real, err := os.Readlink(fdPath(t))
	if err == nil {
		var rel string
		if rel, err = filepath.Rel(r.realPath, real); err == nil && rel != ".." && !strings.HasPrefix(rel, "../") {
			err = checkProcDestination("/"+rel, m)
		}
	}
	if err != nil {
		t.Close()
		return nil, err
	}
	return t, nil
}

// moveSource puts a detached mount of the runtime's in place.
func (r *rootfs) moveSource(m specs.Mount, src *os.File) error {
	defer src.Close()
	var st unix.Stat_t
	if err := unix.Fstat(int(src.Fd()), &st); err != nil {
		return err
	}
	target, err := r.target(m, st.Mode&unix.S_IFMT == unix.S_IFDIR)
	if err != nil {
		return err
	}
	defer target.Close()
	if err := moveMount(int(src.Fd()), target); err != nil {
		return fmt.Errorf("moving the mount into place: %w", err)
	}
	return r.bound(m, parseMountOptions(m.Options))
}

// bound applies what a bind mount ignores: every flag but MS_BIND and
// MS_REC takes a remount, and propagation a call of its own.
func (r *rootfs) bound(m specs.Mount, opts parsedMount) error {
	return r.onMounted(m.Destination, func(path string) error {
		if err := setBindFlags(path, opts); err != nil {
			return err
		}
		if err := setRecursive(path, opts.rec); err != nil {
			return err
		}
		return setPropagation(path, opts.propagation)
	})
}

// setRecursive applies the recursive options, if any, to the mount at
// path and all below it.
func setRecursive(path string, attr *unix.MountAttr) error {
	if attr == nil {
		return nil
	}
	if err := unix.MountSetattr(unix.AT_FDCWD, path, unix.AT_RECURSIVE, attr); err != nil {
		return fmt.Errorf("recursive mount options: %w", err)
	}
	return nil
}

// bindLockable are the flags a user namespace's mount may have locked from
// its source, which a remount of it must keep.
var bindLockable = map[int64]uintptr{
	unix.ST_RDONLY: unix.MS_RDONLY, unix.ST_NODEV: unix.MS_NODEV, unix.ST_NOSUID: unix.MS_NOSUID,
	unix.ST_NOEXEC: unix.MS_NOEXEC, unix.ST_NOATIME: unix.MS_NOATIME, unix.ST_NODIRATIME: unix.MS_NODIRATIME,
	unix.ST_RELATIME: unix.MS_RELATIME,
}

// setBindFlags gives a bind mount the flags its options name, as runc
// does, which is not what mount(8) does: with no flag option the mount
// keeps its source's flags; with any, it has those it names and no others
// (the atime mode is kept unless one is named). Where the kernel refuses
// (a user namespace may not drop what its source locks), the source's
// flags are kept too, unless an option cleared one of them ("rw" on a
// read-only source): then the mount fails.
func setBindFlags(path string, opts parsedMount) error {
	flags := opts.flags &^ (unix.MS_BIND | unix.MS_REC | unix.MS_REMOUNT)
	if flags == 0 && opts.cleared == 0 {
		return nil
	}
	err := unix.Mount("", path, "", flags|unix.MS_BIND|unix.MS_REMOUNT, "")
	if err != unix.EPERM {
		return remountErr(err)
	}
	var st unix.Statfs_t
	if err := unix.Statfs(path, &st); err != nil {
		return err
	}
	var source uintptr
	for stFlag, msFlag := range bindLockable {
		if st.Flags&stFlag != 0 {
			source |= msFlag
		}
	}
	if source&opts.cleared != 0 {
		return remountErr(err)
	}
	if flags&(unix.MS_NOATIME|unix.MS_RELATIME|unix.MS_STRICTATIME) != 0 {
		source &^= unix.MS_NOATIME | unix.MS_RELATIME
	}
	return remountErr(unix.Mount("", path, "", flags|source|unix.MS_BIND|unix.MS_REMOUNT, ""))
}

func remountErr(err error) error {
	if err != nil {
		return fmt.Errorf("remounting with options: %w", err)
	}
	return nil
}

// remountBind applies flags to a bind mount, keeping the flags the kernel
// locks on it (a bind of a nodev mount cannot drop nodev).
func remountBind(target string, flags uintptr) error {
	var st unix.Statfs_t
	if err := unix.Statfs(target, &st); err != nil {
		return err
	}
	locked := uintptr(0)
	for stFlag, msFlag := range map[int64]uintptr{
		unix.ST_NODEV: unix.MS_NODEV, unix.ST_NOEXEC: unix.MS_NOEXEC, unix.ST_NOSUID: unix.MS_NOSUID,
		unix.ST_RDONLY: unix.MS_RDONLY, unix.ST_NOATIME: unix.MS_NOATIME, unix.ST_RELATIME: unix.MS_RELATIME,
	} {
		if st.Flags&stFlag != 0 {
			locked |= msFlag
		}
	}
	flags = (flags | locked) &^ (unix.MS_REC)
	if err := unix.Mount("", target, "", flags|unix.MS_BIND|unix.MS_REMOUNT, ""); err != nil {
		return fmt.Errorf("remounting with options: %w", err)
	}
	return nil
}

func setPropagation(target string, props []uintptr) error {
	for _, p := range props {
		if err := unix.Mount("", target, "", p, ""); err != nil {
			return fmt.Errorf("setting propagation: %w", err)
		}
	}
	return nil
}

// mountCgroup shows the container its own cgroups: on a v2 host the
// cgroup2 directory; otherwise a tmpfs holding, for each v1 hierarchy, a
// cgroup filesystem mounted in the cgroup namespace, or without one a bind
// of the container's directory (both show the same).
func (r *rootfs) mountCgroup(m specs.Mount, opts parsedMount) error {
	if p, ok := r.cgroupPaths[cgroups.Unified]; ok && len(r.cgroupPaths) == 1 {
		if r.cgroupNS {
			err := r.mount(specs.Mount{Destination: m.Destination, Type: "cgroup2", Source: "cgroup2", Options: m.Options})
			// As runc, a bind of the container's cgroup where the kernel
			// refuses a fresh mount: EBUSY where the host's cgroup2 is at
			// the destination already (a /sys bound from the host).
			if !errors.Is(err, unix.EBUSY) && !errors.Is(err, unix.EPERM) {
				return err
			}
		}
		return r.bind(specs.Mount{Destination: m.Destination, Source: p}, parsedMount{flags: opts.flags | unix.MS_BIND})
	}
	target, err := r.target(m, true)
	if err != nil {
		return err
	}
	defer target.Close()
	if err := unix.Mount("tmpfs", fdPath(target), "tmpfs", opts.flags&^unix.MS_RDONLY, "mode=755"); err != nil {
		return err
	}
	tmpfs, err := openInRoot(r.root, m.Destination)
	if err != nil {
		return err
	}
	defer tmpfs.Close()
	keys := make([]string, 0, len(r.cgroupPaths))
	for k := range r.cgroupPaths {
		if k != cgroups.Unified {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, key := range keys {
		if err := r.mountV1(tmpfs, key, opts.flags); err != nil {
			return fmt.Errorf("mounting cgroup %s: %w", key, err)
		}
	}
	if opts.flags&unix.MS_RDONLY == 0 {
		return nil
	}
	return unix.Mount("", fdPath(tmpfs), "", opts.flags|unix.MS_REMOUNT, "mode=755")
}

// mountV1 mounts the v1 hierarchy whose controllers are key in the new,
// still private tmpfs: its plain names need no resolving inside the rootfs.
// In a cgroup namespace that is a fresh cgroup mount, else a bind (and a
// remount for the flags) of the container's cgroup.
func (r *rootfs) mountV1(tmpfs *os.File, key string, flags uintptr) error {
	name := strings.TrimPrefix(key, "name=")
	if err := unix.Mkdirat(int(tmpfs.Fd()), name, 0o755); err != nil {
		return err
	}
	open := func() (*os.File, error) {
		fd, err := unix.Openat(int(tmpfs.Fd()), name, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return nil, err
		}
		return os.NewFile(uintptr(fd), name), nil
	}
	dir, err := open()
	if err != nil {
		return err
	}
	defer dir.Close()
	if r.cgroupNS && !r.userns {
		return unix.Mount("cgroup", fdPath(dir), "cgroup", flags, key)
	}
	if err := unix.Mount(r.cgroupPaths[key], fdPath(dir), "", unix.MS_BIND, ""); err != nil {
		return err
	}
	mounted, err := open()
	if err != nil {
		return err
	}
	defer mounted.Close()
	return remountBind(fdPath(mounted), flags|unix.MS_BIND)
}

// mknod makes device d in dir, the directory of its path.
func mknod(dir *os.File, d specs.LinuxDevice) error {
	mode := uint32(0o666)
	if d.FileMode != nil {
		mode = uint32(*d.FileMode) & 0o7777
	}
	base := filepath.Base(d.Path)
	dev := unix.Mkdev(uint32(d.Major), uint32(d.Minor))
	if d.Type == "p" {
		dev = 0
	}
	err := unix.Mknodat(int(dir.Fd()), base, mode|deviceTypes[d.Type], int(dev))
	if errors.Is(err, unix.EEXIST) {
		// Whatever has that name stays, as in runc: it may be a file of
		// the host's behind a bind mount, and runo unlinks nothing it did
		// not make.
		return nil
	}
	if err != nil {
		return err
	}
	uid, gid := 0, 0
	if d.UID != nil {
		uid = int(*d.UID)
	}
	if d.GID != nil {
		gid = int(*d.GID)
	}
	return unix.Fchownat(int(dir.Fd()), base, uid, gid, unix.AT_SYMLINK_NOFOLLOW)
}

// bindDevice binds the host's node at d.Path over an empty file made in
// dir: a user namespace may not make device nodes. The owner and mode are
// the host node's.
func bindDevice(dir *os.File, d specs.LinuxDevice) error {
	fd, mode, err := openBindTarget(int(dir.Fd()), filepath.Base(d.Path))
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if mode != unix.S_IFREG {
		return fmt.Errorf("%s exists and is not a plain file to bind the device over", d.Path)
	}
	var host unix.Stat_t
	if err := unix.Stat(d.Path, &host); err != nil {
		return fmt.Errorf("the host's %s: %w", d.Path, err)
	}
	if host.Rdev != unix.Mkdev(uint32(d.Major), uint32(d.Minor)) {
		return fmt.Errorf("the host's %s is not device %d:%d", d.Path, d.Major, d.Minor)
	}
	src, err := unix.Open(d.Path, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("the host's %s: %w", d.Path, err)
	}
	defer unix.Close(src)
	return bindFd(src, fd, "")
}

// openBindTarget opens name in dir, without following a symlink, as the
// target of a bind mount of a file, making it empty if it is missing. It
// returns the descriptor and the file's type (S_IFREG, S_IFCHR...).
func openBindTarget(dir int, name string) (int, uint32, error) {
	fd, err := unix.Openat(dir, name, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if errors.Is(err, unix.ENOENT) {
		fd, err = unix.Openat(dir, name, unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	}
	if err != nil {
		return -1, 0, err
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return -1, 0, err
	}
	return fd, st.Mode & unix.S_IFMT, nil
}

// devLinks makes the links every Linux program expects in /dev.
func (r *rootfs) devLinks() error {
	dev, err := r.mkdirAllHandle("/dev")
	if err != nil {
		return err
	}
	defer dev.Close()
	links := [][2]string{
		{"/proc/self/fd", "fd"}, {"/proc/self/fd/0", "stdin"}, {"/proc/self/fd/1", "stdout"},
		{"/proc/self/fd/2", "stderr"}, {"pts/ptmx", "ptmx"},
	}
	if _, err := os.Stat("/proc/kcore"); err == nil {
		links = append(links, [2]string{"/proc/kcore", "core"})
	}
	for _, l := range links {
		if err := unix.Symlinkat(l[0], int(dev.Fd()), l[1]); err != nil && err != unix.EEXIST {
			return fmt.Errorf("linking /dev/%s to %s: %w", l[1], l[0], err)
		}
	}
	return nil
}

// pivot makes the rootfs the root: pivot_root without a temporary
// directory (the old root is stacked under the new one and detached), or,
// with noPivot, a move of the rootfs onto / and a chroot.
func (r *rootfs) pivot(noPivot bool) error {
	defer r.root.Close()
	if r.hostMounts {
		// Neither pivot_root nor a move may touch the host's root.
		if err := unix.Fchdir(int(r.root.Fd())); err != nil {
			return err
		}
		if err := unix.Chroot("."); err != nil {
			return fmt.Errorf("chroot: %w", err)
		}
		return unix.Chdir("/")
	}
	if noPivot {
		if err := r.hideHostProcfs(); err != nil {
			return err
		}
		if err := unix.Chdir(r.path); err != nil {
			return err
		}
		if err := unix.Mount(r.path, "/", "", unix.MS_MOVE, ""); err != nil {
			return fmt.Errorf("moving rootfs to /: %w", err)
		}
		if err := unix.Chroot("."); err != nil {
			return fmt.Errorf("chroot: %w", err)
		}
		return unix.Chdir("/")
	}
	oldRoot, err := unix.Open("/", unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(oldRoot)
	if err := unix.Fchdir(int(r.root.Fd())); err != nil {
		return err
	}
	if err := unix.PivotRoot(".", "."); err != nil {
		return fmt.Errorf("pivot_root: %w", err)
	}
	if err := unix.Fchdir(oldRoot); err != nil {
		return err
	}
	// Keep the unmount from propagating to the host.
	if err := unix.Mount("", ".", "", unix.MS_SLAVE|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("making old root a slave: %w", err)
	}
	if err := unix.Unmount(".", unix.MNT_DETACH); err != nil {
		return fmt.Errorf("detaching old root: %w", err)
	}
	return unix.Chdir("/")
}

// hideHostProcfs detaches, in the container's mount namespace, every full
// procfs and sysfs mount outside the rootfs, or covers it where detaching
// is refused. chroot leaves them in the namespace, and while one is fully
// visible the kernel lets the container mount a fresh procfs, which shows
// what maskedPaths hide.
func (r *rootfs) hideHostProcfs() error {
	inside := func(p string) bool {
		return p == r.path || p == r.realPath || strings.HasPrefix(p, r.path+"/") || strings.HasPrefix(p, r.realPath+"/")
	}
	mounts, err := mountinfo.GetMounts(func(m *mountinfo.Info) (skip, stop bool) {
		return m.Root != "/" || m.FSType != "proc" && m.FSType != "sysfs" || inside(m.Mountpoint), false
	})
	if err != nil {
		return fmt.Errorf("reading mounts: %w", err)
	}
	for _, m := range mounts {
		// The detach must not reach the host's mounts.
		if err := unix.Mount("", m.Mountpoint, "", unix.MS_SLAVE|unix.MS_REC, ""); err != nil {
			if errors.Is(err, unix.ENOENT) {
				// Gone with a parent detached before it.
				continue
			}
			return fmt.Errorf("hiding %s: %w", m.Mountpoint, err)
		}
		err := unix.Unmount(m.Mountpoint, unix.MNT_DETACH)
		if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.EPERM) {
			err = unix.Mount("tmpfs", m.Mountpoint, "tmpfs", unix.MS_RDONLY, "")
		}
		if err != nil {
			return fmt.Errorf("hiding %s: %w", m.Mountpoint, err)
		}
	}
	return nil
}

// finish does what must follow pivot_root: the rootfs propagation, a
// read-only root, masked and read-only paths.
func (r *rootfs) finish() error {
	if p := r.spec.Linux.RootfsPropagation; p != "" {
		if err := unix.Mount("", "/", "", propagationFlags[p], ""); err != nil {
			return fmt.Errorf("linux.rootfsPropagation %q: %w", p, err)
		}
	}
	if r.devReadonly {
		if err := remountBind("/dev", unix.MS_RDONLY); err != nil {
			return fmt.Errorf("read-only /dev: %w", err)
		}
	}
	for _, p := range r.spec.Linux.ReadonlyPaths {
		if err := readonlyPath(p); err != nil {
			return fmt.Errorf("linux.readonlyPaths %s: %w", p, err)
		}
	}
	if len(r.spec.Linux.MaskedPaths) > 0 {
		null, err := devNull()
		if err != nil {
			return fmt.Errorf("linux.maskedPaths: %w", err)
		}
		defer null.Close()
		m := masker{null: null, done: map[string]bool{}}
		for _, p := range r.spec.Linux.MaskedPaths {
			if err := m.mask(p); err != nil {
				return fmt.Errorf("linux.maskedPaths %s: %w", p, err)
			}
		}
	}
	if r.spec.Root.Readonly {
		if err := remountBind("/", unix.MS_RDONLY); err != nil {
			return fmt.Errorf("root.readonly: %w", err)
		}
	}
	return nil
}

func readonlyPath(p string) error {
	if err := unix.Mount(p, p, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		if errors.Is(err, unix.ENOENT) {
			return nil
		}
		return err
	}
	return remountBind(p, unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC)
}

// reopenDevNull gives the process the container's /dev/null in place of
// stdio that is the host's, as runc does: /proc/self/fd/0 then names a
// file of the container, and CRIU can dump it (it cannot a file of a
// mount outside the container). A /dev/null of the container that is not
// the null device is left alone here (and refused by masking, devNull).
func reopenDevNull() error {
	isNull := func(fd int) bool {
		var st unix.Stat_t
		return unix.Fstat(fd, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFCHR && st.Rdev == unix.Mkdev(1, 3)
	}
	null := -1
	for fd := 0; fd <= 2; fd++ {
		if !isNull(fd) {
			continue
		}
		if null < 0 {
			probe, err := devNull()
			if err != nil {
				return nil
			}
			probe.Close()
			if null, err = unix.Open("/dev/null", unix.O_RDWR|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0); err != nil {
				return fmt.Errorf("reopening /dev/null: %w", err)
			}
			defer unix.Close(null)
			if !isNull(null) {
				return errors.New("reopening /dev/null: it is not the null device (char 1:3)")
			}
		}
		if err := unix.Dup3(null, fd, 0); err != nil {
			return fmt.Errorf("reopening /dev/null as fd %d: %w", fd, err)
		}
	}
	return nil
}

// devNull opens the container's /dev/null for masking, refusing anything
// but the null device itself (CVE-2025-31133): a symlink or another file in
// its place would be bound over the masked paths instead.
func devNull() (*os.File, error) {
	fd, err := unix.Open("/dev/null", unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("opening /dev/null: %w", err)
	}
	f := os.NewFile(uintptr(fd), "/dev/null")
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		f.Close()
		return nil, fmt.Errorf("/dev/null: %w", err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFCHR || st.Rdev != unix.Mkdev(1, 3) {
		f.Close()
		return nil, errors.New("/dev/null is not the null device (char 1:3)")
	}
	return f, nil
}

// masker covers masked files with /dev/null and masked directories with
// one read-only tmpfs, the first one's mount bound on the others, as runc
// does; a path listed twice is masked once.
type masker struct {
	null *os.File
	// dir is the first masked directory, once masked.
	dir  string
	done map[string]bool
}

func (m *masker) mask(p string) error {
	p = filepath.Clean(p)
	if m.done[p] {
		return nil
	}
	m.done[p] = true
	var st unix.Stat_t
	err := unix.Stat(p, &st)
	switch {
	case errors.Is(err, unix.ENOENT):
		return nil
	case err != nil:
		return err
	case st.Mode&unix.S_IFMT != unix.S_IFDIR:
		return bindFd(int(m.null.Fd()), unix.AT_FDCWD, p)
	case m.dir == "":
		if err := unix.Mount("tmpfs", p, "tmpfs", unix.MS_RDONLY, ""); err != nil {
			return err
		}
		m.dir = p
		return nil
	}
	src, err := unix.Open(m.dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(src)
	return bindFd(src, unix.AT_FDCWD, p)
}

// bindFd binds what src refers to (a file or directory) onto path, from
// dirfd, or onto dirfd itself when path is "". Both ends are descriptors:
// after pivot_root, /proc is the container's, where a mount over
// /proc/1/fd would turn /proc/self/fd/N into a link of the container's
// choosing. A trailing symlink in path is followed, as mount(2) does.
func bindFd(src, dirfd int, path string) error {
	tree, err := unix.OpenTree(src, "", unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC|unix.AT_EMPTY_PATH)
	if err != nil {
		return fmt.Errorf("open_tree: %w", err)
	}
	defer unix.Close(tree)
	flags := unix.MOVE_MOUNT_F_EMPTY_PATH
	if path == "" {
		flags |= unix.MOVE_MOUNT_T_EMPTY_PATH
	} else {
		flags |= unix.MOVE_MOUNT_T_SYMLINKS
	}
	return unix.MoveMount(tree, "", dirfd, path, flags)
}

// moveMount puts a detached mount at the target, both by descriptor.
func moveMount(tree int, target *os.File) error {
	return unix.MoveMount(tree, "", int(target.Fd()), "", unix.MOVE_MOUNT_F_EMPTY_PATH|unix.MOVE_MOUNT_T_EMPTY_PATH)
}

// tmpfsMode adds the mode of dir to a tmpfs's options, unless they have
// one already.
func tmpfsMode(data string, dir *os.File) (string, error) {
	for _, o := range strings.Split(data, ",") {
		if strings.HasPrefix(o, "mode=") {
			return data, nil
		}
	}
	var st unix.Stat_t
	if err := unix.Fstat(int(dir.Fd()), &st); err != nil {
		return "", err
	}
	mode := fmt.Sprintf("mode=%o", st.Mode&0o7777)
	if data == "" {
		return mode, nil
	}
	return data + "," + mode, nil
}
