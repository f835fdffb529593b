package libcontainer

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"unsafe"

	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	"github.com/cyphar/filepath-securejoin/pathrs-lite/procfs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// setupSystem applies the namespaced kernel settings of the spec.
func setupSystem(spec *specs.Spec) error {
	if spec.Hostname != "" {
		if err := unix.Sethostname([]byte(spec.Hostname)); err != nil {
			return fmt.Errorf("hostname: %w", err)
		}
	}
	if spec.Domainname != "" {
		if err := unix.Setdomainname([]byte(spec.Domainname)); err != nil {
			return fmt.Errorf("domainname: %w", err)
		}
	}
	for key, value := range spec.Linux.Sysctl {
		// Validate has checked the key.
		_, path, _ := sysctlName(key)
		if err := writeProc("sys/"+path, value); err != nil {
			if errors.Is(err, unix.ENOENT) {
				return fmt.Errorf("linux.sysctl %s: the kernel has no such setting (no /proc/sys/%s)", key, path)
			}
			return fmt.Errorf("linux.sysctl %s: %w", key, err)
		}
	}
	return nil
}

// writeProc writes a kernel setting under /proc: "self/..." of init's
// executing thread, or any other path from procfs's root ("sys/...").
// It goes through a private procfs instance that pathrs-lite mounts
// detached, where nothing the container's config or image mounted over
// /proc can redirect the write to another file (CVE-2019-16884,
// CVE-2025-52881).
func writeProc(path, value string) error {
	proc, err := privateProc()
	if err != nil {
		return err
	}
	var f *os.File
	if sub, ok := strings.CutPrefix(path, "self/"); ok {
		var done procfs.ProcThreadSelfCloser
		f, done, err = proc.OpenThreadSelf(sub)
		if err == nil {
			defer done()
		}
	} else {
		f, err = proc.OpenRoot(path)
	}
	if err != nil {
		return err
	}
	defer f.Close()
	w, err := pathrs.Reopen(f, unix.O_WRONLY|unix.O_CLOEXEC)
	if err != nil {
		return err
	}
	defer w.Close()
	_, err = w.WriteString(value)
	return err
}

// procRoot is init's private procfs handle, opened at first use.
var procRoot *procfs.Handle

// privateProc returns procRoot, opening it the first time.
func privateProc() (*procfs.Handle, error) {
	if procRoot == nil {
		h, err := procfs.OpenProcRoot()
		if err != nil {
			return nil, fmt.Errorf("opening procfs: %w", err)
		}
		procRoot = h
	}
	return procRoot, nil
}

// setPersonality sets linux.personality for the process to come.
func setPersonality(pe *specs.LinuxPersonality) error {
	if pe == nil {
		return nil
	}
	if _, _, e := unix.Syscall(unix.SYS_PERSONALITY, personalities[pe.Domain], 0, 0); e != 0 {
		return fmt.Errorf("linux.personality: %w", e)
	}
	return nil
}

// setMemoryPolicy applies the policy to the calling thread, the one that
// executes the process.
func setMemoryPolicy(mp *specs.LinuxMemoryPolicy) error {
	if mp == nil {
		return nil
	}
	mode, nodes, err := memoryPolicy(mp)
	if err != nil {
		return err
	}
	// maxnode counts one past the mask's last bit, as the kernel wants.
	maxnode := uintptr(len(nodes)*64 + 1)
	if _, _, e := unix.RawSyscall(unix.SYS_SET_MEMPOLICY, mode, uintptr(unsafe.Pointer(&nodes[0])), maxnode); e != 0 {
		if e == unix.EINVAL {
			return errors.New("linux.memoryPolicy: the kernel refuses this mode, flags and nodes (EINVAL)")
		}
		return fmt.Errorf("linux.memoryPolicy: %w", e)
	}
	return nil
}
