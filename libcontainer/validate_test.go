package libcontainer

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestValidateID(t *testing.T) {
	for _, id := range []string{"a", "abc-DEF_1.2+3", "x..y"} {
		if err := ValidateID(id); err != nil {
			t.Errorf("ValidateID(%q) = %v, want nil", id, err)
		}
	}
	for _, id := range []string{"", ".", "..", "a/b", "../x", "a b", "a\x00", "é"} {
		if err := ValidateID(id); err == nil {
			t.Errorf("ValidateID(%q) = nil, want an error", id)
		}
	}
}

// bundle makes a bundle directory with a rootfs and returns it.
func bundle(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "rootfs"), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestValidate(t *testing.T) {
	dir := bundle(t)
	cases := []struct {
		name   string
		change func(s *specs.Spec)
		want   string
	}{
		{"default spec", func(s *specs.Spec) {}, ""},
		{"no root", func(s *specs.Spec) { s.Root = nil }, "root.path: must be set"},
		{"missing rootfs", func(s *specs.Spec) { s.Root.Path = "nope" }, "root.path: stat " + dir + "/nope: no such file or directory"},
		{"rootfs is a file", func(s *specs.Spec) { s.Root.Path = "config" }, "is not a directory"},
		{"no process", func(s *specs.Spec) { s.Process = nil }, "process: must be set"},
		{"empty args", func(s *specs.Spec) { s.Process.Args = nil }, "process.args: must not be empty"},
		{"relative cwd", func(s *specs.Spec) { s.Process.Cwd = "x" }, `process.cwd: "x" is not an absolute path`},
		{"bad env", func(s *specs.Spec) { s.Process.Env = []string{"A=1", "B"} }, `process.env[1]: "B" is not NAME=VALUE`},
		{"env without a name", func(s *specs.Spec) { s.Process.Env = []string{"A=1", "=x"} }, `process.env[1]: "=x" has an empty name`},
		{"unknown rlimit", func(s *specs.Spec) { s.Process.Rlimits[0].Type = "RLIMIT_X" }, `process.rlimits[0].type: unknown "RLIMIT_X"`},
		{"soft above hard", func(s *specs.Spec) { s.Process.Rlimits[0].Soft = 2000 }, "soft limit 2000 is above hard limit 1024"},
		{"mount without destination", func(s *specs.Spec) { s.Mounts[1].Destination = "" }, `mounts[1].destination: must be set`},
		{"bind mount with data", func(s *specs.Spec) {
			s.Mounts = append(s.Mounts, specs.Mount{Destination: "/mnt", Source: "/tmp", Options: []string{"rbind", "ro", "size=1m", "mode=755"}})
		}, `.options: "size=1m,mode=755": a bind mount takes no filesystem options`},
		{"relative mount into /proc", func(s *specs.Spec) { s.Mounts[1].Destination = "proc/sys" }, `mounts[1].destination: "/proc/sys" cannot be mounted because it is inside /proc`},
		{"no linux", func(s *specs.Spec) { s.Linux = nil }, "linux: must be set"},
		{"unknown namespace", func(s *specs.Spec) { s.Linux.Namespaces[2].Type = "foo" }, `linux.namespaces[2].type: unknown "foo"`},
		{"duplicate namespace", func(s *specs.Spec) {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: "ipc"})
		}, `linux.namespaces[5].type: duplicate "ipc"`},
		{"user namespace without maps", func(s *specs.Spec) {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: "user"})
		}, "linux.uidMappings: a new user namespace needs them"},
		{"relative namespace path", func(s *specs.Spec) { s.Linux.Namespaces[1].Path = "ns/net" }, `linux.namespaces[1].path: "ns/net" is not an absolute path`},
		{"masking without a mount namespace", func(s *specs.Spec) {
			s.Linux.Namespaces = s.Linux.Namespaces[:4]
			s.Linux.MaskedPaths = []string{"/proc/kcore"}
		}, "unable to restrict sys entries without a private MNT namespace"},
		{"hostname without uts", func(s *specs.Spec) {
			s.Linux.Namespaces = slices.DeleteFunc(s.Linux.Namespaces, func(n specs.LinuxNamespace) bool { return n.Type == "uts" })
		}, "hostname: setting it needs a uts namespace of the container's"},
		{"time offsets without time namespace", func(s *specs.Spec) {
			s.Linux.TimeOffsets = map[string]specs.LinuxTimeOffset{"boottime": {Secs: 1}}
		}, "linux.timeOffsets: needs a new time namespace"},
		{"unknown clock", func(s *specs.Spec) {
			s.Linux.TimeOffsets = map[string]specs.LinuxTimeOffset{"realtime": {Secs: 1}}
		}, `linux.timeOffsets: unknown clock "realtime"`},
		{"unknown propagation", func(s *specs.Spec) { s.Linux.RootfsPropagation = "sideways" }, `linux.rootfsPropagation: unknown "sideways"`},
		{"bad device type", func(s *specs.Spec) {
			s.Linux.Devices = []specs.LinuxDevice{{Path: "/dev/x", Type: "q"}}
		}, `linux.devices[0].type: unknown "q"`},
		{"relative device path", func(s *specs.Spec) {
			s.Linux.Devices = []specs.LinuxDevice{{Path: "dev/x", Type: "c"}}
		}, `linux.devices[0].path: "dev/x" is not an absolute path`},
		{"sysctl key escaping /proc/sys", func(s *specs.Spec) { s.Linux.Sysctl = map[string]string{"../../x": "1"} }, `linux.sysctl: invalid key "../../x"`},
	}
	os.WriteFile(filepath.Join(dir, "config"), nil, 0o644)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := defaultSpec()
			tc.change(s)
			err := Validate(s, dir)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestParseSpecErrors(t *testing.T) {
	cases := []struct{ json, want string }{
		{"{\n  \"process\": {,\n}", "invalid JSON at line 2, column 15"},
		{`{"process": {"args": 5}}`, "process.args: cannot use a JSON number as []string (line 1, column "},
		{`{"linux": {"namespaces": [{"type": 1}]}}`, "type: cannot use a JSON number as specs.LinuxNamespaceType"},
		{`{"ociVersion": "1.3.0"`, "invalid JSON"},
	}
	for _, tc := range cases {
		_, err := ParseSpec([]byte(tc.json))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseSpec(%q) = %v, want an error containing %q", tc.json, err, tc.want)
		}
	}
}

func TestLoadSpecNamesTheFile(t *testing.T) {
	dir := bundle(t)
	_, _, err := LoadSpec(dir)
	if err == nil || !strings.Contains(err.Error(), "config.json") {
		t.Fatalf("missing config: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"root": {"path": "rootfs"}}`), 0o644)
	_, _, err = LoadSpec(dir)
	if err == nil || err.Error() != filepath.Join(dir, "config.json")+": process: must be set" {
		t.Fatalf("invalid config: %v", err)
	}
}

func TestJSONPath(t *testing.T) {
	for in, want := range map[string]string{
		"linux.namespaces.0.type": "linux.namespaces[0].type", "process.args": "process.args", "mounts.12": "mounts[12]",
	} {
		if got := jsonPath(in); got != want {
			t.Errorf("jsonPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMountDestination(t *testing.T) {
	for _, tc := range []struct{ dest, want string }{
		{"/mnt", "/mnt"},
		{"mnt/x", "/mnt/x"},
		{"/b/rootfs/mnt/x", "/mnt/x"},
		{"/b/rootfs", "/b/rootfs"},
		{"/b/rootfs2/x", "/b/rootfs2/x"},
		{"/b/rootfs/../x", "/b/x"},
		{"../../etc", "/etc"},
	} {
		if got := MountDestination("/b/rootfs", tc.dest); got != tc.want {
			t.Errorf("MountDestination(%q) = %q, want %q", tc.dest, got, tc.want)
		}
	}
}

func TestSysctlName(t *testing.T) {
	for key, want := range map[string][2]string{
		"net.ipv4.ip_forward":                {"net.ipv4.ip_forward", "net/ipv4/ip_forward"},
		"net/ipv4/ip_forward":                {"net.ipv4.ip_forward", "net/ipv4/ip_forward"},
		"kernel/msgmax":                      {"kernel.msgmax", "kernel/msgmax"},
		"net.ipv4.conf.eth0/100.rp_filter":   {"net.ipv4.conf.eth0/100.rp_filter", "net/ipv4/conf/eth0.100/rp_filter"},
		"net/ipv4/conf/eth0.100/rp_filter":   {"net.ipv4.conf.eth0/100.rp_filter", "net/ipv4/conf/eth0.100/rp_filter"},
		"fs.mqueue.msg_max":                  {"fs.mqueue.msg_max", "fs/mqueue/msg_max"},
		"kernel.shm_rmid_forced":             {"kernel.shm_rmid_forced", "kernel/shm_rmid_forced"},
		"net.ipv4.conf.all.accept_redirects": {"net.ipv4.conf.all.accept_redirects", "net/ipv4/conf/all/accept_redirects"},
	} {
		name, path, ok := sysctlName(key)
		if !ok || name != want[0] || path != want[1] {
			t.Errorf("sysctlName(%q) = %q, %q, %v; want %q, %q", key, name, path, ok, want[0], want[1])
		}
	}
	for _, key := range []string{"", ".", "..", "net..ipv4", "net/../kernel/x", "/net/ipv4", "net.ipv4.", "net/ipv4/./x", "net.ipv4 .x", "../../x", "net/ipv4/..", "a\x00b"} {
		if name, path, ok := sysctlName(key); ok {
			t.Errorf("sysctlName(%q) = %q, %q: want refused", key, name, path)
		}
	}
}
