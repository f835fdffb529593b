package seccomp

import (
	"maps"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"
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
	// TSYNC is accepted and ignored, as runc does.
	if p.Flags != unix.SECCOMP_FILTER_FLAG_LOG {
		t.Errorf("Flags = %#x, want LOG", p.Flags)
	}
	if len(p.BPF) == 0 || len(p.BPF)%8 != 0 {
		t.Errorf("BPF of %d bytes", len(p.BPF))
	}
}

// run interprets the few classic BPF instructions the ENOSYS stub uses,
// returning the action, or -1 when control leaves the stub.
func run(t *testing.T, prog []unix.SockFilter, arch, nr uint32) int64 {
	var acc uint32
	for pc := 0; pc < len(prog); pc++ {
		in := prog[pc]
		switch in.Code {
		case unix.BPF_LD | unix.BPF_W | unix.BPF_ABS:
			acc = map[uint32]uint32{0: nr, 4: arch}[in.K]
		case unix.BPF_JMP | unix.BPF_JA:
			pc += int(in.K)
		case unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, unix.BPF_JMP | unix.BPF_JGT | unix.BPF_K, unix.BPF_JMP | unix.BPF_JGE | unix.BPF_K:
			ok := map[uint16]bool{unix.BPF_JEQ: acc == in.K, unix.BPF_JGT: acc > in.K, unix.BPF_JGE: acc >= in.K}[in.Code&0xf0]
			if ok {
				pc += int(in.Jt)
			} else {
				pc += int(in.Jf)
			}
		case unix.BPF_RET | unix.BPF_K:
			return int64(in.K)
		default:
			t.Fatalf("instruction %d: code %#x", pc, in.Code)
		}
	}
	return -1
}

func TestEnosysStub(t *testing.T) {
	c := &specs.LinuxSeccomp{DefaultAction: specs.ActErrno, Syscalls: []specs.LinuxSyscall{
		{Names: []string{"read", "mkdir", "socket"}, Action: specs.ActAllow},
	}}
	last := lastSyscalls(c, []libseccomp.ScmpArch{libseccomp.ArchAMD64, libseccomp.ArchX86, libseccomp.ArchX32})
	// mkdir is 83 on x86_64, 39 on x86 (whose socket is a socketcall
	// pseudo number), x32's are x86_64's with the x32 bit.
	want := map[libseccomp.ScmpArch]int32{libseccomp.ArchAMD64: 83, libseccomp.ArchX86: 39, libseccomp.ArchX32: x32Bit | 83}
	if !maps.Equal(last, want) {
		t.Fatalf("lastSyscalls = %v, want %v", last, want)
	}
	prog := enosysStub(last)
	enosys := int64(unix.SECCOMP_RET_ERRNO | uint32(unix.ENOSYS))
	for _, tc := range []struct {
		arch, nr uint32
		want     int64
	}{
		{unix.AUDIT_ARCH_X86_64, 0, -1},
		{unix.AUDIT_ARCH_X86_64, 83, -1},
		{unix.AUDIT_ARCH_X86_64, 84, enosys},
		{unix.AUDIT_ARCH_X86_64, 1000, enosys},
		{unix.AUDIT_ARCH_X86_64, x32Bit | 83, -1},
		{unix.AUDIT_ARCH_X86_64, x32Bit | 84, enosys},
		{unix.AUDIT_ARCH_I386, 39, -1},
		{unix.AUDIT_ARCH_I386, 40, enosys},
		{unix.AUDIT_ARCH_AARCH64, 1000, -1},
	} {
		if got := run(t, prog, tc.arch, tc.nr); got != tc.want {
			t.Errorf("arch %#x nr %#x: %d, want %d", tc.arch, tc.nr, got, tc.want)
		}
	}
	// Without x32 in the filter, its numbers are left to the profile.
	delete(last, libseccomp.ArchX32)
	if got := run(t, enosysStub(last), unix.AUDIT_ARCH_X86_64, x32Bit|1000); got != -1 {
		t.Errorf("x32 without x32: %d", got)
	}
	allow := &specs.LinuxSeccomp{DefaultAction: specs.ActAllow}
	if b := prependEnosys(allow, nil, []byte("12345678")); string(b) != "12345678" {
		t.Errorf("default ALLOW got a stub")
	}
}
