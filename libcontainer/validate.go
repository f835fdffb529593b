package libcontainer

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/runo-runtime/runo/nsenter"
)

// ValidateID checks a container id the way runc does: letters, digits and
// "_+-." only, and not "." or "..", so that it is always one safe path element.
func ValidateID(id string) error {
	if id == "" {
		return errors.New("container id cannot be empty")
	}
	if id == "." || id == ".." {
		return fmt.Errorf("invalid container id %q", id)
	}
	for _, r := range id {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
			r == '_' || r == '+' || r == '-' || r == '.'
		if !ok {
			return fmt.Errorf("invalid container id %q: only letters, digits and _+-. are allowed", id)
		}
	}
	return nil
}

// Validate checks the parts of a spec runo acts on. Each error names the
// JSON path of the offending value.
func Validate(spec *specs.Spec, bundle string) error {
	if spec.Root == nil || spec.Root.Path == "" {
		return errors.New("root.path: must be set")
	}
	rootfs := RootfsPath(spec, bundle)
	if st, err := os.Stat(rootfs); err != nil {
		return fmt.Errorf("root.path: %w", err)
	} else if !st.IsDir() {
		return fmt.Errorf("root.path: %s is not a directory", rootfs)
	}
	if err := validateProcess(spec.Process); err != nil {
		return err
	}
	for i, m := range spec.Mounts {
		if !filepath.IsAbs(m.Destination) {
			return fmt.Errorf("mounts[%d].destination: %q is not an absolute path", i, m.Destination)
		}
		idmap, err := idmapped(i, m)
		if err != nil {
			return err
		}
		if idmap && len(m.UIDMappings) == 0 && (spec.Linux == nil || len(spec.Linux.UIDMappings) == 0) {
			return fmt.Errorf("mounts[%d] (%s): idmap without mappings, in a container without a user namespace", i, m.Destination)
		}
	}
	if err := validateHooks(spec.Hooks); err != nil {
		return err
	}
	if spec.Linux == nil {
		return errors.New("linux: must be set")
	}
	if err := validateLSM(spec.Process, spec.Linux.MountLabel); err != nil {
		return err
	}
	return validateLinux(spec)
}

func validateHooks(h *specs.Hooks) error {
	if h == nil {
		return nil
	}
	for _, k := range []struct {
		kind  string
		hooks []specs.Hook
	}{
		{"prestart", h.Prestart}, {"createRuntime", h.CreateRuntime}, {"createContainer", h.CreateContainer},
		{"startContainer", h.StartContainer}, {"poststart", h.Poststart}, {"poststop", h.Poststop},
	} {
		kind := k.kind
		for i, hook := range k.hooks {
			if !filepath.IsAbs(hook.Path) {
				return fmt.Errorf("hooks.%s[%d].path: %q is not an absolute path", kind, i, hook.Path)
			}
			if hook.Timeout != nil && *hook.Timeout <= 0 {
				return fmt.Errorf("hooks.%s[%d].timeout: %d is not above zero", kind, i, *hook.Timeout)
			}
		}
	}
	return nil
}

func validateProcess(p *specs.Process) error {
	if p == nil {
		return errors.New("process: must be set")
	}
	if len(p.Args) == 0 || p.Args[0] == "" {
		return errors.New("process.args: must not be empty")
	}
	if !filepath.IsAbs(p.Cwd) {
		return fmt.Errorf("process.cwd: %q is not an absolute path", p.Cwd)
	}
	for i, e := range p.Env {
		if !strings.Contains(e, "=") {
			return fmt.Errorf("process.env[%d]: %q is not NAME=VALUE", i, e)
		}
	}
	seen := map[string]bool{}
	for i, r := range p.Rlimits {
		if _, ok := rlimits[r.Type]; !ok {
			return fmt.Errorf("process.rlimits[%d].type: unknown %q", i, r.Type)
		}
		if seen[r.Type] {
			return fmt.Errorf("process.rlimits[%d].type: duplicate %q", i, r.Type)
		}
		seen[r.Type] = true
		if r.Soft > r.Hard {
			return fmt.Errorf("process.rlimits[%d]: soft limit %d is above hard limit %d", i, r.Soft, r.Hard)
		}
	}
	if err := validateCaps(p.Capabilities); err != nil {
		return err
	}
	if err := validateSched(p); err != nil {
		return err
	}
	if err := validateAffinity(p.ExecCPUAffinity); err != nil {
		return err
	}
	return nil
}

// validateIDMappings checks linux.uidMappings and gidMappings, which a new
// user namespace needs and nothing else takes.
func validateIDMappings(l *specs.Linux, newUser bool) error {
	for _, m := range []struct {
		name string
		maps []specs.LinuxIDMapping
	}{{"uidMappings", l.UIDMappings}, {"gidMappings", l.GIDMappings}} {
		name, maps := m.name, m.maps
		if !newUser && len(maps) > 0 {
			return fmt.Errorf("linux.%s: set without a new user namespace", name)
		}
		if newUser && len(maps) == 0 {
			return fmt.Errorf("linux.%s: a new user namespace needs them", name)
		}
		for i, m := range maps {
			if m.Size == 0 {
				return fmt.Errorf("linux.%s[%d].size: must not be 0", name, i)
			}
		}
	}
	return nil
}

func validateLinux(spec *specs.Spec) error {
	l := spec.Linux
	has := map[string]bool{}
	for i, ns := range l.Namespaces {
		t := string(ns.Type)
		if _, ok := nsenter.Flag(t); !ok {
			return fmt.Errorf("linux.namespaces[%d].type: unknown %q", i, t)
		}
		if has[t] {
			return fmt.Errorf("linux.namespaces[%d].type: duplicate %q", i, t)
		}
		if ns.Path != "" && !filepath.IsAbs(ns.Path) {
			return fmt.Errorf("linux.namespaces[%d].path: %q is not an absolute path", i, ns.Path)
		}
		has[t] = ns.Path == ""
		if ns.Path != "" {
			has[t+":joined"] = true
		}
	}
	newNS := func(t string) bool { return has[t] }
	if err := validateIDMappings(l, newNS("user")); err != nil {
		return err
	}
	if !newNS("mount") && !has["mount:joined"] {
		return errors.New("linux.namespaces: a mount namespace is required")
	}
	if spec.Hostname != "" && !newNS("uts") {
		return errors.New("hostname: setting it needs a new uts namespace")
	}
	if spec.Domainname != "" && !newNS("uts") {
		return errors.New("domainname: setting it needs a new uts namespace")
	}
	for name := range l.TimeOffsets {
		if name != "monotonic" && name != "boottime" {
			return fmt.Errorf("linux.timeOffsets: unknown clock %q", name)
		}
		if !newNS("time") {
			return errors.New("linux.timeOffsets: needs a new time namespace")
		}
	}
	if l.RootfsPropagation != "" {
		if _, ok := propagationFlags[l.RootfsPropagation]; !ok {
			return fmt.Errorf("linux.rootfsPropagation: unknown %q", l.RootfsPropagation)
		}
	}
	for i, d := range l.Devices {
		if !filepath.IsAbs(d.Path) {
			return fmt.Errorf("linux.devices[%d].path: %q is not an absolute path", i, d.Path)
		}
		if _, ok := deviceTypes[d.Type]; !ok {
			return fmt.Errorf("linux.devices[%d].type: unknown %q", i, d.Type)
		}
	}
	if len(l.NetDevices) > 0 {
		return errors.New("linux.netDevices: not supported by runo")
	}
	if l.IntelRdt != nil {
		return errors.New("linux.intelRdt: not supported by runo")
	}
	if err := validateResources(l.Resources); err != nil {
		return err
	}
	if err := validateMemoryPolicy(l.MemoryPolicy); err != nil {
		return err
	}
	if err := validatePersonality(l.Personality); err != nil {
		return err
	}
	keys := make([]string, 0, len(l.Sysctl))
	for key := range l.Sysctl {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	for _, key := range keys {
		if strings.Contains(key, "..") || strings.ContainsAny(key, "/ ") {
			return fmt.Errorf("linux.sysctl: invalid key %q", key)
		}
		if err := checkSysctl(key, l.Namespaces); err != nil {
			return fmt.Errorf("linux.sysctl[%q]: %w", key, err)
		}
	}
	return nil
}

var ipcSysctls = map[string]bool{
	"kernel.msgmax": true, "kernel.msgmnb": true, "kernel.msgmni": true, "kernel.sem": true,
	"kernel.shmall": true, "kernel.shmmax": true, "kernel.shmmni": true, "kernel.shm_rmid_forced": true,
}

// checkSysctl allows, as runc does, only sysctls that belong to a namespace
// the container does not share with the host: setting any other would
// change the host.
func checkSysctl(key string, namespaces []specs.LinuxNamespace) error {
	var ns specs.LinuxNamespaceType
	switch {
	case ipcSysctls[key] || strings.HasPrefix(key, "fs.mqueue."):
		ns = specs.IPCNamespace
	case strings.HasPrefix(key, "net."):
		ns = specs.NetworkNamespace
	case key == "kernel.hostname" || key == "kernel.domainname":
		ns = specs.UTSNamespace
	default:
		return errors.New("not in a namespace of the container's own, so it would change the host")
	}
	for _, n := range namespaces {
		if n.Type == ns && (n.Path == "" || !sameFile(n.Path, "/proc/self/ns/"+nsProcName[ns])) {
			return nil
		}
	}
	return fmt.Errorf("needs a %s namespace of the container's own", ns)
}

var nsProcName = map[specs.LinuxNamespaceType]string{
	specs.IPCNamespace: "ipc", specs.NetworkNamespace: "net", specs.UTSNamespace: "uts",
}
