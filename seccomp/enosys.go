package seccomp

import (
	"encoding/binary"
	"slices"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"
)

// A profile written before a syscall existed denies it with its default
// action, usually EPERM. glibc and others probe new syscalls (clone3,
// faccessat2, openat2...) and fall back to the old ones only on ENOSYS,
// so such a profile breaks them. As runc does, a stub in front of the
// program returns ENOSYS for any syscall numbered above the highest one
// the profile names, per architecture; the profile decides the rest.

// auditArchs are the AUDIT_ARCH_* values seccomp_data.arch takes for the
// architectures the stub knows; others go straight to the profile.
var auditArchs = map[libseccomp.ScmpArch]uint32{
	libseccomp.ArchAMD64:   unix.AUDIT_ARCH_X86_64,
	libseccomp.ArchX86:     unix.AUDIT_ARCH_I386,
	libseccomp.ArchARM64:   unix.AUDIT_ARCH_AARCH64,
	libseccomp.ArchARM:     unix.AUDIT_ARCH_ARM,
	libseccomp.ArchPPC64LE: unix.AUDIT_ARCH_PPC64LE,
	libseccomp.ArchS390X:   unix.AUDIT_ARCH_S390X,
	libseccomp.ArchRISCV64: unix.AUDIT_ARCH_RISCV64,
}

// x32Bit marks x32 syscalls, which share AUDIT_ARCH_X86_64.
const x32Bit = 0x40000000

// lastSyscalls is, per architecture of the filter, the highest syscall
// number the profile names. Names an architecture lacks, and libseccomp's
// negative pseudo numbers, do not count.
func lastSyscalls(c *specs.LinuxSeccomp, archs []libseccomp.ScmpArch) map[libseccomp.ScmpArch]int32 {
	last := map[libseccomp.ScmpArch]int32{}
	for _, s := range c.Syscalls {
		for _, name := range s.Names {
			for _, a := range archs {
				nr, err := libseccomp.GetSyscallFromNameByArch(name, a)
				if err != nil || nr < 0 {
					continue
				}
				if cur, ok := last[a]; !ok || int32(nr) > cur {
					last[a] = int32(nr)
				}
			}
		}
	}
	return last
}

// Jump targets of the stub's bodies, resolved once its layout is known.
const (
	toEnosys = 0xff
	toUser   = 0xfe
)

// enosysStub returns the instructions to put in front of the profile's:
// they fall through to it, or return ENOSYS.
func enosysStub(last map[libseccomp.ScmpArch]int32) []unix.SockFilter {
	const (
		ld  = unix.BPF_LD | unix.BPF_W | unix.BPF_ABS
		jeq = unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K
		jgt = unix.BPF_JMP | unix.BPF_JGT | unix.BPF_K
		jge = unix.BPF_JMP | unix.BPF_JGE | unix.BPF_K
		ja  = unix.BPF_JMP | unix.BPF_JA
		ret = unix.BPF_RET | unix.BPF_K
	)
	type check struct {
		audit uint32
		// max is the highest native number; x32 applies only to
		// AUDIT_ARCH_X86_64 and is -1 without x32 in the filter.
		max, x32 int32
	}
	var checks []check
	archs := make([]libseccomp.ScmpArch, 0, len(last))
	for a := range last {
		archs = append(archs, a)
	}
	slices.Sort(archs)
	x32, hasX32 := last[libseccomp.ArchX32]
	for _, a := range archs {
		audit, ok := auditArchs[a]
		if !ok {
			continue
		}
		c := check{audit: audit, max: last[a], x32: -1}
		if a == libseccomp.ArchAMD64 && hasX32 {
			c.x32 = x32
		}
		checks = append(checks, c)
	}
	if len(checks) == 0 {
		return nil
	}
	// Each check's body, then one ENOSYS return; "user" is the first
	// instruction after the stub. Jump offsets count from the next one.
	var bodies [][]unix.SockFilter
	for _, c := range checks {
		var b []unix.SockFilter
		b = append(b, unix.SockFilter{Code: ld, K: 0}) // seccomp_data.nr
		if c.audit == unix.AUDIT_ARCH_X86_64 {
			// x32 numbers are above every x86_64 one.
			if c.x32 >= 0 {
				b = append(b, unix.SockFilter{Code: jge, K: x32Bit, Jt: 1},
					unix.SockFilter{Code: jgt, K: uint32(c.max), Jt: toEnosys, Jf: toUser},
					unix.SockFilter{Code: jgt, K: uint32(c.x32), Jt: toEnosys, Jf: toUser})
			} else {
				b = append(b, unix.SockFilter{Code: jge, K: x32Bit, Jt: toUser},
					unix.SockFilter{Code: jgt, K: uint32(c.max), Jt: toEnosys, Jf: toUser})
			}
		} else {
			b = append(b, unix.SockFilter{Code: jgt, K: uint32(c.max), Jt: toEnosys, Jf: toUser})
		}
		bodies = append(bodies, b)
	}
	// Layout: ld arch; one jeq per check; ja user; bodies; ret ENOSYS.
	n := 1 + len(checks) + 1
	for _, b := range bodies {
		n += len(b)
	}
	enosys, user := n, n+1
	prog := []unix.SockFilter{{Code: ld, K: 4}} // seccomp_data.arch
	start := 1 + len(checks) + 1
	for i, c := range checks {
		at := len(prog)
		prog = append(prog, unix.SockFilter{Code: jeq, K: c.audit, Jt: uint8(start - at - 1)})
		start += len(bodies[i])
	}
	prog = append(prog, unix.SockFilter{Code: ja, K: uint32(user - len(prog) - 1)})
	for _, b := range bodies {
		for _, ins := range b {
			at := len(prog)
			for _, j := range []*uint8{&ins.Jt, &ins.Jf} {
				switch *j {
				case toEnosys:
					*j = uint8(enosys - at - 1)
				case toUser:
					*j = uint8(user - at - 1)
				}
			}
			prog = append(prog, ins)
		}
	}
	return append(prog, unix.SockFilter{Code: ret, K: unix.SECCOMP_RET_ERRNO | uint32(unix.ENOSYS)})
}

// prependEnosys puts the stub in front of the exported program bpf when
// the default action denies: a profile that allows by default lets the
// kernel answer for syscalls it does not name.
func prependEnosys(c *specs.LinuxSeccomp, archs []libseccomp.ScmpArch, bpf []byte) []byte {
	switch c.DefaultAction {
	case specs.ActAllow, specs.ActLog, specs.ActTrace:
		return bpf
	}
	stub := enosysStub(lastSyscalls(c, archs))
	out := make([]byte, 0, 8*len(stub)+len(bpf))
	for _, ins := range stub {
		out = binary.NativeEndian.AppendUint16(out, ins.Code)
		out = append(out, ins.Jt, ins.Jf)
		out = binary.NativeEndian.AppendUint32(out, ins.K)
	}
	return append(out, bpf...)
}
