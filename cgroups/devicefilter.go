package cgroups

import (
	"fmt"
	"os"
	"unsafe"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// cgroup2 has no devices files: access to devices is decided by an eBPF
// program of type BPF_PROG_TYPE_CGROUP_DEVICE attached to the cgroup. The
// program is assembled here, a few instructions per rule: cilium/ebpf
// would do it too, but its package initialisation costs every runo
// process ~0.7 ms at start.

// bpfInsn is struct bpf_insn.
type bpfInsn struct {
	code uint8
	regs uint8 // dst in the low nibble, src in the high one
	off  int16
	imm  int32
}

const (
	opLdxW   = unix.BPF_LDX | unix.BPF_MEM | unix.BPF_W
	opAnd32  = unix.BPF_ALU | unix.BPF_AND | unix.BPF_K
	opRsh32  = unix.BPF_ALU | unix.BPF_RSH | unix.BPF_K
	opMov64  = unix.BPF_ALU64 | unix.BPF_MOV | unix.BPF_K
	opMov64X = unix.BPF_ALU64 | unix.BPF_MOV | unix.BPF_X
	opJne    = unix.BPF_JMP | unix.BPF_JNE | unix.BPF_K
	opExit   = unix.BPF_JMP | unix.BPF_EXIT
)

func insn(code uint8, dst, src uint8, off int16, imm int32) bpfInsn {
	return bpfInsn{code: code, regs: dst | src<<4, off: off, imm: imm}
}

// Device types and accesses as struct bpf_cgroup_dev_ctx has them.
const (
	devBlock = 1
	devChar  = 2
	accMknod = 1
	accRead  = 2
	accWrite = 4
)

// deviceProgram assembles rules into a program: the last rule that
// matches a device decides, as in the v1 devices cgroup runc emulates;
// no match denies.
func deviceProgram(rules []specs.LinuxDeviceCgroup) ([]bpfInsn, error) {
	prog := []bpfInsn{
		insn(opLdxW, 2, 1, 0, 0), insn(opAnd32, 2, 0, 0, 0xffff), // r2 = type
		insn(opLdxW, 3, 1, 0, 0), insn(opRsh32, 3, 0, 0, 16), // r3 = access
		insn(opLdxW, 4, 1, 4, 0), // r4 = major
		insn(opLdxW, 5, 1, 8, 0), // r5 = minor
	}
	for i := len(rules) - 1; i >= 0; i-- {
		r := rules[i]
		var block []bpfInsn
		// Each jump skips to the end of the rule's block; off is patched.
		switch r.Type {
		case "", "a":
		case "c":
			block = append(block, insn(opJne, 2, 0, 0, devChar))
		case "b":
			block = append(block, insn(opJne, 2, 0, 0, devBlock))
		default:
			return nil, fmt.Errorf("linux.resources.devices[%d].type: unknown %q", i, r.Type)
		}
		var access int32
		for _, c := range deviceAccess(r.Access) {
			switch c {
			case 'r':
				access |= accRead
			case 'w':
				access |= accWrite
			case 'm':
				access |= accMknod
			}
		}
		if access != accRead|accWrite|accMknod {
			// Every access asked for must be in the rule.
			block = append(block, insn(opMov64X, 6, 3, 0, 0), insn(opAnd32, 6, 0, 0, ^access&0xffff), insn(opJne, 6, 0, 0, 0))
		}
		if r.Major != nil && *r.Major >= 0 {
			block = append(block, insn(opJne, 4, 0, 0, int32(*r.Major)))
		}
		if r.Minor != nil && *r.Minor >= 0 {
			block = append(block, insn(opJne, 5, 0, 0, int32(*r.Minor)))
		}
		allow := int32(0)
		if r.Allow {
			allow = 1
		}
		block = append(block, insn(opMov64, 0, 0, 0, allow), insn(opExit, 0, 0, 0, 0))
		conditional := false
		for j := range block {
			if block[j].code == opJne {
				block[j].off = int16(len(block) - j - 1)
				conditional = true
			}
		}
		prog = append(prog, block...)
		if !conditional {
			// Matches every device: what follows could never run, which
			// the verifier refuses.
			return prog, nil
		}
	}
	return append(prog, insn(opMov64, 0, 0, 0, 0), insn(opExit, 0, 0, 0, 0)), nil
}

// attachDeviceFilter loads the program of rules and attaches it to the
// cgroup2 directory dir, where it stays after runo exits (a legacy attach,
// not a link that would go with runo's descriptor).
func attachDeviceFilter(dir string, rules []specs.LinuxDeviceCgroup) error {
	prog, err := deviceProgram(rules)
	if err != nil {
		return err
	}
	fd, err := loadProgram(prog, 0)
	if err != nil {
		// Again, for the verifier's reasons.
		if again, logErr := loadProgram(prog, 1); logErr != nil {
			err = logErr
		} else {
			unix.Close(int(again))
		}
		return fmt.Errorf("loading the cgroup2 device filter: %w", err)
	}
	defer unix.Close(int(fd))
	cg, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer cg.Close()
	attach := struct {
		targetFd, attachBpfFd, attachType, attachFlags uint32
	}{uint32(cg.Fd()), uint32(fd), unix.BPF_CGROUP_DEVICE, unix.BPF_F_ALLOW_MULTI}
	if _, _, errno := unix.Syscall(unix.SYS_BPF, unix.BPF_PROG_ATTACH, uintptr(unsafe.Pointer(&attach)), unsafe.Sizeof(attach)); errno != 0 {
		return fmt.Errorf("attaching the device filter to %s: %w", dir, errno)
	}
	return nil
}

// loadProgram loads a cgroup device program, with the verifier's log in
// the error if logLevel is 1.
func loadProgram(prog []bpfInsn, logLevel uint32) (uintptr, error) {
	license := []byte("Apache-2.0\x00")
	var logBuf []byte
	load := struct {
		progType, insnCnt     uint32
		insns, license        uint64
		logLevel, logSize     uint32
		logBuf                uint64
		kernVersion, progFlag uint32
	}{
		progType: unix.BPF_PROG_TYPE_CGROUP_DEVICE, insnCnt: uint32(len(prog)),
		insns: uint64(uintptr(unsafe.Pointer(&prog[0]))), license: uint64(uintptr(unsafe.Pointer(&license[0]))),
	}
	if logLevel > 0 {
		logBuf = make([]byte, 1<<20)
		load.logLevel, load.logSize, load.logBuf = logLevel, uint32(len(logBuf)), uint64(uintptr(unsafe.Pointer(&logBuf[0])))
	}
	// The verifier gives up with EAGAIN when a signal comes meanwhile (the
	// Go runtime's preemption, on a slow machine): try again, as libbpf
	// does.
	var fd uintptr
	var errno unix.Errno
	for try := 0; try < 10; try++ {
		if fd, _, errno = unix.Syscall(unix.SYS_BPF, unix.BPF_PROG_LOAD, uintptr(unsafe.Pointer(&load)), unsafe.Sizeof(load)); errno != unix.EAGAIN {
			break
		}
	}
	if errno != 0 {
		return 0, fmt.Errorf("%w %s", errno, cString(logBuf))
	}
	return fd, nil
}

func cString(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}
