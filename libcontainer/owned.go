package libcontainer

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// errNotOwned marks a directory runo will not trust: another user could
// change what is in it.
var errNotOwned = errors.New("not a directory of runo's own")

// checkOwned refuses fd, opened as path, unless it is a directory owned by
// the euid that no group or other may write: only then can no one else
// rename, replace or plant what runo reads there (state, hooks, compiled
// seccomp programs).
func checkOwned(fd int, path string) error {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	euid := uint32(os.Geteuid())
	if st.Mode&unix.S_IFMT != unix.S_IFDIR || st.Uid != euid || st.Mode&0o022 != 0 {
		return fmt.Errorf("%s is owned by uid %d with mode %#o: runo trusts only a directory of uid %d that no group or other can write: %w",
			path, st.Uid, st.Mode&0o7777, euid, errNotOwned)
	}
	return nil
}

// openOwnedDir opens path, a directory, without following a symlink in its
// last component, and checks that runo may trust it. With at >= 0, path is
// a name in the directory at, as a container's is in the state root.
func openOwnedDir(at int, name, path string) (int, error) {
	if at < 0 {
		at = unix.AT_FDCWD
	}
	fd, err := unix.Openat(at, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		if err == unix.ELOOP || err == unix.ENOTDIR {
			return -1, fmt.Errorf("%s: a symlink or not a directory: %w", path, errNotOwned)
		}
		return -1, &os.PathError{Op: "open", Path: path, Err: err}
	}
	if err := checkOwned(fd, path); err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}
