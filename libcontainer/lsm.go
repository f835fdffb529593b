package libcontainer

import (
	"fmt"
	"os"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Linux security modules. A profile or label asked for on a host whose
// kernel does not run that module is an error, not silently dropped: the
// process would run less confined than its config says.

func apparmorEnabled() bool {
	b, err := os.ReadFile("/sys/module/apparmor/parameters/enabled")
	return err == nil && strings.HasPrefix(string(b), "Y")
}

func selinuxEnabled() bool {
	_, err := os.Stat("/sys/fs/selinux/enforce")
	return err == nil
}

// validateLSM checks that the modules the config names are there.
func validateLSM(p *specs.Process, mountLabel string) error {
	if p.ApparmorProfile != "" && !apparmorEnabled() {
		return fmt.Errorf("process.apparmorProfile %q: AppArmor is not enabled on this host", p.ApparmorProfile)
	}
	if p.SelinuxLabel != "" && !selinuxEnabled() {
		return fmt.Errorf("process.selinuxLabel %q: SELinux is not enabled on this host", p.SelinuxLabel)
	}
	if mountLabel != "" {
		if !selinuxEnabled() {
			return fmt.Errorf("linux.mountLabel %q: SELinux is not enabled on this host", mountLabel)
		}
		return fmt.Errorf("linux.mountLabel %q: not supported by runo yet", mountLabel)
	}
	return nil
}

// setLSM makes the kernel apply the process's profile and label at its
// exec. They are attributes of the executing thread, init's main one.
func setLSM(p *specs.Process) error {
	if p.ApparmorProfile != "" {
		file := "self/attr/apparmor/exec"
		if _, err := os.Stat("/proc/thread-self/attr/apparmor"); err != nil {
			file = "self/attr/exec"
		}
		if err := writeProc(file, "exec "+p.ApparmorProfile); err != nil {
			return fmt.Errorf("process.apparmorProfile %q: %w", p.ApparmorProfile, err)
		}
	}
	if p.SelinuxLabel != "" {
		if err := writeProc("self/attr/exec", p.SelinuxLabel); err != nil {
			return fmt.Errorf("process.selinuxLabel %q: %w", p.SelinuxLabel, err)
		}
	}
	return nil
}
