package libcontainer

import (
	"errors"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// Look-ups inside the rootfs go through openat2 with RESOLVE_IN_ROOT: the
// kernel keeps every step, the image's symlinks and ".." included, below the
// rootfs, atomically. pathrs-lite does the same and then names each handle
// through a procfs instance of its own: some 30 more syscalls a look-up,
// which init, with a handle per mount, paid ~20 times per container.

// openInRoot opens path inside root as an O_PATH handle.
func openInRoot(root *os.File, path string) (*os.File, error) {
	fd, err := unix.Openat2(int(root.Fd()), path, &unix.OpenHow{
		Flags: unix.O_PATH | unix.O_CLOEXEC, Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS,
	})
	if err != nil {
		return nil, &os.PathError{Op: "openat2", Path: path, Err: err}
	}
	return os.NewFile(uintptr(fd), path), nil
}

// mkdirAllInRoot makes the directories of path that are missing inside root
// and returns an O_PATH handle to the last. What exists is looked up as
// openInRoot does; each directory made is opened from its parent's handle
// without following symlinks, so that one swapped in meanwhile fails the
// call instead of leading out of the rootfs.
func mkdirAllInRoot(root *os.File, path string, mode uint32) (*os.File, error) {
	dir, rest, err := lookupExisting(root, path)
	if err != nil {
		return nil, err
	}
	for _, part := range strings.Split(rest, "/") {
		switch part {
		case "", ".":
			continue
		case "..":
			dir.Close()
			return nil, &os.PathError{Op: "mkdirat", Path: path, Err: errors.New("a directory to make is reached through ..")}
		}
		name := filepath.Join(dir.Name(), part)
		if err := unix.Mkdirat(int(dir.Fd()), part, mode); err != nil && err != unix.EEXIST {
			dir.Close()
			return nil, &os.PathError{Op: "mkdirat", Path: name, Err: err}
		}
		fd, err := unix.Openat2(int(dir.Fd()), part, &unix.OpenHow{
			Flags:   unix.O_PATH | unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_CLOEXEC,
			Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_XDEV,
		})
		dir.Close()
		if err != nil {
			return nil, &os.PathError{Op: "openat2", Path: name, Err: err}
		}
		dir = os.NewFile(uintptr(fd), name)
	}
	return dir, nil
}

// lookupExisting opens the longest leading part of path that is a
// directory inside root, and returns the rest.
func lookupExisting(root *os.File, path string) (*os.File, string, error) {
	for end := len(path); end > 0; {
		sub := path[:end]
		fd, err := unix.Openat2(int(root.Fd()), sub, &unix.OpenHow{
			Flags: unix.O_PATH | unix.O_DIRECTORY | unix.O_CLOEXEC, Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS,
		})
		if err == nil {
			return os.NewFile(uintptr(fd), sub), strings.TrimPrefix(path[end:], "/"), nil
		}
		if err != unix.ENOENT && err != unix.ENOTDIR {
			return nil, "", &os.PathError{Op: "openat2", Path: sub, Err: err}
		}
		end = strings.LastIndexByte(sub, '/')
	}
	fd, err := unix.FcntlInt(root.Fd(), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return nil, "", err
	}
	return os.NewFile(uintptr(fd), "/"), path, nil
}
