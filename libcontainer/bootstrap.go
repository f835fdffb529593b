package libcontainer

// The contract between the runtime and `runo init`: how init finds its
// socket, what the runtime sends first, and the messages that follow. Both
// sides use these names and nothing else; the pty master, the seccomp
// listener and mount sources travel as descriptors, on sockets of their
// own, not in this stream.
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
	"encoding/json"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/runo-runtime/runo/seccomp"
)

// syncFdEnv tells `runo init` which descriptor is its end of the socket to
// the runtime.
const syncFdEnv = "_RUNO_SYNC_FD"

// bootstrap is what the runtime tells init, through the sync socket.
type bootstrap struct {
	ID     string          `json:"id"`
	Config json.RawMessage `json:"config"`
	Bundle string          `json:"bundle"`
	Rootfs string          `json:"rootfs"`
	// FifoFd is init's descriptor of exec.fifo (O_PATH), inherited: the
	// path may not be reachable from a user namespace.
	FifoFd int `json:"fifo_fd"`
	// MountSourceFd is init's end of the socket the runtime sends mount
	// sources on (sourceFromRuntime), when the container has such mounts.
	MountSourceFd int               `json:"mount_source_fd,omitempty"`
	NoPivot       bool              `json:"no_pivot,omitempty"`
	NoNewKeyring  bool              `json:"no_new_keyring,omitempty"`
	PreserveFds   int               `json:"preserve_fds,omitempty"`
	CgroupPaths   map[string]string `json:"cgroup_paths,omitempty"`
	// ListenFds is how many of the preserved descriptors are socket-activation
	// ones, announced to the process in LISTEN_FDS.
	ListenFds int `json:"listen_fds,omitempty"`
	// Pid is init's pid as the runtime sees it, for hooks.
	Pid int `json:"pid,omitempty"`
	// ConsoleFd is init's descriptor of the console socket, when the
	// process has a terminal.
	ConsoleFd int `json:"console_fd,omitempty"`
	// Seccomp is the compiled filter of the process, and SeccompFd the
	// socket its listener goes to, if it notifies one.
	Seccomp   *seccomp.Program `json:"seccomp,omitempty"`
	SeccompFd int              `json:"seccomp_fd,omitempty"`
	// Exec is the process of `runo exec`: init only becomes it.
	Exec *specs.Process `json:"exec,omitempty"`
	// LastCap is the kernel's last capability as the runtime read it on
	// the host, for exec.
	LastCap int `json:"last_cap,omitempty"`
	// Personality and MemoryPolicy are the container's, for exec.
	Personality  *specs.LinuxPersonality  `json:"personality,omitempty"`
	MemoryPolicy *specs.LinuxMemoryPolicy `json:"memory_policy,omitempty"`
	// Debug asks init for its log lines (msgLog), for --debug.
	Debug bool `json:"debug,omitempty"`
}

// initMsg is one message after the bootstrap, either way.
type initMsg struct {
	Type  string `json:"type"`
	Error string `json:"error,omitempty"`
	// Mount is the index of the mount whose source init asks for.
	Mount int `json:"mount,omitempty"`
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
