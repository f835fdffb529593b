package libcontainer

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/runo-runtime/runo/seccomp"
)

// seccompFile holds the container's compiled filter: exec loads it too,
// without compiling the profile again.
const seccompFile = "seccomp.json"

func readSeccompFile(dir string) (*seccomp.Program, error) {
	p, err := readProgram(filepath.Join(dir, seccompFile))
	if err != nil {
		return nil, fmt.Errorf("reading the container's seccomp filter: %w", err)
	}
	return p, nil
}

// readProgram reads a compiled filter, or returns nil if there is none.
func readProgram(path string) (*seccomp.Program, error) {
	data, err := readRegular(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var p seccomp.Program
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// seccompCacheSize bounds the programs kept: each profile an engine uses
// (docker's, podman's, a pod's) and each runo binary makes one.
const seccompCacheSize = 64

// compileSeccomp returns the program of c, compiled by libseccomp (6.9 ms
// for a profile like docker's) or, when this same runo binary compiled the
// same profile before, read from the store's cache (CacheDir, outside the
// state root: engines take whatever is in their root for leftovers). The
// key covers the profile and the binary (device, inode, size, mtime), so
// another build compiles afresh. The cache is an optimisation: failing to
// write it is not an error.
func (s *Store) compileSeccomp(c *specs.LinuxSeccomp) (*seccomp.Program, error) {
	var path string
	var exe unix.Stat_t
	profile, err := json.Marshal(c)
	if err == nil {
		err = unix.Stat("/proc/self/exe", &exe)
	}
	if err == nil && s.CacheDir != "" {
		h := sha256.New()
		fmt.Fprintf(h, "%d %d %d %d\n", exe.Dev, exe.Ino, exe.Size, exe.Mtim.Nano())
		h.Write(profile)
		// Absent flags (SPEC_ALLOW) and empty ones marshal alike.
		fmt.Fprintf(h, "\nflags absent %v\n", c.Flags == nil)
		path = filepath.Join(s.CacheDir, "seccomp", hex.EncodeToString(h.Sum(nil)))
		if p, err := readProgram(path); err == nil && p != nil {
			return p, nil
		}
	}
	p, err := seccomp.Compile(c)
	if err != nil || path == "" {
		return p, err
	}
	if data, err := json.Marshal(p); err == nil && os.MkdirAll(filepath.Dir(path), 0o700) == nil {
		if writeFileAtomic(path, data, 0o600) == nil {
			evictOldest(filepath.Dir(path), seccompCacheSize)
		}
	}
	return p, nil
}

// evictOldest removes the least recently written files of dir beyond keep.
func evictOldest(dir string, keep int) {
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) <= keep {
		return
	}
	type file struct {
		name string
		mod  time.Time
	}
	var files []file
	for _, e := range entries {
		if info, err := e.Info(); err == nil {
			files = append(files, file{e.Name(), info.ModTime()})
		}
	}
	slices.SortFunc(files, func(a, b file) int { return b.mod.Compare(a.mod) })
	for _, f := range files[min(keep, len(files)):] {
		os.Remove(filepath.Join(dir, f.name))
	}
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
