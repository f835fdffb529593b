package libcontainer

// The contract between the runtime and `runo init`: how init finds its
// socket, what the runtime sends first, the messages that follow and their
// encoding (at the end). Both sides use these names and nothing else; the
// pty master, the seccomp listener and mount sources travel as
// descriptors, on sockets of their own, not in this stream.
//
//	runtime                               init
//	   bootstrap ---------------------------->
//	                    <----------------------- mount-source (any number, create: while mounting)
//	   (the source, on the mount socket) ----->
//	                    <----------------------- hooks       (create, when it has hooks: mounts made, before pivot_root)
//	   hooks-done ---------------------------> (prestart and createRuntime ran)
//	                    <----------------------- log        (any number, with --debug)
//	                    <----------------------- ready | error

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/runo-runtime/runo/seccomp"
)

// syncFdEnv tells `runo init` which descriptor is its end of the socket to
// the runtime.
const syncFdEnv = "_RUNO_SYNC_FD"

// bootstrap is what the runtime tells init, through the sync socket.
type bootstrap struct {
	ID string
	// Spec is config.json as the runtime read it, for create.
	Spec   *specs.Spec
	Bundle string
	Rootfs string
	// FifoFd is init's descriptor of exec.fifo (O_PATH), inherited: the
	// path may not be reachable from a user namespace.
	FifoFd int
	// MountSourceFd is init's end of the socket the runtime sends mount
	// sources on (sourceFromRuntime), when the container has such mounts.
	MountSourceFd int
	NoPivot       bool
	NoNewKeyring  bool
	PreserveFds   int
	CgroupPaths   map[string]string
	// ListenFds is how many of the preserved descriptors are socket-activation
	// ones, announced to the process in LISTEN_FDS.
	ListenFds int
	// Pid is init's pid as the runtime sees it, for hooks.
	Pid int
	// ConsoleFd is init's descriptor of the console socket, when the
	// process has a terminal.
	ConsoleFd int
	// Seccomp is the compiled filter of the process, and SeccompFd the
	// socket its listener goes to, if it notifies one.
	Seccomp   *seccomp.Program
	SeccompFd int
	// Exec is the process of `runo exec`: init only becomes it.
	Exec *specs.Process
	// LastCap is the kernel's last capability as the runtime read it on
	// the host, for exec.
	LastCap int
	// Personality and MemoryPolicy are the container's, for exec.
	Personality  *specs.LinuxPersonality
	MemoryPolicy *specs.LinuxMemoryPolicy
	// Debug asks init for its log lines (msgLog), for --debug.
	Debug bool
}

// initMsg is one message after the bootstrap, either way.
type initMsg struct {
	Type  string
	Error string
	// Mount is the index of the mount whose source init asks for.
	Mount int
}

// The types of initMsg.
const (
	// msgHooks: init has made the mounts and waits for the runtime's
	// prestart and createRuntime hooks before pivot_root.
	msgHooks = "hooks"
	// msgHooksDone: the runtime's hooks ran; init goes on.
	msgHooksDone = "hooks-done"
	// msgReady: init is set up and waits for start (create) or executes
	// the process (exec).
	msgReady = "ready"
	// msgError: init failed, Error says why; it exits next.
	msgError = "error"
	// msgLog: a debug line of init's, in Error, for the runtime's log.
	msgLog = "log"
	// msgMountSource: init asks for the source of mounts[Mount], which the
	// runtime sends on the mount socket.
	msgMountSource = "mount-source"
)

//go:generate go run ./internal/genspecwire

// The encoding of the sync socket's messages. JSON costs each process
// ~0.1 ms of reflection over the types before its first message, and init's
// decode of config.json took ~0.25 ms; these types are written out field by
// field instead, the spec's by internal/genspecwire (spec_wire.go). Each
// message is a frame: its length as 4 bytes, little-endian, then its fields
// in a fixed order, integers as varints, strings and byte slices after
// their length, the spec's slices and maps after their length plus one (0
// for nil).

// maxFrame bounds what a reader allocates for one frame; a bootstrap
// carries config.json and a compiled seccomp program.
const maxFrame = 64 << 20

// writeFrame writes payload as one frame.
func writeFrame(w io.Writer, payload []byte) error {
	if len(payload) > maxFrame {
		return fmt.Errorf("message of %d bytes, more than %d", len(payload), maxFrame)
	}
	frame := binary.LittleEndian.AppendUint32(make([]byte, 0, 4+len(payload)), uint32(len(payload)))
	_, err := w.Write(append(frame, payload...))
	return err
}

// readFrame reads one frame. io.EOF means the writer went away between
// frames; io.ErrUnexpectedEOF, within one.
func readFrame(r io.Reader) ([]byte, error) {
	var head [4]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return nil, err
	}
	n := binary.LittleEndian.Uint32(head[:])
	if n > maxFrame {
		return nil, fmt.Errorf("message of %d bytes, more than %d", n, maxFrame)
	}
	payload := make([]byte, n)
	if _, err := io.ReadFull(r, payload); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return payload, nil
}

// encoder appends fields to a frame's payload.
type encoder struct{ b []byte }

func (e *encoder) uint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }
func (e *encoder) int(v int64)   { e.b = binary.AppendVarint(e.b, v) }
func (e *encoder) bytes(v []byte) {
	e.uint(uint64(len(v)))
	e.b = append(e.b, v...)
}
func (e *encoder) string(v string) {
	e.uint(uint64(len(v)))
	e.b = append(e.b, v...)
}

func (e *encoder) bool(v bool) {
	if v {
		e.uint(1)
	} else {
		e.uint(0)
	}
}

// decoder reads fields back from a payload. The first error sticks: the
// fields after it read as zero.
type decoder struct {
	b   []byte
	err error
}

var errShortMessage = errors.New("message cut short")

func (d *decoder) uint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) int() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) bool() bool { return d.uint() != 0 }

// length reads a count of items of at least one byte each.
func (d *decoder) length() int {
	n := d.uint()
	if n > uint64(len(d.b)) {
		d.fail()
		return 0
	}
	return int(n)
}

// count reads the length plus one of a spec's slice or map, 0 for nil.
func (d *decoder) count() int {
	n := d.uint()
	if n > uint64(len(d.b))+1 {
		d.fail()
		return 0
	}
	return int(n)
}

// bytes returns nil for an empty slice, as JSON's omitempty left it.
func (d *decoder) bytes() []byte {
	n := d.length()
	if n == 0 {
		return nil
	}
	v := d.b[:n:n]
	d.b = d.b[n:]
	return v
}

func (d *decoder) string() string {
	n := d.length()
	v := string(d.b[:n])
	d.b = d.b[n:]
	return v
}

func (d *decoder) fail() {
	if d.err == nil {
		d.err = errShortMessage
	}
	d.b = nil
}

// end is the decoder's verdict: its first error, or one for bytes left.
func (d *decoder) end() error {
	if d.err == nil && len(d.b) > 0 {
		d.err = fmt.Errorf("%d bytes past the end of the message", len(d.b))
	}
	return d.err
}

func (e *encoder) initMsg(m initMsg) {
	e.string(m.Type)
	e.string(m.Error)
	e.int(int64(m.Mount))
}

func (d *decoder) initMsg() initMsg {
	return initMsg{Type: d.string(), Error: d.string(), Mount: int(d.int())}
}

func (e *encoder) bootstrap(b *bootstrap) {
	e.string(b.ID)
	e.bool(b.Spec != nil)
	if b.Spec != nil {
		e.specSpec(b.Spec)
	}
	e.string(b.Bundle)
	e.string(b.Rootfs)
	for _, n := range []int{b.FifoFd, b.MountSourceFd, b.PreserveFds, b.ListenFds, b.Pid, b.ConsoleFd, b.SeccompFd, b.LastCap} {
		e.int(int64(n))
	}
	e.bool(b.NoPivot)
	e.bool(b.NoNewKeyring)
	e.bool(b.Debug)
	e.uint(uint64(len(b.CgroupPaths)))
	for k, v := range b.CgroupPaths {
		e.string(k)
		e.string(v)
	}
	e.bool(b.Seccomp != nil)
	if p := b.Seccomp; p != nil {
		e.bytes(p.BPF)
		e.uint(uint64(p.Flags))
		e.bool(p.Notify)
		e.string(p.ListenerPath)
		e.string(p.ListenerMetadata)
	}
	e.bool(b.Exec != nil)
	if b.Exec != nil {
		e.specProcess(b.Exec)
	}
	e.bool(b.Personality != nil)
	if b.Personality != nil {
		e.specLinuxPersonality(b.Personality)
	}
	e.bool(b.MemoryPolicy != nil)
	if b.MemoryPolicy != nil {
		e.specLinuxMemoryPolicy(b.MemoryPolicy)
	}
}

func (d *decoder) bootstrap() *bootstrap {
	b := &bootstrap{ID: d.string()}
	if d.bool() {
		b.Spec = new(specs.Spec)
		d.specSpec(b.Spec)
	}
	b.Bundle, b.Rootfs = d.string(), d.string()
	for _, n := range []*int{&b.FifoFd, &b.MountSourceFd, &b.PreserveFds, &b.ListenFds, &b.Pid, &b.ConsoleFd, &b.SeccompFd, &b.LastCap} {
		*n = int(d.int())
	}
	b.NoPivot, b.NoNewKeyring, b.Debug = d.bool(), d.bool(), d.bool()
	if n := d.length(); n > 0 {
		b.CgroupPaths = make(map[string]string, n)
		for range n {
			k := d.string()
			b.CgroupPaths[k] = d.string()
		}
	}
	if d.bool() {
		b.Seccomp = &seccomp.Program{BPF: d.bytes(), Flags: uint(d.uint()), Notify: d.bool(), ListenerPath: d.string(), ListenerMetadata: d.string()}
	}
	if d.bool() {
		b.Exec = new(specs.Process)
		d.specProcess(b.Exec)
	}
	if d.bool() {
		b.Personality = new(specs.LinuxPersonality)
		d.specLinuxPersonality(b.Personality)
	}
	if d.bool() {
		b.MemoryPolicy = new(specs.LinuxMemoryPolicy)
		d.specLinuxMemoryPolicy(b.MemoryPolicy)
	}
	return b
}

// sendMsg and recvMsg carry the sync socket's messages after the bootstrap.
func sendMsg(w io.Writer, m initMsg) error {
	var e encoder
	e.initMsg(m)
	return writeFrame(w, e.b)
}

func recvMsg(r io.Reader) (initMsg, error) {
	payload, err := readFrame(r)
	if err != nil {
		return initMsg{}, err
	}
	d := decoder{b: payload}
	m := d.initMsg()
	return m, d.end()
}

func sendBootstrap(w io.Writer, b *bootstrap) error {
	var e encoder
	e.bootstrap(b)
	return writeFrame(w, e.b)
}

func recvBootstrap(r io.Reader) (*bootstrap, error) {
	payload, err := readFrame(r)
	if err != nil {
		return nil, err
	}
	d := decoder{b: payload}
	b := d.bootstrap()
	return b, d.end()
}
