// Command recvfd is a test helper: it listens on a unix socket, takes one
// message carrying file descriptors (SCM_RIGHTS), as containerd and conmon
// receive them from a runtime, and prints what it got: the message's data,
// then for each descriptor what it is and, for a pidfd, its pid.
package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: recvfd SOCKET")
		os.Exit(2)
	}
	if err := receive(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "recvfd:", err)
		os.Exit(1)
	}
}

func receive(path string) error {
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return err
	}
	defer l.Close()
	conn, err := l.AcceptUnix()
	if err != nil {
		return err
	}
	defer conn.Close()
	data, oob := make([]byte, 4096), make([]byte, unix.CmsgSpace(4*16))
	n, oobn, _, _, err := conn.ReadMsgUnix(data, oob)
	if err != nil {
		return err
	}
	fmt.Printf("data %s\n", data[:n])
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil {
		return err
	}
	for _, m := range msgs {
		fds, err := unix.ParseUnixRights(&m)
		if err != nil {
			return err
		}
		for _, fd := range fds {
			link, _ := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", fd))
			fmt.Printf("fd %s%s\n", link, pidOf(fd))
		}
	}
	return nil
}

// pidOf returns " pid N" for a pidfd, from its fdinfo.
func pidOf(fd int) string {
	f, err := os.Open(fmt.Sprintf("/proc/self/fdinfo/%d", fd))
	if err != nil {
		return ""
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "Pid:"); ok {
			return " pid " + strings.TrimSpace(v)
		}
	}
	return ""
}
