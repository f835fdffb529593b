package libcontainer

import (
	"errors"
	"fmt"
	"os"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// setupConsole is init's side: it creates the process's pty, sends the
// master on the socket sock, binds the pty to /dev/console when bind is
// set, and makes the pty the controlling terminal and stdio of init, so of
// the process it executes, which owns it as uid.
func setupConsole(sock int, size *specs.Box, bind bool, uid uint32) error {
	defer unix.Close(sock)
	master, slave, name, err := newPty()
	if err != nil {
		return fmt.Errorf("process.terminal: %w", err)
	}
	defer slave.Close()
	// Output lines end in \n alone, as runc leaves them (ONLCR off).
	if t, err := unix.IoctlGetTermios(int(slave.Fd()), unix.TCGETS); err == nil {
		t.Oflag &^= unix.ONLCR
		if err := unix.IoctlSetTermios(int(slave.Fd()), unix.TCSETS, t); err != nil {
			master.Close()
			return fmt.Errorf("process.terminal: clearing ONLCR: %w", err)
		}
	}
	if size != nil {
		ws := &unix.Winsize{Row: uint16(size.Height), Col: uint16(size.Width)}
		if err := unix.IoctlSetWinsize(int(master.Fd()), unix.TIOCSWINSZ, ws); err != nil {
			master.Close()
			return fmt.Errorf("process.consoleSize: %w", err)
		}
	}
	err = sendFd(sock, int(master.Fd()), []byte(name))
	// init keeps no master: the container must not be able to reach it.
	master.Close()
	if err != nil {
		return fmt.Errorf("sending the terminal to the console socket: %w", err)
	}
	if bind {
		if err := bindConsole(slave); err != nil {
			return fmt.Errorf("binding %s to /dev/console: %w", name, err)
		}
	}
	// The group stays the devpts mount's (tty), as a login's does.
	if err := unix.Fchown(int(slave.Fd()), int(uid), -1); err != nil {
		return fmt.Errorf("giving %s to uid %d: %w", name, uid, err)
	}
	if _, err := unix.Setsid(); err != nil {
		return fmt.Errorf("setsid: %w", err)
	}
	if err := unix.IoctlSetInt(int(slave.Fd()), unix.TIOCSCTTY, 0); err != nil {
		return fmt.Errorf("making %s the controlling terminal: %w", name, err)
	}
	for fd := 0; fd <= 2; fd++ {
		if err := unix.Dup3(int(slave.Fd()), fd, 0); err != nil {
			return fmt.Errorf("making %s fd %d: %w", name, fd, err)
		}
	}
	return nil
}

// newPty opens a pty pair in the devpts /dev/ptmx leads to. Both ends are
// checked by descriptor to be devpts's, and the slave is opened from the
// master (TIOCGPTPEER), never by a path that could be swapped for another
// file (CVE-2025-52565).
func newPty() (master, slave *os.File, name string, err error) {
	mfd, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, nil, "", fmt.Errorf("opening /dev/ptmx: %w", err)
	}
	master = os.NewFile(uintptr(mfd), "/dev/ptmx")
	if err := onDevpts(mfd, unix.Mkdev(5, 2)); err != nil {
		master.Close()
		return nil, nil, "", fmt.Errorf("/dev/ptmx: %w", err)
	}
	if err := unix.IoctlSetPointerInt(mfd, unix.TIOCSPTLCK, 0); err != nil {
		master.Close()
		return nil, nil, "", fmt.Errorf("unlocking the pty: %w", err)
	}
	n, err := unix.IoctlGetUint32(mfd, unix.TIOCGPTN)
	if err != nil {
		master.Close()
		return nil, nil, "", fmt.Errorf("reading the pty number: %w", err)
	}
	name = "/dev/pts/" + strconv.Itoa(int(n))
	sfd, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(mfd), unix.TIOCGPTPEER, unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC)
	if errno != 0 {
		master.Close()
		return nil, nil, "", fmt.Errorf("opening %s from its master: %w", name, errno)
	}
	slave = os.NewFile(sfd, name)
	if err := onDevpts(int(sfd), 0); err != nil {
		master.Close()
		slave.Close()
		return nil, nil, "", fmt.Errorf("%s: %w", name, err)
	}
	return master, slave, name, nil
}

// onDevpts checks that fd is a character device on a devpts mount, and is
// the device rdev if that is not 0.
func onDevpts(fd int, rdev uint64) error {
	var fs unix.Statfs_t
	if err := unix.Fstatfs(fd, &fs); err != nil {
		return err
	}
	if fs.Type != unix.DEVPTS_SUPER_MAGIC {
		return errors.New("not on a devpts file system")
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFCHR || (rdev != 0 && st.Rdev != rdev) {
		return errors.New("not the expected character device")
	}
	return nil
}

// bindConsole binds the slave over /dev/console, made as an empty file if
// missing; both ends of the mount are descriptors, the target opened
// without following a symlink.
func bindConsole(slave *os.File) error {
	fd, mode, err := openBindTarget(unix.AT_FDCWD, "/dev/console")
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if mode != unix.S_IFREG && mode != unix.S_IFCHR {
		return errors.New("/dev/console is neither a file nor a device")
	}
	return bindFd(int(slave.Fd()), fd, "")
}
