package seccomp

import (
	"encoding/binary"
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Load installs the program on the calling thread and returns the
// listener's descriptor if the program notifies one, else -1. It needs
// no_new_privs or CAP_SYS_ADMIN, and makes no call into libseccomp: init
// is free of it.
func Load(p *Program) (int, error) {
	insns := make([]unix.SockFilter, len(p.BPF)/8)
	for i := range insns {
		b := p.BPF[i*8:]
		insns[i] = unix.SockFilter{
			Code: binary.NativeEndian.Uint16(b), Jt: b[2], Jf: b[3], K: binary.NativeEndian.Uint32(b[4:]),
		}
	}
	if len(insns) == 0 {
		return -1, fmt.Errorf("seccomp: empty program")
	}
	prog := unix.SockFprog{Len: uint16(len(insns)), Filter: &insns[0]}
	r, _, errno := unix.RawSyscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, uintptr(p.LoadFlags()), uintptr(unsafe.Pointer(&prog)))
	if errno != 0 {
		return -1, fmt.Errorf("loading the seccomp filter: %w", errno)
	}
	if !p.Notify {
		return -1, nil
	}
	return int(r), nil
}

// LoadFlags are the flags seccomp(2) gets for p.
func (p *Program) LoadFlags() uint {
	if p.Notify {
		return p.Flags | unix.SECCOMP_FILTER_FLAG_NEW_LISTENER
	}
	return p.Flags
}

// Check refuses a program the kernel would not load as it came from
// Compile: no instructions or more than BPF_MAXINSNS, a jump past the end,
// or a last instruction that is not a return. It is for programs read
// back from a file, so that a damaged one is compiled again rather than
// failing each container that uses it.
func (p *Program) Check() error {
	n := len(p.BPF) / 8
	if len(p.BPF)%8 != 0 || n == 0 || n > unix.BPF_MAXINSNS {
		return fmt.Errorf("seccomp: a program of %d bytes", len(p.BPF))
	}
	for i := range n {
		b := p.BPF[i*8:]
		code := binary.NativeEndian.Uint16(b)
		if code&0x07 != unix.BPF_JMP {
			continue
		}
		jt, jf, k := int(b[2]), int(b[3]), int(binary.NativeEndian.Uint32(b[4:]))
		if code&0xf0 == unix.BPF_JA {
			jt, jf = k, k
		}
		if i+1+max(jt, jf) >= n {
			return fmt.Errorf("seccomp: instruction %d jumps past the end", i)
		}
	}
	if last := binary.NativeEndian.Uint16(p.BPF[(n-1)*8:]); last&0x07 != unix.BPF_RET {
		return fmt.Errorf("seccomp: the last instruction is not a return")
	}
	if p.Flags&^uint(unix.SECCOMP_FILTER_FLAG_LOG|unix.SECCOMP_FILTER_FLAG_SPEC_ALLOW|flagWaitKillableRecv) != 0 {
		return fmt.Errorf("seccomp: unknown flags %#x", p.Flags)
	}
	return nil
}
