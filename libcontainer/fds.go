package libcontainer

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// checkPassedFds says whether every descriptor the container is to get,
// 3 up to 3+listen+preserve, is one runo's caller passed. Those are the
// open descriptors without close-on-exec: what runo and the Go runtime
// open (the state directory, cgroup files, the poller's epoll) is all
// close-on-exec, and whatever the caller passed cannot be, or the exec that
// started runo would have closed it. A number the caller did not open
// could otherwise hand the container one of runo's own files.
func checkPassedFds(listen, preserve int) error {
	for fd := 3; fd < 3+listen+preserve; fd++ {
		flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
		if err == nil && flags&unix.FD_CLOEXEC == 0 {
			continue
		}
		if fd < 3+listen {
			return fmt.Errorf("LISTEN_FDS=%d: descriptor %d is not open in runo's caller", listen, fd)
		}
		return fmt.Errorf("--preserve-fds %d: descriptor %d is not open in runo's caller", preserve, fd)
	}
	return nil
}
