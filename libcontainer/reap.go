package libcontainer

import "golang.org/x/sys/unix"

// The reaper: every wait for runo's children goes through wait4 here.

// wait4 is unix.Wait4 retried on EINTR.
func wait4(pid int, flags int) (int, unix.WaitStatus, error) {
	for {
		var ws unix.WaitStatus
		got, err := unix.Wait4(pid, &ws, flags, nil)
		if err != unix.EINTR {
			return got, ws, err
		}
	}
}

// reap waits for child pid to exit.
func reap(pid int) unix.WaitStatus {
	_, ws, _ := wait4(pid, 0)
	return ws
}

// tryReap reaps pid if it is a child that has exited, without waiting.
func tryReap(pid int) bool {
	got, _, _ := wait4(pid, unix.WNOHANG)
	return got == pid
}

// exitStatus is the shell's number for a wait status: 128+N when killed by
// signal N.
func exitStatus(ws unix.WaitStatus) int {
	if ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}
