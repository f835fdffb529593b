package nsenter

import "syscall"

// vforkSyscall is clone(2) or clone3(2) (trap) for a CLONE_VM|CLONE_VFORK
// child, in assembly.
//
//go:noescape
func vforkSyscall(trap, a1, a2 uintptr) (r1 uintptr, errno syscall.Errno)
