package libcontainer

import (
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// selfExe returns the runo binary as `runo init` is to execute it: on a
// detached, read-only bind mount of its own. /proc/PID/exe of any runo init,
// seen from inside a container, then leads to a file that cannot be opened
// for writing, so the host's binary cannot be overwritten through it
// (CVE-2019-5736). Two system calls, and nothing is copied.
//
// Without the privilege to clone mounts (rootless runo), the binary is
// used as it is when this user cannot write it, and otherwise copied into
// a sealed memfd.
func selfExe() (*os.File, error) {
	fd, err := unix.OpenTree(unix.AT_FDCWD, "/proc/self/exe", unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC)
	if err == unix.EPERM {
		return unprivilegedExe()
	}
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

func unprivilegedExe() (*os.File, error) {
	exe, err := os.Open("/proc/self/exe")
	if err != nil {
		return nil, err
	}
	if unix.Faccessat(unix.AT_FDCWD, "/proc/self/exe", unix.W_OK, unix.AT_EACCESS) != nil {
		return exe, nil
	}
	defer exe.Close()
	fd, err := unix.MemfdCreate("runo", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return nil, fmt.Errorf("copying the runo binary: %w", err)
	}
	mem := os.NewFile(uintptr(fd), "runo")
	if _, err := io.Copy(mem, exe); err != nil {
		mem.Close()
		return nil, fmt.Errorf("copying the runo binary: %w", err)
	}
	seals := unix.F_SEAL_SEAL | unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, seals); err != nil {
		mem.Close()
		return nil, fmt.Errorf("sealing the copy of the runo binary: %w", err)
	}
	return mem, nil
}
