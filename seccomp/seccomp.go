// Package seccomp turns a runtime-spec seccomp config into a BPF program
// (with libseccomp, in the runtime) and loads such a program (with the
// seccomp system call alone, in init).
package seccomp

import (
	"errors"
	"fmt"
	"os"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"
)

// Program is a compiled filter and how to load it.
type Program struct {
	// BPF is the program as struct sock_filter instructions.
	BPF []byte `json:"bpf"`
	// Flags are the SECCOMP_FILTER_FLAG_* of seccomp(2).
	Flags uint `json:"flags,omitempty"`
	// Notify is set when a rule notifies a listener: loading the program
	// then returns the listener's descriptor.
	Notify           bool   `json:"notify,omitempty"`
	ListenerPath     string `json:"listener_path,omitempty"`
	ListenerMetadata string `json:"listener_metadata,omitempty"`
}

var actions = map[specs.LinuxSeccompAction]libseccomp.ScmpAction{
	specs.ActKill:        libseccomp.ActKillThread,
	specs.ActKillThread:  libseccomp.ActKillThread,
	specs.ActKillProcess: libseccomp.ActKillProcess,
	specs.ActTrap:        libseccomp.ActTrap,
	specs.ActErrno:       libseccomp.ActErrno,
	specs.ActTrace:       libseccomp.ActTrace,
	specs.ActAllow:       libseccomp.ActAllow,
	specs.ActLog:         libseccomp.ActLog,
	specs.ActNotify:      libseccomp.ActNotify,
}

var operators = map[specs.LinuxSeccompOperator]libseccomp.ScmpCompareOp{
	specs.OpNotEqual:     libseccomp.CompareNotEqual,
	specs.OpLessThan:     libseccomp.CompareLess,
	specs.OpLessEqual:    libseccomp.CompareLessOrEqual,
	specs.OpEqualTo:      libseccomp.CompareEqual,
	specs.OpGreaterEqual: libseccomp.CompareGreaterEqual,
	specs.OpGreaterThan:  libseccomp.CompareGreater,
	specs.OpMaskedEqual:  libseccomp.CompareMaskedEqual,
}

var flags = map[specs.LinuxSeccompFlag]uint{
	specs.LinuxSeccompFlagLog:              unix.SECCOMP_FILTER_FLAG_LOG,
	specs.LinuxSeccompFlagSpecAllow:        unix.SECCOMP_FILTER_FLAG_SPEC_ALLOW,
	specs.LinuxSeccompFlagWaitKillableRecv: flagWaitKillableRecv,
	// Accepted and ignored, as runc does: only the thread that executes
	// the process needs the filter.
	"SECCOMP_FILTER_FLAG_TSYNC": 0,
}

// flagWaitKillableRecv is SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (Linux
// 5.19), not in x/sys yet.
const flagWaitKillableRecv = 1 << 5

// Compile checks c and compiles it for the native architecture and those
// c names. Errors name the field of linux.seccomp at fault. Syscall names
// libseccomp does not know are skipped, as runc skips them: profiles list
// syscalls newer than the library.
func Compile(c *specs.LinuxSeccomp) (*Program, error) {
	def, err := action(c.DefaultAction, c.DefaultErrnoRet, "linux.seccomp.defaultAction")
	if err != nil {
		return nil, err
	}
	f, err := libseccomp.NewFilter(def)
	if err != nil {
		return nil, fmt.Errorf("linux.seccomp: %w", err)
	}
	defer f.Release()
	native, err := libseccomp.GetNativeArch()
	if err != nil {
		return nil, fmt.Errorf("linux.seccomp: %w", err)
	}
	archs := []libseccomp.ScmpArch{native}
	for i, a := range c.Architectures {
		arch, err := libseccomp.GetArchFromString(strings.ToLower(strings.TrimPrefix(string(a), "SCMP_ARCH_")))
		if err != nil {
			return nil, fmt.Errorf("linux.seccomp.architectures[%d]: unknown %q", i, a)
		}
		if err := f.AddArch(arch); err != nil {
			return nil, fmt.Errorf("linux.seccomp.architectures[%d] %q: %w", i, a, err)
		}
		archs = append(archs, arch)
	}
	p := &Program{ListenerPath: c.ListenerPath, ListenerMetadata: c.ListenerMetadata}
	if c.Flags == nil && takesFlags(unix.SECCOMP_FILTER_FLAG_SPEC_ALLOW) {
		// As runc: no flags at all means the filter does not force
		// speculative store bypass mitigation on the container.
		p.Flags = unix.SECCOMP_FILTER_FLAG_SPEC_ALLOW
	}
	for i, fl := range c.Flags {
		v, ok := flags[fl]
		if !ok {
			return nil, fmt.Errorf("linux.seccomp.flags[%d]: unknown %q", i, fl)
		}
		p.Flags |= v
	}
	p.Notify = Notifies(c)
	for i, s := range c.Syscalls {
		field := fmt.Sprintf("linux.seccomp.syscalls[%d]", i)
		act, err := action(s.Action, s.ErrnoRet, field+".action")
		if err != nil {
			return nil, err
		}
		conds, err := conditions(s.Args, field)
		if err != nil {
			return nil, err
		}
		if len(s.Names) == 0 {
			return nil, fmt.Errorf("%s.names: must not be empty", field)
		}
		if act == def {
			// libseccomp refuses a rule that does what the default does.
			continue
		}
		for _, name := range s.Names {
			call, err := libseccomp.GetSyscallFromName(name)
			if err != nil {
				continue
			}
			if act == libseccomp.ActNotify && name == "write" {
				// The runtime's own messages from init would wait for
				// an agent that is not connected yet.
				return nil, fmt.Errorf("%s: SCMP_ACT_NOTIFY cannot be used for the write syscall", field)
			}
			if err := addRule(f, call, act, conds); err != nil {
				return nil, fmt.Errorf("%s %s: %w", field, name, err)
			}
		}
	}
	if p.Notify && p.ListenerPath == "" {
		return nil, errors.New("linux.seccomp.listenerPath: must be set when an action is SCMP_ACT_NOTIFY")
	}
	if p.Flags&flagWaitKillableRecv != 0 && !p.Notify {
		return nil, errors.New("linux.seccomp.flags: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV needs an SCMP_ACT_NOTIFY action")
	}
	bpf, err := export(f)
	if err != nil {
		return nil, fmt.Errorf("linux.seccomp: compiling: %w", err)
	}
	p.BPF = prependEnosys(c, archs, bpf)
	return p, nil
}

// Notifies says whether an action of c is SCMP_ACT_NOTIFY: loading the
// filter then makes a listener, which has to reach the agent.
func Notifies(c *specs.LinuxSeccomp) bool {
	if c.DefaultAction == specs.ActNotify {
		return true
	}
	for _, s := range c.Syscalls {
		if s.Action == specs.ActNotify {
			return true
		}
	}
	return false
}

// action maps a spec action, with errnoRet for ERRNO and TRACE (EPERM
// when unset), an error for the others.
func action(a specs.LinuxSeccompAction, errnoRet *uint, field string) (libseccomp.ScmpAction, error) {
	act, ok := actions[a]
	if !ok {
		return 0, fmt.Errorf("%s: unknown %q", field, a)
	}
	if act != libseccomp.ActErrno && act != libseccomp.ActTrace {
		if errnoRet != nil {
			return 0, fmt.Errorf("%s: %s takes no errno (errnoRet is for SCMP_ACT_ERRNO and SCMP_ACT_TRACE)", field, a)
		}
		return act, nil
	}
	ret := uint(unix.EPERM)
	if errnoRet != nil {
		ret = *errnoRet
	}
	if ret > 0xffff {
		return 0, fmt.Errorf("%s: errnoRet %d is out of range", field, ret)
	}
	return act.SetReturnCode(int16(ret)), nil
}

// conditions maps a rule's argument comparisons.
func conditions(args []specs.LinuxSeccompArg, field string) ([]libseccomp.ScmpCondition, error) {
	var conds []libseccomp.ScmpCondition
	for j, a := range args {
		op, ok := operators[a.Op]
		if !ok {
			return nil, fmt.Errorf("%s.args[%d].op: unknown %q", field, j, a.Op)
		}
		if a.Index > 5 {
			return nil, fmt.Errorf("%s.args[%d].index: %d is not an argument (0-5)", field, j, a.Index)
		}
		vals := []uint64{a.Value}
		if op == libseccomp.CompareMaskedEqual {
			vals = append(vals, a.ValueTwo)
		}
		c, err := libseccomp.MakeCondition(a.Index, op, vals...)
		if err != nil {
			return nil, fmt.Errorf("%s.args[%d]: %w", field, j, err)
		}
		conds = append(conds, c)
	}
	return conds, nil
}

// addRule adds one rule. As in runc, comparisons of different arguments
// must all hold (one rule), while several comparisons of the same argument
// are alternatives (a rule each): libseccomp cannot AND those.
func addRule(f *libseccomp.ScmpFilter, call libseccomp.ScmpSyscall, act libseccomp.ScmpAction, conds []libseccomp.ScmpCondition) error {
	if len(conds) == 0 {
		return f.AddRule(call, act)
	}
	seen := map[uint]bool{}
	distinct := true
	for _, c := range conds {
		distinct = distinct && !seen[c.Argument]
		seen[c.Argument] = true
	}
	if distinct {
		return f.AddRuleConditional(call, act, conds)
	}
	for _, c := range conds {
		if err := f.AddRuleConditional(call, act, []libseccomp.ScmpCondition{c}); err != nil {
			return err
		}
	}
	return nil
}

// export writes the program through a memfd: libseccomp 2.5 exports only
// to a descriptor.
func export(f *libseccomp.ScmpFilter) ([]byte, error) {
	fd, err := unix.MemfdCreate("seccomp", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, err
	}
	file := os.NewFile(uintptr(fd), "seccomp")
	defer file.Close()
	if err := f.ExportBPF(file); err != nil {
		return nil, err
	}
	if _, err := file.Seek(0, 0); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/self/fd/%d", fd))
	if err != nil {
		return nil, err
	}
	if len(b) == 0 || len(b)%8 != 0 {
		return nil, fmt.Errorf("program of %d bytes", len(b))
	}
	return b, nil
}
