package libcontainer

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// selfExe returns the runo binary as `runo init` is to execute it: on a
// detached, read-only bind mount of its own. /proc/PID/exe of any runo init,
// seen from inside a container, then leads to a file that cannot be opened
// for writing, so the host's binary cannot be overwritten through it
// (CVE-2019-5736). Two system calls, and nothing is copied.
func selfExe() (*os.File, error) {
	fd, err := unix.OpenTree(unix.AT_FDCWD, "/proc/self/exe", unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("cloning the mount of the runo binary: %w", err)
	}
	attr := unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY | unix.MOUNT_ATTR_NODEV}
	if err := unix.MountSetattr(fd, "", unix.AT_EMPTY_PATH, &attr); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("making the runo binary's mount read-only: %w", err)
	}
	return os.NewFile(uintptr(fd), "runo"), nil
}
