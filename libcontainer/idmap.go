package libcontainer

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

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

// writeIDMaps writes the id maps of a new user namespace while its first
// process waits, before it makes the other namespaces, which it then owns.
// Rootless runo may write a map of its own id alone, setgroups denied;
// other maps go through newuidmap and newgidmap, which check /etc/subuid
// and /etc/subgid.
func writeIDMaps(pid int, l *specs.Linux, rootless bool) error {
	for _, m := range []struct {
		file, field, helper string
		maps                []specs.LinuxIDMapping
		own                 int
	}{{"gid_map", "linux.gidMappings", "newgidmap", l.GIDMappings, os.Getegid()}, {"uid_map", "linux.uidMappings", "newuidmap", l.UIDMappings, os.Geteuid()}} {
		var b strings.Builder
		args := []string{strconv.Itoa(pid)}
		for _, id := range m.maps {
			fmt.Fprintf(&b, "%d %d %d\n", id.ContainerID, id.HostID, id.Size)
			args = append(args, strconv.FormatUint(uint64(id.ContainerID), 10), strconv.FormatUint(uint64(id.HostID), 10), strconv.FormatUint(uint64(id.Size), 10))
		}
		own := len(m.maps) == 1 && m.maps[0].HostID == uint32(m.own) && m.maps[0].Size == 1
		if rootless && !own {
			if out, err := exec.Command(m.helper, args...).CombinedOutput(); err != nil {
				return fmt.Errorf("%s: %s (needs package uidmap and this user's range in /etc/sub%sid): %v: %s",
					m.field, m.helper, m.file[:1], err, strings.TrimSpace(string(out)))
			}
			continue
		}
		if rootless && m.file == "gid_map" {
			if err := os.WriteFile(fmt.Sprintf("/proc/%d/setgroups", pid), []byte("deny"), 0); err != nil {
				return fmt.Errorf("denying setgroups: %w", err)
			}
		}
		path := fmt.Sprintf("/proc/%d/%s", pid, m.file)
		if err := os.WriteFile(path, []byte(b.String()), 0); err != nil {
			return fmt.Errorf("%s: writing %s: %w", m.field, path, bareError(err))
		}
	}
	return nil
}
