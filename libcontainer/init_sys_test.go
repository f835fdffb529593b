package libcontainer

import (
	"os"
	"slices"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/runo-runtime/runo/seccomp"
)

// recorder is initSys that only writes down what init asked for.
type recorder struct{ steps []string }

func (r *recorder) add(step string) error { r.steps = append(r.steps, step); return nil }

func (r *recorder) joinKeyring(string) error                    { return r.add("keyring") }
func (r *recorder) prepareRootfs(*rootfs) error                 { return r.add("mounts+devices") }
func (r *recorder) pivotRoot(*rootfs, bool) error               { return r.add("pivot_root") }
func (r *recorder) console(int, *specs.Box, bool, uint32) error { return r.add("console") }
func (r *recorder) newSession() error                           { return r.add("setsid") }
func (r *recorder) kernelSettings(*specs.Spec) error            { return r.add("hostname+sysctl") }
func (r *recorder) personality(*specs.LinuxPersonality) error   { return r.add("personality") }
func (r *recorder) memoryPolicy(*specs.LinuxMemoryPolicy) error { return r.add("mempolicy") }
func (r *recorder) finishRootfs(*rootfs) error                  { return r.add("masked+readonly") }
func (r *recorder) affinity(cpus string) error {
	if cpus == "" {
		cpus = "all"
	}
	return r.add("affinity " + cpus)
}
func (r *recorder) rlimits([]specs.POSIXRlimit) error             { return r.add("rlimits") }
func (r *recorder) oomScoreAdj(int) error                         { return r.add("oom_score_adj") }
func (r *recorder) chdir(string) error                            { return r.add("cwd") }
func (r *recorder) sched(*specs.Process) error                    { return r.add("sched") }
func (r *recorder) lsm(*specs.Process) error                      { return r.add("lsm") }
func (r *recorder) ownStdio(uint32) error                         { return r.add("stdio owner") }
func (r *recorder) closeOnExec(int) error                         { return r.add("cloexec") }
func (r *recorder) loadSeccomp(procOpts) error                    { return r.add("seccomp") }
func (r *recorder) setUser(p *specs.Process) ([]string, error)    { return p.Env, r.add("user") }
func (r *recorder) applyCaps(*processCaps) error                  { return r.add("caps") }
func (r *recorder) noNewPrivs() error                             { return r.add("no_new_privs") }
func (r *recorder) lookPath(f string, _ []string) (string, error) { return f, r.add("lookPath") }

func (r *recorder) dropBounding(*specs.LinuxCapabilities) (*processCaps, error) {
	return nil, r.add("bounding set")
}

// testBootstrap is a create's bootstrap for spec, with no real fifo.
func testBootstrap(t *testing.T, spec *specs.Spec) (*bootstrap, *specs.Spec) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	return &bootstrap{ID: "c", Spec: spec, FifoFd: int(r.Fd())}, spec
}

func ordered(t *testing.T, got []string, want string) {
	t.Helper()
	if g := strings.Join(got, ", "); g != want {
		t.Errorf("init's steps:\n got %s\nwant %s", g, want)
	}
}

// TestInitOrder pins the order of init's setup for create: mounts before
// the hooks, pivot_root before the console, sysctls before read-only
// paths, the bounding set before the user change, seccomp before the user
// change without no_new_privs and after everything with it.
func TestInitOrder(t *testing.T) {
	spec := defaultSpec()
	spec.Process.NoNewPrivileges = false
	spec.Process.Args = []string{"sh"}
	spec.Process.OOMScoreAdj = new(int)
	b, spec := testBootstrap(t, spec)
	b.Seccomp = &seccomp.Program{}
	sys := &recorder{}
	p, err := setup(sys, b, spec, runtimeLink{hooks: func() error { return sys.add("create hooks") }})
	if err != nil {
		t.Fatal(err)
	}
	ordered(t, sys.steps, "keyring, mounts+devices, create hooks, pivot_root, console, hostname+sysctl, personality, mempolicy, "+
		"masked+readonly, affinity all, rlimits, oom_score_adj, cwd, sched, lsm, bounding set, stdio owner, cloexec, seccomp, user, caps, lookPath")
	if p.seccomp != nil {
		t.Error("a filter loaded before the user change is loaded again at exec")
	}
}

func TestInitOrderNoNewPrivileges(t *testing.T) {
	for _, notify := range []bool{false, true} {
		spec := defaultSpec()
		spec.Process.Terminal = false
		spec.Process.NoNewPrivileges = true
		b, spec := testBootstrap(t, spec)
		b.NoNewKeyring = true
		b.Seccomp = &seccomp.Program{Notify: notify}
		sys := &recorder{}
		p, err := setup(sys, b, spec, runtimeLink{hooks: func() error { return nil }})
		if err != nil {
			t.Fatal(err)
		}
		want := "mounts+devices, pivot_root, setsid, hostname+sysctl, personality, mempolicy, masked+readonly, " +
			"affinity all, rlimits, cwd, sched, lsm, bounding set, stdio owner, cloexec, user, caps, no_new_privs"
		if notify {
			// A notifying filter's listener must reach the agent during create.
			want += ", seccomp"
		}
		ordered(t, sys.steps, want+", lookPath")
		if notify != (p.seccomp == nil) {
			t.Errorf("notify %v: the filter left for the exec is %v", notify, p.seccomp)
		}
	}
}

// TestInitOrderJoinedMountNamespace: in a joined mount namespace, which
// has its rootfs already, init touches no mounts.
func TestInitOrderJoinedMountNamespace(t *testing.T) {
	spec := defaultSpec()
	spec.Process.Terminal = false
	for i := range spec.Linux.Namespaces {
		if spec.Linux.Namespaces[i].Type == specs.MountNamespace {
			spec.Linux.Namespaces[i].Path = "/proc/1/ns/mnt"
		}
	}
	b, spec := testBootstrap(t, spec)
	sys := &recorder{}
	if _, err := setup(sys, b, spec, runtimeLink{hooks: func() error { return sys.add("create hooks") }}); err != nil {
		t.Fatal(err)
	}
	for _, s := range sys.steps {
		if s == "mounts+devices" || s == "pivot_root" || s == "masked+readonly" {
			t.Errorf("%s without a mount namespace", s)
		}
	}
}

// TestExecOrder: exec's terminal first, the whole setup pinned to the
// initial cpus, the process to the final ones.
func TestExecOrder(t *testing.T) {
	p := defaultSpec().Process
	p.ExecCPUAffinity = &specs.CPUAffinity{Initial: "0", Final: "1"}
	sys := &recorder{}
	if _, err := setupExec(sys, &bootstrap{Exec: p}); err != nil {
		t.Fatal(err)
	}
	ordered(t, sys.steps, "console, personality, mempolicy, affinity 0, rlimits, cwd, sched, lsm, bounding set, stdio owner, cloexec, user, caps, no_new_privs, lookPath, affinity 1")
}

func TestProcessEnv(t *testing.T) {
	for _, c := range []struct{ in, want []string }{
		{[]string{"A=1", "B=2", "A=3", "HOME=/h"}, []string{"B=2", "A=3", "HOME=/h"}},
		{[]string{"HOME=/h", "HOME="}, []string{"HOME=/"}},
		{[]string{"PATH=/bin"}, []string{"PATH=/bin", "HOME=/"}},
	} {
		// uid 4242 has no entry in the host's /etc/passwd, read here.
		if got := processEnv(c.in, 4242); !slices.Equal(got, c.want) {
			t.Errorf("processEnv(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
