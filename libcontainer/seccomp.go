package libcontainer

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/runo-runtime/runo/seccomp"
)

// seccompFile holds the container's compiled filter: exec loads it too,
// without compiling the profile again.
const seccompFile = "seccomp.json"

// readSeccompFile reads the container's compiled filter, or returns nil if
// there is none.
func readSeccompFile(dir string) (*seccomp.Program, error) {
	data, err := readRegular(filepath.Join(dir, seccompFile))
	if os.IsNotExist(err) {
		return nil, nil
	}
	var p seccomp.Program
	if err == nil {
		err = json.Unmarshal(data, &p)
	}
	if err == nil {
		err = p.Check()
	}
	if err != nil {
		return nil, fmt.Errorf("reading the container's seccomp filter: %w", err)
	}
	return &p, nil
}

// listener hands the seccomp listener init loads to the agent at the
// filter's listenerPath, as runtime-spec describes: one SCM_RIGHTS message
// carrying the container process state. It runs while init goes on, whose
// notified syscalls may wait for the agent.
type listener struct {
	parent, child *os.File
	// fd is child's number, which init inherits.
	fd   int
	done chan error
}

// newListener makes the socket init sends the listener on, or returns nil
// when the filter notifies no one.
func newListener(notify bool) (*listener, error) {
	if !notify {
		return nil, nil
	}
	parent, child, err := socketPair("seccomp")
	if err != nil {
		return nil, err
	}
	return &listener{parent: parent, child: child, fd: int(child.Fd()), done: make(chan error, 1)}, nil
}

// childFd is init's end, inherited by init, or -1.
func (l *listener) childFd() int {
	if l == nil {
		return -1
	}
	return l.fd
}

// start relays the listener to the agent once init has started (with pid
// in st), or reports that init exited without one. With no program (it
// failed to compile) it only closes the sockets.
func (l *listener) start(p *seccomp.Program, st specs.State) {
	if l == nil {
		return
	}
	l.child.Close()
	if p == nil {
		// The profile did not compile: init gets no filter to load.
		l.parent.Close()
		return
	}
	go func() {
		defer l.parent.Close()
		fd, _, err := recvFd(l.parent)
		if err != nil {
			l.done <- fmt.Errorf("receiving the seccomp listener from init: %w", err)
			return
		}
		defer fd.Close()
		l.done <- sendListener(p, int(fd.Fd()), st)
	}()
}

// wait returns once the listener went to the agent, or why it did not.
func (l *listener) wait() error {
	if l == nil {
		return nil
	}
	return <-l.done
}

func sendListener(p *seccomp.Program, fd int, st specs.State) error {
	msg, err := json.Marshal(specs.ContainerProcessState{
		Version: specs.Version, Fds: []string{specs.SeccompFdName}, Pid: st.Pid,
		Metadata: p.ListenerMetadata, State: st,
	})
	if err != nil {
		return err
	}
	conn, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: p.ListenerPath, Net: "unix"})
	if err != nil {
		return fmt.Errorf("linux.seccomp.listenerPath: failed to connect with seccomp agent: %w", err)
	}
	defer conn.Close()
	if _, _, err := conn.WriteMsgUnix(msg, unix.UnixRights(fd), nil); err != nil {
		return fmt.Errorf("linux.seccomp.listenerPath %s: %w", p.ListenerPath, err)
	}
	return nil
}
