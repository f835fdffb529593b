package libcontainer

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/runo-runtime/runo/cgroups"
	"github.com/runo-runtime/runo/seccomp"
	"golang.org/x/sys/unix"
)

// Sentinel errors callers branch on. Their texts are what runc prints and
// what containerd and podman match.
var (
	ErrNotExist   = errors.New("container does not exist")
	ErrExist      = errors.New("container with given ID already exists")
	ErrNotRunning = errors.New("container not running")
)

// warn reports through Warn, if set.
func (s *Store) warn(err error) {
	if s.Warn != nil {
		s.Warn(err)
	}
}

// Status is a container's lifecycle state. It is derived, never stored.
type Status string

const (
	Creating Status = "creating"
	Created  Status = "created"
	Running  Status = "running"
	Paused   Status = "paused"
	Stopped  Status = "stopped"
)

const (
	stateFile = "state.json"
	fifoName  = "exec.fifo"
	// configFile is the container's config.json as create read it: exec
	// takes the defaults of its process from there, not from a bundle that
	// may have changed since.
	configFile = "config.json"
)

// State is what state.json records. It is written before anything that
// needs cleaning up exists, and again each time more exists, so that
// delete --force can always undo a create that was killed half-way.
type State struct {
	ID          string            `json:"id"`
	Bundle      string            `json:"bundle"`
	Rootfs      string            `json:"rootfs"`
	Created     time.Time         `json:"created"`
	Annotations map[string]string `json:"annotations,omitempty"`
	// Pid and PidStartTime identify the init process; a pid whose start
	// time differs has been reused by an unrelated process.
	Pid          int    `json:"pid,omitempty"`
	PidStartTime uint64 `json:"pid_start_time,omitempty"`
	// Ready is set once create has finished; until then the container is
	// creating, or stopped if its creator died.
	Ready bool `json:"ready"`
	// CgroupPaths are the container's cgroups by hierarchy; CgroupDirs
	// the directories runo made for them, removed on delete.
	CgroupPaths map[string]string `json:"cgroup_paths,omitempty"`
	CgroupDirs  []string          `json:"cgroup_dirs,omitempty"`
	// Hooks are config.json's, for start and delete.
	Hooks *specs.Hooks `json:"hooks,omitempty"`
	// Personality and MemoryPolicy are config.json's, which exec applies
	// too.
	Personality  *specs.LinuxPersonality  `json:"personality,omitempty"`
	MemoryPolicy *specs.LinuxMemoryPolicy `json:"memory_policy,omitempty"`
	// Systemd is the container's scope, with the systemd cgroup driver.
	Systemd *cgroups.SystemdUnit `json:"systemd,omitempty"`
	// HostPidns says the container has no new pid namespace (the host's,
	// or a joined one): killing init does not kill the others.
	HostPidns bool `json:"host_pidns,omitempty"`
	// Damaged says why state.json could not be read; the rest was
	// recovered (see recover) and is never saved.
	Damaged string `json:"-"`
}

// Store is the --root directory, one subdirectory per container.
type Store struct {
	Root string
	// CacheDir holds what runo keeps between containers that is not state
	// (compiled seccomp programs); "" keeps nothing.
	CacheDir string
	// RootSet says Root was given (--root), so that a missing one is an
	// error for list, as in runc, where the default's is not.
	RootSet bool
	// Systemd asks for the systemd cgroup driver (--systemd-cgroup).
	Systemd bool
	// Rootless is set when runo runs unprivileged: cgroups that are not
	// delegated are skipped, and id maps go through newuidmap.
	Rootless bool
	// Warn reports what goes wrong without failing the operation: a
	// poststart or poststop hook.
	Warn func(error)
	// Debug, if set, takes debug lines: the steps of create and exec, and
	// init's own.
	Debug func(string)
}

// lockMode is how a handle holds a container's lock.
type lockMode int

const (
	// lockNone reads without locking; state.json is replaced atomically.
	lockNone lockMode = iota
	lockExclusive
)

// handle is an open container directory.
type handle struct {
	id   string
	dir  string
	fd   int
	lock lockMode
}

// create makes and locks the directory of a new container.
func (s *Store) create(id string) (*handle, error) {
	if err := os.MkdirAll(s.Root, 0o711); err != nil {
		return nil, fmt.Errorf("creating state root %s: %w", s.Root, err)
	}
	root, err := s.openRoot()
	if err != nil {
		return nil, err
	}
	defer unix.Close(root)
	if err := unix.Mkdirat(root, id, 0o700); err != nil {
		if errors.Is(err, unix.EEXIST) {
			return nil, fmt.Errorf("%w: %s", ErrExist, id)
		}
		return nil, fmt.Errorf("creating state directory: %w", err)
	}
	h, err := s.openIn(root, id, lockExclusive)
	if err != nil {
		unix.Unlinkat(root, id, unix.AT_REMOVEDIR)
	}
	return h, err
}

// openRoot opens the state root, which must be runo's own: a root another
// user can write is one where they can swap a container's directory for
// theirs, whose hooks delete would then run.
func (s *Store) openRoot() (int, error) {
	fd, err := openOwnedDir(-1, s.Root, s.Root)
	if err != nil {
		return -1, fmt.Errorf("state root: %w", err)
	}
	return fd, nil
}

// open opens the directory of an existing container, and takes its lock
// for operations that change it.
func (s *Store) open(id string, mode lockMode) (*handle, error) {
	root, err := s.openRoot()
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNotExist
	}
	if err != nil {
		return nil, err
	}
	defer unix.Close(root)
	return s.openIn(root, id, mode)
}

// openIn opens container id's directory in the state root.
func (s *Store) openIn(root int, id string, mode lockMode) (*handle, error) {
	dir := filepath.Join(s.Root, id)
	fd, err := openOwnedDir(root, id, dir)
	if err != nil {
		if errors.Is(err, unix.ENOENT) {
			return nil, ErrNotExist
		}
		return nil, fmt.Errorf("opening state directory: %w", err)
	}
	if mode == lockExclusive {
		if err := flock(fd, unix.LOCK_EX); err != nil {
			unix.Close(fd)
			return nil, fmt.Errorf("locking %s: %w", dir, err)
		}
	}
	// The holder of the lock we waited for may have deleted the container.
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil || st.Nlink == 0 {
		unix.Close(fd)
		return nil, ErrNotExist
	}
	return &handle{id: id, dir: dir, fd: fd, lock: mode}, nil
}

func flock(fd, how int) error {
	for {
		err := unix.Flock(fd, how)
		if err != unix.EINTR {
			return err
		}
	}
}

// busy reports whether another process holds the container's lock: a
// create or delete is under way.
func (h *handle) busy() bool {
	if h.lock == lockExclusive {
		return false
	}
	fd, err := unix.Open(h.dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	return unix.Flock(fd, unix.LOCK_SH|unix.LOCK_NB) == unix.EWOULDBLOCK
}

func (h *handle) close() { unix.Close(h.fd) }

// load reads state.json. A directory with nothing in it is a create that
// died before writing anything; one whose state.json is missing or
// unreadable while the rest is there has been damaged, and is recovered.
func (h *handle) load() (*State, error) {
	data, err := readRegular(filepath.Join(h.dir, stateFile))
	if err == nil {
		if st := readState(data); st != nil {
			return st, nil
		}
		var st State
		if err = json.Unmarshal(data, &st); err == nil {
			return &st, nil
		}
	} else if errors.Is(err, os.ErrNotExist) && !h.has(configFile) && !h.has(fifoName) {
		return &State{ID: h.id}, nil
	}
	return h.recover(fmt.Errorf("%s: %w", stateFile, bareError(err)))
}

func (h *handle) has(name string) bool {
	_, err := os.Lstat(filepath.Join(h.dir, name))
	return err == nil
}

// recover finds a container whose state.json is damaged through what
// else is recorded: the config create kept, whose cgroupsPath leads to
// the container's cgroups and so to every process it has. A container that
// cannot be found that way is not forgotten: the error keeps its state.
func (h *handle) recover(damage error) (*State, error) {
	fail := func(why string, err error) (*State, error) {
		return nil, fmt.Errorf("the state of container %s is damaged (%v) and %s: %w; its processes may still run, "+
			"so %s stays until they are gone", h.id, damage, why, err, h.dir)
	}
	data, err := readRegular(filepath.Join(h.dir, configFile))
	if err != nil {
		return fail("its config cannot be read", bareError(err))
	}
	spec, err := ParseSpec(data)
	if err != nil || spec.Linux == nil {
		return fail("its config cannot be read", errors.Join(err, errors.New("no linux section")))
	}
	layout, err := cgroups.DetectLayout()
	if err != nil {
		return fail("its cgroups cannot be found", err)
	}
	paths, err := layout.Paths(spec.Linux.CgroupsPath, h.id)
	if err != nil {
		return fail("its cgroups cannot be found", err)
	}
	var dirs []string
	for _, dir := range slices.Sorted(maps.Values(paths)) {
		if _, err := os.Stat(dir); err != nil {
			return fail("its cgroups cannot be found", err)
		}
		dirs = append(dirs, dir)
	}
	return &State{ID: h.id, Damaged: damage.Error(), CgroupPaths: paths, CgroupDirs: dirs, Annotations: spec.Annotations, Hooks: spec.Hooks}, nil
}

// save replaces state.json atomically: a reader, or a runtime killed at
// any point, sees the old file or the new one, never part of either. There
// is no fsync: the rename is what makes it atomic, and --root lives on a
// tmpfs (/run) that a power loss clears anyway.
func (h *handle) save(st *State) error {
	data, err := marshalState(st)
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(h.dir, stateFile), data, 0o600)
}

func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, bareError(err))
	}
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Chmod(mode)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("writing %s: %w", path, bareError(err))
	}
	return nil
}

// bareError drops the path from a file error, for a message that names the
// file itself rather than its temporary stand-in.
func bareError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}

// remove deletes the container's directory; the lock goes with it. The
// files that set a damaged state apart from what is left of a finished
// delete go first: a delete killed half-way leaves a directory that reads
// as stopped, which the next delete removes.
func (h *handle) remove() error {
	// A restore killed before it undid its bind of the rootfs: the rootfs
	// must not go with the directory.
	unix.Unmount(filepath.Join(h.dir, criuRoot), unix.MNT_DETACH)
	for _, name := range []string{configFile, fifoName, seccompFile} {
		if err := os.Remove(filepath.Join(h.dir, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("removing state directory: %w", err)
		}
	}
	if err := os.RemoveAll(h.dir); err != nil {
		return fmt.Errorf("removing state directory: %w", err)
	}
	return nil
}

// status derives the container's status: the one place that decides it.
func (h *handle) status(st *State) Status {
	if st.Damaged != "" {
		// No init is known: the cgroup says whether anything runs.
		cg := cgroupManager(st)
		if pids, err := cg.Pids(); err != nil || len(pids) == 0 {
			return Stopped
		}
		if cg.Frozen() {
			return Paused
		}
		return Running
	}
	if !st.Ready {
		if h.busy() {
			return Creating
		}
		return Stopped
	}
	if !processAlive(st.Pid, st.PidStartTime) {
		return Stopped
	}
	if _, err := os.Lstat(filepath.Join(h.dir, fifoName)); err == nil {
		return Created
	}
	if cgroupManager(st).Frozen() {
		return Paused
	}
	return Running
}

// procStat returns the state letter, whether it is exiting and the start
// time of a process, from /proc/PID/stat.
func procStat(pid int) (state byte, exiting bool, start uint64, err error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false, 0, err
	}
	// The command name may hold spaces and parentheses: fields start after
	// the last ')'.
	i := strings.LastIndexByte(string(data), ')')
	if i < 0 {
		return 0, false, 0, fmt.Errorf("malformed /proc/%d/stat", pid)
	}
	f := strings.Fields(string(data[i+1:]))
	if len(f) < 20 {
		return 0, false, 0, fmt.Errorf("malformed /proc/%d/stat", pid)
	}
	flags, err := strconv.ParseUint(f[6], 10, 64)
	if err != nil {
		return 0, false, 0, fmt.Errorf("malformed /proc/%d/stat", pid)
	}
	start, err = strconv.ParseUint(f[19], 10, 64)
	return f[0][0], flags&pfExiting != 0, start, err
}

// pfExiting is the kernel's PF_EXITING task flag.
const pfExiting = 0x4

// processAlive reports whether pid is still the process that started at
// start, and neither exiting nor a zombie. A killed pid 1 of a pid
// namespace stays exiting until every process of the namespace is reaped,
// which for a process whose parent is outside (an exec whose runo died) is
// up to the host's pid 1; it has left its cgroups by then.
func processAlive(pid int, start uint64) bool {
	if pid <= 0 {
		return false
	}
	state, exiting, got, err := procStat(pid)
	return err == nil && got == start && !exiting && state != 'Z' && state != 'X'
}

// makeFifo makes exec.fifo, which start opens to let init go on, and
// returns an O_PATH handle of it for init to inherit.
func (h *handle) makeFifo() (*os.File, error) {
	fifo := filepath.Join(h.dir, fifoName)
	if err := unix.Mkfifo(fifo, 0o622); err != nil {
		return nil, fmt.Errorf("creating exec fifo %s: %w", fifo, err)
	}
	// Writable by the container's user, whatever the umask.
	if err := os.Chmod(fifo, 0o622); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(fifo, unix.O_PATH|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("opening exec fifo: %w", err)
	}
	return f, nil
}

// keep saves what later commands read of the container: its config.json
// and its compiled seccomp filter, if any.
func (h *handle) keep(config []byte, prog *seccomp.Program) error {
	if err := writeFileAtomic(filepath.Join(h.dir, configFile), config, 0o600); err != nil {
		return err
	}
	if prog == nil {
		return nil
	}
	data, err := json.Marshal(prog)
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(h.dir, seccompFile), data, 0o600)
}
