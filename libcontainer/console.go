package libcontainer

import (
	"errors"
	"fmt"
	"net"
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Terminals. init creates the pty in the container's own devpts and sends
// its master, named by the pty's path, as one SCM_RIGHTS message on the
// console socket: the one --console-socket names, or a socketpair whose
// other end `run`/`exec` keep to proxy the terminal to their stdio.

// ConsoleOpts say where a process's terminal goes.
type ConsoleOpts struct {
	// Socket is --console-socket: the receiver of the pty master.
	Socket string
	// Detach is true when runo will not stay to proxy the terminal (create,
	// run -d, exec -d); a terminal then needs Socket.
	Detach bool
}

// ptySocket is the runtime's side of a process's terminal.
type ptySocket struct {
	// child is the socket init sends the master on, inherited by init.
	child *os.File
	// parent is the other end when runo proxies the terminal itself.
	parent *os.File
}

// openConsole checks the flags against process.terminal, as runc does,
// and connects the socket init will send the master to. It returns nil
// when the process has no terminal.
func openConsole(p *specs.Process, o ConsoleOpts) (*ptySocket, error) {
	if !p.Terminal {
		if o.Socket != "" {
			return nil, errors.New("cannot use console socket if runo will not detach or allocate tty")
		}
		return nil, nil
	}
	if !o.Detach {
		if o.Socket != "" {
			return nil, errors.New("cannot use console socket if runo will not detach or allocate tty")
		}
		parent, child, err := socketPair("console")
		if err != nil {
			return nil, err
		}
		return &ptySocket{parent: parent, child: child}, nil
	}
	if o.Socket == "" {
		return nil, errors.New("cannot allocate tty if runo will detach without setting console socket")
	}
	conn, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: o.Socket, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("--console-socket: %w", err)
	}
	defer conn.Close()
	f, err := conn.File()
	if err != nil {
		return nil, fmt.Errorf("--console-socket %s: %w", o.Socket, err)
	}
	return &ptySocket{child: f}, nil
}

// Close closes what the runtime still holds of the console.
func (c *ptySocket) Close() {
	if c == nil {
		return
	}
	c.child.Close()
	if c.parent != nil {
		c.parent.Close()
	}
}

// receive takes the master init sent on the proxied console socket.
func (c *ptySocket) receive() (*os.File, error) {
	f, _, err := recvFd(c.parent)
	if err != nil {
		return nil, fmt.Errorf("receiving the terminal: %w", err)
	}
	return f, nil
}
