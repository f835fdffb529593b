package libcontainer

import (
	"fmt"
	"strconv"
	"strings"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// initSys is the seam between the order of init's steps and the system
// calls that carry them out: setup, setupExec and setupProcess decide what
// runs and when, realInit does it, and a recording fake lets `go test`
// check the order without root.
type initSys interface {
	joinKeyring(id string) error
	prepareRootfs(r *rootfs) error
	pivotRoot(r *rootfs, noPivot bool) error
	console(sock int, size *specs.Box, bind bool, uid uint32) error
	// newSession makes the process a session leader without a terminal,
	// as runc's are (CRIU dumps no session that leads outside).
	newSession() error
	kernelSettings(spec *specs.Spec) error
	personality(pe *specs.LinuxPersonality) error
	memoryPolicy(mp *specs.LinuxMemoryPolicy) error
	finishRootfs(r *rootfs) error
	// affinity pins init to cpus, or to every cpu its cpuset allows.
	affinity(cpus string) error
	rlimits(rls []specs.POSIXRlimit) error
	oomScoreAdj(adj int) error
	chdir(cwd string) error
	sched(p *specs.Process) error
	lsm(p *specs.Process) error
	// dropBounding drops the bounding set and returns what applyCaps
	// sets once the user has changed.
	dropBounding(pc *specs.LinuxCapabilities) (*processCaps, error)
	ownStdio(uid uint32) error
	// closeOnExec marks every descriptor from "from" up close-on-exec.
	closeOnExec(from int) error
	loadSeccomp(o procOpts) error
	setUser(p *specs.Process) ([]string, error)
	applyCaps(caps *processCaps) error
	noNewPrivs() error
	lookPath(file string, env []string) (string, error)
}

// realInit is initSys on the running kernel.
type realInit struct{}

func (realInit) joinKeyring(id string) error {
	if _, err := unix.KeyctlJoinSessionKeyring("_ses." + id); err != nil && err != unix.ENOSYS {
		return fmt.Errorf("joining a new session keyring: %w", err)
	}
	return nil
}

func (realInit) prepareRootfs(r *rootfs) error                { return r.prepare() }
func (realInit) finishRootfs(r *rootfs) error                 { return r.finish() }
func (realInit) kernelSettings(spec *specs.Spec) error        { return setupSystem(spec) }
func (realInit) personality(pe *specs.LinuxPersonality) error { return setPersonality(pe) }
func (realInit) memoryPolicy(mp *specs.LinuxMemoryPolicy) error {
	return setMemoryPolicy(mp)
}
func (realInit) sched(p *specs.Process) error                       { return setSched(p) }
func (realInit) lsm(p *specs.Process) error                         { return setLSM(p) }
func (realInit) ownStdio(uid uint32) error                          { return ownStdio(uid) }
func (realInit) loadSeccomp(o procOpts) error                       { return loadSeccomp(o) }
func (realInit) setUser(p *specs.Process) ([]string, error)         { return setUser(p) }
func (realInit) lookPath(file string, env []string) (string, error) { return lookPath(file, env) }

func (realInit) pivotRoot(r *rootfs, noPivot bool) error {
	if err := r.pivot(noPivot); err != nil {
		return err
	}
	return reopenDevNull()
}

func (realInit) newSession() error {
	if _, err := unix.Setsid(); err != nil {
		return fmt.Errorf("setsid: %w", err)
	}
	return nil
}

func (realInit) console(sock int, size *specs.Box, bind bool, uid uint32) error {
	return setupConsole(sock, size, bind, uid)
}

func (realInit) rlimits(rls []specs.POSIXRlimit) error {
	for _, rl := range rls {
		lim := syscall.Rlimit{Cur: rl.Soft, Max: rl.Hard}
		// syscall.Setrlimit, unlike a raw prlimit, also tells the Go runtime
		// not to restore its saved RLIMIT_NOFILE at exec.
		if err := syscall.Setrlimit(rlimits[rl.Type], &lim); err != nil {
			return fmt.Errorf("process.rlimits %s (soft %d, hard %d): %w", rl.Type, rl.Soft, rl.Hard, err)
		}
	}
	return nil
}

func (realInit) oomScoreAdj(adj int) error {
	if err := writeProc("self/oom_score_adj", strconv.Itoa(adj)); err != nil {
		return fmt.Errorf("process.oomScoreAdj %d: %w", adj, err)
	}
	return nil
}

func (realInit) chdir(cwd string) error {
	if err := unix.Chdir(cwd); err != nil {
		return fmt.Errorf("process.cwd %s: %w", cwd, err)
	}
	// A cwd reached through a descriptor of the runtime could lie outside
	// the container's root (CVE-2024-21626): the kernel then has no path
	// for it from the root.
	if wd, err := unix.Getwd(); err != nil || !strings.HasPrefix(wd, "/") {
		return fmt.Errorf("process.cwd %s: not inside the container", cwd)
	}
	return nil
}

func (realInit) dropBounding(pc *specs.LinuxCapabilities) (*processCaps, error) {
	caps, err := newProcessCaps(pc)
	if err != nil || caps == nil {
		return nil, err
	}
	return caps, caps.dropBounding()
}

func (realInit) applyCaps(caps *processCaps) error {
	if caps == nil {
		return nil
	}
	return caps.apply()
}

func (realInit) noNewPrivs() error {
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("process.noNewPrivileges: %w", err)
	}
	return nil
}

func (realInit) closeOnExec(from int) error {
	err := unix.CloseRange(uint(from), ^uint(0), unix.CLOSE_RANGE_CLOEXEC)
	if err == nil {
		return nil
	}
	// No close_range (an older kernel, or a filter runo runs under): each
	// descriptor listed in a procfs nothing in the container can cover.
	proc, err := privateProc()
	if err != nil {
		return fmt.Errorf("marking descriptors close-on-exec: %w", err)
	}
	dir, done, err := proc.OpenThreadSelf("fd")
	if err != nil {
		return fmt.Errorf("marking descriptors close-on-exec: %w", err)
	}
	defer done()
	defer dir.Close()
	names, err := dir.Readdirnames(-1)
	if err != nil {
		return fmt.Errorf("marking descriptors close-on-exec: %w", err)
	}
	for _, name := range names {
		if fd, err := strconv.Atoi(name); err == nil && fd >= from && fd != int(dir.Fd()) {
			unix.CloseOnExec(fd)
		}
	}
	return nil
}

func (realInit) affinity(cpus string) error {
	var set unix.CPUSet
	if cpus == "" {
		// The kernel keeps of a full mask what the cpuset allows.
		for c := range len(set) * 64 {
			set.Set(c)
		}
	} else {
		p, err := parseCPUList(cpus)
		if err != nil {
			return fmt.Errorf("process.execCPUAffinity: %w", err)
		}
		set = *p
	}
	if err := unix.SchedSetaffinity(0, &set); err != nil {
		return fmt.Errorf("setting the cpu affinity to %q: %w", cpus, err)
	}
	debugf("nsexec: affinity: 0x%x", uint64(set[0]))
	return nil
}
