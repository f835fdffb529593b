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
