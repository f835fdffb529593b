// Command peer is a test helper that plays the other end of runo's sockets
// and terminals.
//
// fds SOCKET takes one message carrying descriptors (SCM_RIGHTS), as
// containerd and conmon receive them, and prints the message's data, then
// for each descriptor what it is and, for a pidfd, its pid.
//
// seccomp-agent SOCKET receives a seccomp listener with the container
// process state, as runtime-spec's listenerPath describes, prints the
// state, then answers every notification with success without running the
// syscall, printing its number, until the container is gone.
//
// syscall NR makes system call NR with no arguments and prints "errno E"
// (0 when it succeeded), for checking what a seccomp filter answers.
//
// touch-mem MIB writes to every page of MIB MiB of memory, prints "ready"
// and sleeps: a process whose memory a checkpoint has to dump.
//
// tty-recv SOCKET and tty-run CMD... play a terminal user. They get a pty
// master either from a console socket (tty-recv) or by running a command
// on a new pty of their own (tty-run), then type the script read from
// stdin into the terminal and print everything the terminal printed,
// carriage returns removed.
//
// Script lines are typed as they are, except these:
//
//	@wait TEXT     wait until the output contains TEXT
//	@resize R C    set the terminal's size to R rows and C columns
//	@intr          type ^C
//	@pause MS      wait MS milliseconds
//	@mode          print whether the run command's terminal is raw
//
// tty-run also prints "exit N" for the command's status and whether the
// command left its terminal's modes as it found them.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

var (
	rows = flag.Int("rows", 0, "initial rows of a tty-run command's terminal")
	cols = flag.Int("cols", 0, "initial columns of a tty-run command's terminal")
)

func main() {
	flag.Parse()
	var err error
	switch flag.Arg(0) {
	case "fds":
		err = printFds(flag.Arg(1))
	case "seccomp-agent":
		err = seccompAgent(flag.Arg(1))
	case "syscall":
		err = rawSyscall(flag.Arg(1))
	case "touch-mem":
		err = touchMem(flag.Arg(1))
	case "tty-recv":
		err = ttyRecv(flag.Arg(1))
	case "tty-run":
		err = ttyRun(flag.Args()[1:])
	default:
		err = errors.New("usage: peer fds SOCKET | seccomp-agent SOCKET | syscall NR | touch-mem MIB | [-rows R -cols C] tty-recv SOCKET | [-rows R -cols C] tty-run CMD...")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "peer:", err)
		os.Exit(1)
	}
}

func rawSyscall(nr string) error {
	n, err := strconv.Atoi(nr)
	if err != nil {
		return err
	}
	_, _, errno := unix.RawSyscall(uintptr(n), 0, 0, 0)
	fmt.Printf("errno %d\n", int(errno))
	return nil
}

// receive listens on path and returns the data and descriptors of the
// first message of the first connection.
func receive(path string) ([]byte, []int, error) {
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, nil, err
	}
	defer l.Close()
	conn, err := l.AcceptUnix()
	if err != nil {
		return nil, nil, err
	}
	defer conn.Close()
	data, oob := make([]byte, 4096), make([]byte, unix.CmsgSpace(4*16))
	n, oobn, _, _, err := conn.ReadMsgUnix(data, oob)
	if err != nil {
		return nil, nil, err
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil {
		return nil, nil, err
	}
	var fds []int
	for _, m := range msgs {
		got, err := unix.ParseUnixRights(&m)
		if err != nil {
			return nil, nil, err
		}
		fds = append(fds, got...)
	}
	return data[:n], fds, nil
}

func printFds(path string) error {
	data, fds, err := receive(path)
	if err != nil {
		return err
	}
	fmt.Printf("data %s\n", data)
	for _, fd := range fds {
		link, _ := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", fd))
		fmt.Printf("fd %s%s\n", link, pidOf(fd))
	}
	return nil
}

// pidOf returns " pid N" for a pidfd, from its fdinfo.
func pidOf(fd int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/self/fdinfo/%d", fd))
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "Pid:"); ok {
			return " pid " + strings.TrimSpace(v)
		}
	}
	return ""
}

// seccompNotif and seccompResp are struct seccomp_notif and
// seccomp_notif_resp.
type seccompNotif struct {
	ID    uint64
	Pid   uint32
	Flags uint32
	Nr    int32
	Arch  uint32
	IP    uint64
	Args  [6]uint64
}

type seccompResp struct {
	ID    uint64
	Val   int64
	Error int32
	Flags uint32
}

func seccompAgent(path string) error {
	state, fds, err := receive(path)
	if err != nil {
		return err
	}
	if len(fds) != 1 {
		return fmt.Errorf("%d descriptors received, want 1", len(fds))
	}
	fmt.Printf("state %s\n", state)
	for {
		pfd := []unix.PollFd{{Fd: int32(fds[0]), Events: unix.POLLIN}}
		if _, err := unix.Poll(pfd, -1); err != nil {
			if err == unix.EINTR {
				continue
			}
			return err
		}
		// Hung up once no process uses the filter any more.
		if pfd[0].Revents&unix.POLLIN == 0 {
			return nil
		}
		var n seccompNotif
		if _, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fds[0]), unix.SECCOMP_IOCTL_NOTIF_RECV, uintptr(unsafe.Pointer(&n))); e != 0 {
			// ENOENT: the process went away before it was received.
			continue
		}
		fmt.Printf("notified syscall %d\n", n.Nr)
		r := seccompResp{ID: n.ID}
		unix.Syscall(unix.SYS_IOCTL, uintptr(fds[0]), unix.SECCOMP_IOCTL_NOTIF_SEND, uintptr(unsafe.Pointer(&r)))
	}
}

func ttyRecv(path string) error {
	name, fds, err := receive(path)
	if err != nil {
		return err
	}
	if len(fds) != 1 {
		return fmt.Errorf("%d descriptors received, want 1", len(fds))
	}
	fmt.Printf("name %s\n", name)
	t := newTerm(os.NewFile(uintptr(fds[0]), "master"), nil)
	return t.drive()
}

func ttyRun(args []string) error {
	if len(args) == 0 {
		return errors.New("tty-run: no command")
	}
	mfd, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	if err := unix.IoctlSetPointerInt(mfd, unix.TIOCSPTLCK, 0); err != nil {
		return err
	}
	n, err := unix.IoctlGetUint32(mfd, unix.TIOCGPTN)
	if err != nil {
		return err
	}
	slave, err := os.OpenFile("/dev/pts/"+strconv.Itoa(int(n)), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		return err
	}
	if *rows > 0 {
		unix.IoctlSetWinsize(mfd, unix.TIOCSWINSZ, &unix.Winsize{Row: uint16(*rows), Col: uint16(*cols)})
	}
	before, err := unix.IoctlGetTermios(int(slave.Fd()), unix.TCGETS)
	if err != nil {
		return err
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true}
	if err := cmd.Start(); err != nil {
		return err
	}
	t := newTerm(os.NewFile(uintptr(mfd), "master"), slave)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.exited = done
	err = t.drive()
	if t.status == nil {
		return fmt.Errorf("%v (command still running)", err)
	}
	fmt.Printf("exit %d\n", *t.status)
	after, _ := unix.IoctlGetTermios(int(slave.Fd()), unix.TCGETS)
	if *before == *after {
		fmt.Println("terminal modes restored")
	} else {
		fmt.Println("terminal modes changed")
	}
	return err
}

// term is the terminal being driven.
type term struct {
	master, slave *os.File
	mu            sync.Mutex
	out           bytes.Buffer
	eof           chan struct{}
	exited        chan error
	status        *int
}

func newTerm(master, slave *os.File) *term {
	t := &term{master: master, slave: slave, eof: make(chan struct{})}
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := master.Read(buf)
			t.mu.Lock()
			t.out.Write(buf[:n])
			t.mu.Unlock()
			if err != nil {
				close(t.eof)
				return
			}
		}
	}()
	return t
}

func (t *term) output() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.ReplaceAll(t.out.String(), "\r", "")
}

const timeout = 20 * time.Second

// drive types the script, then waits for the end of the output (and of
// the command, for tty-run) and prints the output.
func (t *term) drive() error {
	deadline := time.Now().Add(timeout)
	err := t.script(deadline)
	if err == nil {
		err = t.wait(deadline)
	}
	fmt.Print(t.output())
	return err
}

func (t *term) script(deadline time.Time) error {
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		line := sc.Text()
		cmd, arg, _ := strings.Cut(line, " ")
		switch cmd {
		case "@wait":
			for !strings.Contains(t.output(), arg) {
				if time.Now().After(deadline) {
					return fmt.Errorf("timed out waiting for %q", arg)
				}
				time.Sleep(10 * time.Millisecond)
			}
		case "@resize":
			var r, c uint16
			fmt.Sscan(arg, &r, &c)
			if err := unix.IoctlSetWinsize(int(t.master.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: r, Col: c}); err != nil {
				return err
			}
		case "@pause":
			ms, _ := strconv.Atoi(arg)
			time.Sleep(time.Duration(ms) * time.Millisecond)
		case "@intr":
			t.master.Write([]byte{3})
		case "@mode":
			if t.slave == nil {
				return errors.New("@mode needs tty-run")
			}
			tio, err := unix.IoctlGetTermios(int(t.slave.Fd()), unix.TCGETS)
			if err != nil {
				return err
			}
			raw := tio.Lflag&(unix.ICANON|unix.ECHO|unix.ISIG) == 0
			fmt.Printf("mode raw=%v\n", raw)
		default:
			if _, err := t.master.Write([]byte(line + "\n")); err != nil {
				return err
			}
		}
	}
	return sc.Err()
}

// wait waits for EIO on the master, and for tty-run also for the command.
// tty-run's command exiting is enough: its own pty stays open here.
func (t *term) wait(deadline time.Time) error {
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	if t.exited == nil {
		select {
		case <-t.eof:
			return nil
		case <-timer.C:
			return errors.New("timed out waiting for the terminal to close")
		}
	}
	select {
	case err := <-t.exited:
		status := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			status = ee.ExitCode()
		} else if err != nil {
			return err
		}
		t.status = &status
		// What the command wrote last is read before the output is printed.
		time.Sleep(100 * time.Millisecond)
		return nil
	case <-timer.C:
		return errors.New("timed out waiting for the command")
	}
}

func touchMem(arg string) error {
	mib, err := strconv.Atoi(arg)
	if err != nil {
		return err
	}
	mem := make([]byte, mib<<20)
	for i := 0; i < len(mem); i += 4096 {
		mem[i] = byte(i>>12) | 1
	}
	fmt.Println("ready")
	for {
		time.Sleep(time.Hour)
		// Keeps mem alive.
		mem[0]++
	}
}
