package libcontainer

import (
	"fmt"
	"net"
	"strconv"

	"golang.org/x/sys/unix"
)

// announce tells the caller the pid of a new process, as --pid-file and
// --pidfd-socket ask (create, run, exec alike).
func announce(pid int, pidFile, pidfdSocket string) error {
	if pidFile != "" {
		if err := writeFileAtomic(pidFile, []byte(strconv.Itoa(pid)), 0o644); err != nil {
			return fmt.Errorf("writing pid file: %w", err)
		}
	}
	if pidfdSocket != "" {
		return sendPidfd(pidfdSocket, pid)
	}
	return nil
}

// sendPidfd sends a pidfd of pid to the unix socket at path (--pidfd-socket)
// as one SCM_RIGHTS message, as runc does: the receiver can then wait for
// and signal the process without racing pid reuse.
func sendPidfd(path string, pid int) error {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return fmt.Errorf("--pidfd-socket: opening a pidfd of %d: %w", pid, err)
	}
	defer unix.Close(fd)
	conn, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return fmt.Errorf("--pidfd-socket: %w", err)
	}
	defer conn.Close()
	if _, _, err := conn.WriteMsgUnix([]byte("pidfd"), unix.UnixRights(fd), nil); err != nil {
		return fmt.Errorf("--pidfd-socket %s: %w", path, err)
	}
	return nil
}
