package libcontainer

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"github.com/moby/sys/user"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/runo-runtime/runo/nsenter"
)

// Mount sources the runtime opens. Only the host's root may idmap a mount
// of a host file system, and the root of a new user namespace may not
// reach a source that the host's root can: for those mounts init asks the
// runtime, when it comes to them, for the source. The runtime clones it
// (open_tree) from init's mount namespace, where the mounts made before it
// are in place, maps its ids through a user namespace with the mount's
// mappings (mount_setattr MOUNT_ATTR_IDMAP) when it is idmapped, and hands
// it over as a descriptor that init moves into place.

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

// sourceFromRuntime says whether init asks the runtime for mount i's
// source: an idmapped mount, or a bind mount in a new user namespace.
func sourceFromRuntime(spec *specs.Spec, i int) bool {
	m := spec.Mounts[i]
	if ok, _ := idmapped(i, m); ok {
		return true
	}
	return (m.Type == "bind" || parseMountOptions(m.Options).isBind()) && newNamespace(spec, specs.UserNamespace)
}

// openMountSource clones mount i's source in the mount namespace of init
// (pid), idmapped if it is to be. Validate has checked the mounts.
func openMountSource(pid int, spec *specs.Spec, bundle string, i int) (*os.File, error) {
	m := spec.Mounts[i]
	src := m.Source
	if !filepath.IsAbs(src) {
		src = filepath.Join(bundle, src)
	}
	opts := parseMountOptions(m.Options)
	var userns *os.File
	if ok, _ := idmapped(i, m); ok {
		var err error
		if userns, err = idmapUserns(spec, m); err != nil {
			return nil, err
		}
		defer userns.Close()
	}
	mntns, err := os.Open(fmt.Sprintf("/proc/%d/ns/mnt", pid))
	if err != nil {
		return nil, err
	}
	defer mntns.Close()
	type result struct {
		tree *os.File
		err  error
	}
	done := make(chan result, 1)
	go func() {
		// Never unlocked: the thread, moved to another mount namespace,
		// ends with this goroutine.
		runtime.LockOSThread()
		tree, err := cloneSource(mntns, src, opts, userns, pid)
		done <- result{tree, err}
	}()
	r := <-done
	return r.tree, r.err
}

// cloneSource runs on a thread of its own, which it moves into mntns.
func cloneSource(mntns *os.File, src string, opts parsedMount, userns *os.File, initPid int) (*os.File, error) {
	if err := unix.Unshare(unix.CLONE_FS); err != nil {
		return nil, err
	}
	if err := unix.Setns(int(mntns.Fd()), unix.CLONE_NEWNS); err != nil {
		return nil, fmt.Errorf("entering init's mount namespace: %w", err)
	}
	if err := checkProcSource(src, initPid); err != nil {
		return nil, err
	}
	flags := uint(unix.OPEN_TREE_CLONE | unix.OPEN_TREE_CLOEXEC)
	if opts.flags&unix.MS_REC != 0 {
		flags |= unix.AT_RECURSIVE
	}
	fd, err := unix.OpenTree(unix.AT_FDCWD, src, flags)
	if err != nil {
		return nil, fmt.Errorf("cloning the source: %w", err)
	}
	tree := os.NewFile(uintptr(fd), src)
	if userns == nil {
		return tree, nil
	}
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

// idmapUserns is the user namespace mount m's ids are mapped through: one
// made with its own mappings or, without them, the user namespace the
// container joins, or one with the container's mappings.
func idmapUserns(spec *specs.Spec, m specs.Mount) (*os.File, error) {
	uids, gids := m.UIDMappings, m.GIDMappings
	if len(uids) == 0 {
		for _, ns := range spec.Linux.Namespaces {
			if ns.Type == specs.UserNamespace && ns.Path != "" {
				return os.Open(ns.Path)
			}
		}
		uids, gids = spec.Linux.UIDMappings, spec.Linux.GIDMappings
	}
	return newUserns(uids, gids)
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

// joinsUserns says whether the container joins a user namespace by path.
func joinsUserns(l *specs.Linux) bool {
	return slices.ContainsFunc(l.Namespaces, func(ns specs.LinuxNamespace) bool {
		return ns.Type == specs.UserNamespace && ns.Path != ""
	})
}

// checkJoinedMappings refuses, as runc does, id mappings given with the
// path of a user namespace to join when they are not that namespace's own
// (containerd and CRI-O send both). Init reads them from inside it.
func checkJoinedMappings(l *specs.Linux) error {
	if !joinsUserns(l) || len(l.UIDMappings) == 0 && len(l.GIDMappings) == 0 {
		return nil
	}
	for _, m := range []struct {
		field, file string
		maps        []specs.LinuxIDMapping
	}{{"linux.uidMappings", "/proc/self/uid_map", l.UIDMappings}, {"linux.gidMappings", "/proc/self/gid_map", l.GIDMappings}} {
		maps, err := user.ParseIDMapFile(m.file)
		if err != nil {
			return fmt.Errorf("%s: reading the joined user namespace's: %w", m.field, err)
		}
		have := make([]specs.LinuxIDMapping, len(maps))
		for i, id := range maps {
			have[i] = specs.LinuxIDMapping{ContainerID: uint32(id.ID), HostID: uint32(id.ParentID), Size: uint32(id.Count)}
		}
		byStart := func(a, b specs.LinuxIDMapping) int { return cmp.Compare(a.ContainerID, b.ContainerID) }
		want := slices.SortedFunc(slices.Values(m.maps), byStart)
		slices.SortFunc(have, byStart)
		if !slices.Equal(want, have) {
			return fmt.Errorf("%s: %s are not the mappings of the user namespace joined, %s: give its path or mappings, not both", m.field, quoteList(want), quoteList(have))
		}
	}
	return nil
}
