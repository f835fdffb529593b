package libcontainer

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParseSpec feeds config.json parsing and validation arbitrary bytes:
// they must answer with a spec or an error, never panic, and every error
// must say where (a JSON path, a position or a field).
func FuzzParseSpec(f *testing.F) {
	def, err := json.Marshal(DefaultSpec())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(def)
	f.Add([]byte(`{"ociVersion": "1.3.0", "root": {"path": "rootfs"}, "process": {"args": ["sh"], "cwd": "/"}, "linux": {}}`))
	f.Add([]byte(`{"process": {"args": [], "cwd": "rel"}}`))
	f.Add([]byte(`{"linux": {"namespaces": [{"type": "pid"}, {"type": "pid"}], "sysctl": {"kernel.panic": "1"}}}`))
	f.Add([]byte(`{"mounts": [{"destination": "proc", "type": "proc"}], "hooks": {"poststop": [{"path": "x", "timeout": 0}]}}`))
	f.Add([]byte(`{"process": {"capabilities": {"bounding": ["CAP_NO_SUCH"]}, "rlimits": [{"type": "RLIMIT_X"}]}}`))
	f.Add([]byte(`{"root": 5`))
	bundle := f.TempDir()
	if err := os.Mkdir(filepath.Join(bundle, "rootfs"), 0o755); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		spec, err := ParseSpec(data)
		if err != nil {
			if !strings.Contains(err.Error(), "JSON") && !strings.Contains(err.Error(), "line") {
				t.Errorf("parse error %q says nothing of where", err)
			}
			return
		}
		if err := Validate(spec, bundle); err != nil && !strings.Contains(err.Error(), ":") {
			t.Errorf("validation error %q names no field", err)
		}
	})
}

// FuzzParseMountOptions: any option list parses, and the data keeps only
// what is neither a flag nor a propagation type, and no empty option.
func FuzzParseMountOptions(f *testing.F) {
	f.Add("nosuid,noexec,nodev,ro")
	f.Add("rbind,rprivate,mode=755")
	f.Add("size=65536k,,defaults,strictatime,atime")
	f.Fuzz(func(t *testing.T, opts string) {
		p := parseMountOptions(strings.Split(opts, ","))
		if p.data == "" {
			return
		}
		for _, d := range strings.Split(p.data, ",") {
			_, isFlag := mountOpts[d]
			_, isProp := propagationFlags[d]
			if isFlag || isProp || d == "" {
				t.Errorf("option %q ended up in the data %q", d, p.data)
			}
		}
	})
}
