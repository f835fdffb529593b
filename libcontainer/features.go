package libcontainer

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/moby/sys/capability"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/opencontainers/runtime-spec/specs-go/features"
	libseccomp "github.com/seccomp/libseccomp-golang"

	"github.com/runo-runtime/runo/cgroups"
	"github.com/runo-runtime/runo/seccomp"
)

// Features is what `runo features` prints: the runtime-spec features
// document of what runo supports on this host, and nothing it does not.
func Features(version, commit string) *features.Features {
	yes, no := true, false
	mountOptions := slices.Sorted(maps.Keys(mountOpts))
	mountOptions = append(mountOptions, slices.Collect(maps.Keys(propagationFlags))...)
	mountOptions = append(mountOptions, slices.Collect(maps.Keys(recursiveOpts))...)
	mountOptions = append(mountOptions, "idmap", "ridmap", "tmpcopyup")
	slices.Sort(mountOptions)
	var caps []string
	for _, c := range capability.ListKnown() {
		caps = append(caps, "CAP_"+strings.ToUpper(c.String()))
	}
	var modes, mpFlags []string
	for _, m := range slices.Sorted(maps.Keys(mempolicyModes)) {
		modes = append(modes, string(m))
	}
	for _, f := range slices.Sorted(maps.Keys(mempolicyFlags)) {
		mpFlags = append(mpFlags, string(f))
	}
	apparmor, selinux := apparmorEnabled(), selinuxEnabled()
	major, minor, micro := libseccomp.GetLibraryVersion()
	return &features.Features{
		OCIVersionMin: "1.0.0",
		OCIVersionMax: specs.Version,
		Hooks:         []string{"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"},
		MountOptions:  mountOptions,
		Linux: &features.Linux{
			Namespaces:   []string{"cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts"},
			Capabilities: caps,
			Cgroup:       &features.Cgroup{V1: &yes, V2: &yes, Systemd: &yes, SystemdUser: &yes, Rdma: &yes},
			Seccomp: &features.Seccomp{
				Enabled: &yes, Actions: seccomp.Actions(), Operators: seccomp.Operators(), Archs: seccomp.Archs(),
				KnownFlags: seccomp.KnownFlags(), SupportedFlags: seccomp.SupportedFlags(),
			},
			Apparmor:        &features.Apparmor{Enabled: &apparmor},
			Selinux:         &features.Selinux{Enabled: &selinux},
			IntelRdt:        &features.IntelRdt{Enabled: &no},
			MemoryPolicy:    &features.MemoryPolicy{Modes: modes, Flags: mpFlags},
			MountExtensions: &features.MountExtensions{IDMap: &features.IDMap{Enabled: &yes}},
			NetDevices:      &features.NetDevices{Enabled: &yes},
		},
		Annotations: map[string]string{
			"io.github.seccomp.libseccomp.version": fmt.Sprintf("%d.%d.%d", major, minor, micro),
			"dev.runo.version":                     version,
			"dev.runo.commit":                      commit,
			// checkpoint and restore are built in (they need CRIU at run
			// time); runc's key too, which engines read.
			"dev.runo.checkpoint.enabled":                "true",
			"org.opencontainers.runc.checkpoint.enabled": "true",
		},
		// The config annotations runo acts on (a trailing "." is a
		// prefix): engines pass these only from trusted callers.
		PotentiallyUnsafeConfigAnnotations: []string{cgroups.PropertyAnnotationPrefix, criuConfigAnnotation},
	}
}
