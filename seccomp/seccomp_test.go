package seccomp

import (
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func uintp(v uint) *uint { return &v }

func TestCompileErrorsNameTheField(t *testing.T) {
	allow := specs.LinuxSeccomp{DefaultAction: specs.ActAllow}
	cases := []struct {
		name   string
		change func(c *specs.LinuxSeccomp)
		want   string
	}{
		{"default action", func(c *specs.LinuxSeccomp) { c.DefaultAction = "SCMP_ACT_NOPE" }, `linux.seccomp.defaultAction: unknown "SCMP_ACT_NOPE"`},
		{"default errno on allow", func(c *specs.LinuxSeccomp) { c.DefaultErrnoRet = uintp(1) }, "linux.seccomp.defaultAction: SCMP_ACT_ALLOW takes no errno"},
		{"architecture", func(c *specs.LinuxSeccomp) { c.Architectures = []specs.Arch{"SCMP_ARCH_X86_64", "SCMP_ARCH_VAX"} }, `linux.seccomp.architectures[1]: unknown "SCMP_ARCH_VAX"`},
		{"flag", func(c *specs.LinuxSeccomp) { c.Flags = []specs.LinuxSeccompFlag{"SECCOMP_FILTER_FLAG_NOPE"} }, `linux.seccomp.flags[0]: unknown "SECCOMP_FILTER_FLAG_NOPE"`},
		{"syscall action", func(c *specs.LinuxSeccomp) {
			c.Syscalls = []specs.LinuxSyscall{{Names: []string{"read"}, Action: specs.ActErrno}, {Names: []string{"mkdir"}, Action: "KILL"}}
		}, `linux.seccomp.syscalls[1].action: unknown "KILL"`},
		{"no names", func(c *specs.LinuxSeccomp) { c.Syscalls = []specs.LinuxSyscall{{Action: specs.ActErrno}} }, "linux.seccomp.syscalls[0].names: must not be empty"},
		{"operator", func(c *specs.LinuxSeccomp) {
			c.Syscalls = []specs.LinuxSyscall{{Names: []string{"kill"}, Action: specs.ActErrno, Args: []specs.LinuxSeccompArg{{Index: 1, Op: "SCMP_CMP_ABOUT"}}}}
		}, `linux.seccomp.syscalls[0].args[0].op: unknown "SCMP_CMP_ABOUT"`},
		{"index", func(c *specs.LinuxSeccomp) {
			c.Syscalls = []specs.LinuxSyscall{{Names: []string{"kill"}, Action: specs.ActErrno, Args: []specs.LinuxSeccompArg{{Index: 6, Op: specs.OpEqualTo}}}}
		}, "linux.seccomp.syscalls[0].args[0].index: 6 is not an argument (0-5)"},
		{"errno on kill", func(c *specs.LinuxSeccomp) {
			c.Syscalls = []specs.LinuxSyscall{{Names: []string{"kill"}, Action: specs.ActKillProcess, ErrnoRet: uintp(1)}}
		}, "linux.seccomp.syscalls[0].action: SCMP_ACT_KILL_PROCESS takes no errno"},
		{"notify without listener", func(c *specs.LinuxSeccomp) {
			c.Syscalls = []specs.LinuxSyscall{{Names: []string{"mkdir"}, Action: specs.ActNotify}}
		}, "linux.seccomp.listenerPath: must be set"},
		{"wait killable without notify", func(c *specs.LinuxSeccomp) {
			c.Flags = []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagWaitKillableRecv}
		}, "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV needs an SCMP_ACT_NOTIFY action"},
	}
	for _, tc := range cases {
		c := allow
		tc.change(&c)
		_, err := Compile(&c)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Compile = %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
}

func TestCompile(t *testing.T) {
	c := &specs.LinuxSeccomp{
		DefaultAction: specs.ActErrno,
		Architectures: []specs.Arch{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86"},
		Flags:         []specs.LinuxSeccompFlag{"SECCOMP_FILTER_FLAG_TSYNC", specs.LinuxSeccompFlagLog},
		ListenerPath:  "/run/agent.sock",
		Syscalls: []specs.LinuxSyscall{
			// Unknown names are skipped; a rule that does what the default
			// does is dropped rather than refused by libseccomp.
			{Names: []string{"read", "write", "no_such_syscall"}, Action: specs.ActAllow},
			{Names: []string{"open"}, Action: specs.ActErrno},
			{Names: []string{"mkdir"}, Action: specs.ActNotify},
			{Names: []string{"personality"}, Action: specs.ActAllow, Args: []specs.LinuxSeccompArg{
				{Index: 0, Value: 0, Op: specs.OpEqualTo}, {Index: 0, Value: 8, Op: specs.OpEqualTo},
			}},
			{Names: []string{"clone"}, Action: specs.ActAllow, Args: []specs.LinuxSeccompArg{
				{Index: 0, Value: 0x7E020000, ValueTwo: 0, Op: specs.OpMaskedEqual},
			}},
		},
	}
	p, err := Compile(c)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Notify || p.ListenerPath != "/run/agent.sock" {
		t.Errorf("Notify %v, ListenerPath %q", p.Notify, p.ListenerPath)
	}
	if p.Flags != 1|2 {
		t.Errorf("Flags = %#x, want TSYNC|LOG", p.Flags)
	}
	if len(p.BPF) == 0 || len(p.BPF)%8 != 0 {
		t.Errorf("BPF of %d bytes", len(p.BPF))
	}
}
