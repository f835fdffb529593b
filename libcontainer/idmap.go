package libcontainer

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/runo-runtime/runo/nsenter"
)

// Idmapped mounts. Only the host's root may idmap a mount of a host file
// system, so the runtime makes them: a detached clone of the source
// (open_tree), its ids mapped through a user namespace with the mount's
// mappings (mount_setattr MOUNT_ATTR_IDMAP), handed to init as a
// descriptor that init moves into place.

// idmapped reports whether mount m is to be idmapped, and checks it.
func idmapped(i int, m specs.Mount) (bool, error) {
	opts := parseMountOptions(m.Options)
	if !opts.idmap && len(m.UIDMappings) == 0 && len(m.GIDMappings) == 0 {
		return false, nil
	}
	if m.Type != "bind" && !opts.isBind() {
		return false, fmt.Errorf("mounts[%d] (%s): idmapped mounts must be bind mounts", i, m.Destination)
	}
	if (len(m.UIDMappings) == 0) != (len(m.GIDMappings) == 0) {
		return false, fmt.Errorf("mounts[%d] (%s): uidMappings and gidMappings go together", i, m.Destination)
	}
	return true, nil
}

// openIDMapped makes the detached idmapped mounts of spec, by mount index.
// A mount without mappings of its own takes the container's.
func openIDMapped(spec *specs.Spec, bundle string) (map[int]*os.File, error) {
	out := map[int]*os.File{}
	fail := func(err error) (map[int]*os.File, error) {
		for _, f := range out {
			f.Close()
		}
		return nil, err
	}
	for i, m := range spec.Mounts {
		// Validate has checked the mounts.
		if ok, _ := idmapped(i, m); !ok {
			continue
		}
		uids, gids := m.UIDMappings, m.GIDMappings
		if len(uids) == 0 {
			uids, gids = spec.Linux.UIDMappings, spec.Linux.GIDMappings
		}
		f, err := openIDMappedMount(m, bundle, uids, gids)
		if err != nil {
			return fail(fmt.Errorf("mounts[%d] (idmapped %s on %s): %w", i, m.Source, m.Destination, err))
		}
		out[i] = f
	}
	return out, nil
}

func openIDMappedMount(m specs.Mount, bundle string, uids, gids []specs.LinuxIDMapping) (*os.File, error) {
	src := m.Source
	if !filepath.IsAbs(src) {
		src = filepath.Join(bundle, src)
	}
	opts := parseMountOptions(m.Options)
	flags := uint(unix.OPEN_TREE_CLONE | unix.OPEN_TREE_CLOEXEC)
	if opts.flags&unix.MS_REC != 0 {
		flags |= unix.AT_RECURSIVE
	}
	fd, err := unix.OpenTree(unix.AT_FDCWD, src, flags)
	if err != nil {
		return nil, fmt.Errorf("cloning the source: %w", err)
	}
	tree := os.NewFile(uintptr(fd), src)
	userns, err := newUserns(uids, gids)
	if err != nil {
		tree.Close()
		return nil, err
	}
	defer userns.Close()
	attr := &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_IDMAP, Userns_fd: uint64(userns.Fd())}
	setFlags := uint(unix.AT_EMPTY_PATH)
	if opts.idmapRec {
		setFlags |= unix.AT_RECURSIVE
	}
	if err := unix.MountSetattr(fd, "", setFlags, attr); err != nil {
		tree.Close()
		return nil, fmt.Errorf("idmapping: %w", err)
	}
	return tree, nil
}

// errUsernsOpen stops the process newUserns starts once its namespace is
// open: the process itself is not needed.
var errUsernsOpen = errors.New("user namespace open")

// newUserns returns a user namespace with the given maps: nsenter's child
// makes it and waits while the maps are written and the namespace opened,
// then is killed without ever executing anything.
func newUserns(uids, gids []specs.LinuxIDMapping) (*os.File, error) {
	exe, err := os.Open("/proc/self/exe")
	if err != nil {
		return nil, err
	}
	defer exe.Close()
	var ns *os.File
	_, err = nsenter.Start(&nsenter.Config{
		Exe: exe, Args: []string{"runo"},
		Namespaces: []nsenter.Namespace{{Type: "user"}},
		Placed: func(pid int) error {
			if err := writeIDMaps(pid, &specs.Linux{UIDMappings: uids, GIDMappings: gids}, false); err != nil {
				return err
			}
			f, err := os.Open(fmt.Sprintf("/proc/%d/ns/user", pid))
			if err != nil {
				return err
			}
			ns = f
			return errUsernsOpen
		},
	})
	if errors.Is(err, errUsernsOpen) {
		return ns, nil
	}
	if err == nil {
		err = errors.New("the user namespace process went on")
	}
	return nil, fmt.Errorf("making a user namespace for the mappings: %w", err)
}

// moveMount puts a detached mount at the target, both by descriptor.
func moveMount(tree int, target *os.File) error {
	return unix.MoveMount(tree, "", int(target.Fd()), "", unix.MOVE_MOUNT_F_EMPTY_PATH|unix.MOVE_MOUNT_T_EMPTY_PATH)
}
