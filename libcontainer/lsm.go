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
