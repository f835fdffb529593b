package libcontainer

import (
	"io"
	"os"
	"time"

	"github.com/containerd/console"
	"golang.org/x/sys/unix"
)

// ttyProxy relays between runo's stdio and the pty of a foreground process
// (run or exec with a terminal and no console socket), as runc does.
type ttyProxy struct {
	master *os.File
	// host is runo's own terminal, in raw mode while the proxy runs, or
	// nil when stdin is not a terminal.
	host console.Console
	out  chan struct{}
}

// proxyTTY starts relaying. The process's keystrokes, ^C included, reach
// it through its own pty: runo's terminal passes them through raw.
func proxyTTY(master *os.File) (*ttyProxy, error) {
	t := &ttyProxy{master: master, out: make(chan struct{})}
	if host, err := console.ConsoleFromFile(os.Stdin); err == nil {
		if err := host.SetRaw(); err != nil {
			return nil, err
		}
		t.host = host
		t.resize()
	}
	go io.Copy(master, os.Stdin)
	go func() {
		// Ends with EIO once every holder of the slave has closed it.
		io.Copy(os.Stdout, master)
		close(t.out)
	}()
	return t, nil
}

// resize gives the pty runo's terminal size (at start and on SIGWINCH).
func (t *ttyProxy) resize() {
	if t == nil || t.host == nil {
		return
	}
	size, err := t.host.Size()
	if err != nil {
		return
	}
	ws := &unix.Winsize{Row: size.Height, Col: size.Width}
	unix.IoctlSetWinsize(int(t.master.Fd()), unix.TIOCSWINSZ, ws)
}

// close waits for the process's last output and restores runo's terminal.
// A process left behind that still holds the pty (no pid namespace) is
// not waited for beyond a second.
func (t *ttyProxy) close() {
	if t == nil {
		return
	}
	select {
	case <-t.out:
	case <-time.After(time.Second):
	}
	if t.host != nil {
		t.host.Reset()
	}
	t.master.Close()
}
