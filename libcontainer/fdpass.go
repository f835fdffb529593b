package libcontainer

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// socketPair makes a connected pair of unix sockets, close-on-exec: the
// runtime's end and the one init inherits.
func socketPair(name string) (parent, child *os.File, err error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("creating %s socket: %w", name, err)
	}
	return os.NewFile(uintptr(fds[0]), name), os.NewFile(uintptr(fds[1]), name+"-child"), nil
}

// sendFd sends fd with data as one SCM_RIGHTS message.
func sendFd(sock, fd int, data []byte) error {
	return unix.Sendmsg(sock, data, unix.UnixRights(fd), nil, 0)
}

// recvFd receives one descriptor and the data sent with it.
func recvFd(sock *os.File) (*os.File, []byte, error) {
	buf, oob := make([]byte, 256), make([]byte, unix.CmsgSpace(4))
	n, oobn, _, _, err := unix.Recvmsg(int(sock.Fd()), buf, oob, unix.MSG_CMSG_CLOEXEC)
	if err != nil {
		return nil, nil, err
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) != 1 {
		return nil, nil, errors.New("no descriptor in the message")
	}
	fds, err := unix.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) != 1 {
		return nil, nil, errors.New("no descriptor in the message")
	}
	return os.NewFile(uintptr(fds[0]), string(buf[:n])), buf[:n], nil
}
