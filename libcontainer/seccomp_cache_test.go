package libcontainer

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/runo-runtime/runo/seccomp"
)

var denyMkdir = &specs.LinuxSeccomp{
	DefaultAction: specs.ActAllow,
	Syscalls:      []specs.LinuxSyscall{{Names: []string{"mkdir"}, Action: specs.ActErrno}},
}

// cacheStore is a store whose cache is a fresh directory of the test's.
func cacheStore(t *testing.T) (*Store, string) {
	if os.Geteuid() != 0 {
		t.Skip("the seccomp cache is root's")
	}
	var debug []string
	s := &Store{CacheDir: filepath.Join(t.TempDir(), "cache")}
	s.Debug = func(msg string) { debug = append(debug, msg) }
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(strings.Join(debug, "\n"))
		}
	})
	return s, s.CacheDir
}

func entries(t *testing.T, dir string) []string {
	t.Helper()
	list, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range list {
		names = append(names, e.Name())
	}
	return names
}

func TestSeccompCacheKeepsAProgramForTheSameProfile(t *testing.T) {
	s, dir := cacheStore(t)
	p1, err := s.compileSeccomp(denyMkdir)
	if err != nil {
		t.Fatal(err)
	}
	names := entries(t, filepath.Join(dir, "seccomp"))
	if len(names) != 1 || !isCacheKey(names[0]) {
		t.Fatalf("cache holds %v, want one key", names)
	}
	p2, err := s.compileSeccomp(denyMkdir)
	if err != nil || string(p2.BPF) != string(p1.BPF) {
		t.Fatalf("second compile: %v, same program %v", err, string(p2.BPF) == string(p1.BPF))
	}
}

func TestSeccompCacheReplacesABadEntry(t *testing.T) {
	s, dir := cacheStore(t)
	want, err := s.compileSeccomp(denyMkdir)
	if err != nil {
		t.Fatal(err)
	}
	key := entries(t, filepath.Join(dir, "seccomp"))[0]
	path := filepath.Join(dir, "seccomp", key)
	empty := `{"key":"` + key + `","program":{"bpf":""}}`
	for _, bad := range []string{`{}`, "garbage", empty, `{"key":"x","program":` + mustJSON(t, want) + `}`} {
		if err := os.WriteFile(path, []byte(bad), 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := s.compileSeccomp(denyMkdir)
		if err != nil || string(got.BPF) != string(want.BPF) {
			t.Fatalf("entry %.40q: %v", bad, err)
		}
		if data, _ := os.ReadFile(path); string(data) == bad {
			t.Errorf("entry %.40q was not replaced", bad)
		}
	}
}

func mustJSON(t *testing.T, p *seccomp.Program) string {
	data, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestSeccompCacheRefusesWhatOthersCanWrite(t *testing.T) {
	for name, setup := range map[string]func(t *testing.T, dir string){
		"a group-writable cache": func(t *testing.T, dir string) {
			os.Mkdir(dir, 0o700)
			os.Chmod(dir, 0o770)
		},
		"a cache of another user": func(t *testing.T, dir string) {
			os.Mkdir(dir, 0o700)
			os.Chown(dir, 1000, 1000)
		},
		"a symlink to the cache": func(t *testing.T, dir string) {
			real := dir + ".real"
			os.Mkdir(real, 0o700)
			os.Symlink(real, dir)
		},
		"a seccomp directory that is a symlink": func(t *testing.T, dir string) {
			os.MkdirAll(dir+".victim", 0o700)
			os.WriteFile(filepath.Join(dir+".victim", "precious"), nil, 0o600)
			os.Mkdir(dir, 0o700)
			os.Symlink(dir+".victim", filepath.Join(dir, "seccomp"))
		},
		"an entry that is a symlink": func(t *testing.T, dir string) {
			os.MkdirAll(filepath.Join(dir, "seccomp"), 0o700)
			key, _ := seccompKey(denyMkdir)
			os.WriteFile(dir+".planted", []byte("{}"), 0o600)
			os.Symlink(dir+".planted", filepath.Join(dir, "seccomp", key))
		},
	} {
		t.Run(name, func(t *testing.T) {
			s, dir := cacheStore(t)
			setup(t, dir)
			before := snapshot(t, filepath.Dir(dir))
			p, err := s.compileSeccomp(denyMkdir)
			if err != nil || len(p.BPF) == 0 {
				t.Fatalf("compile: %v", err)
			}
			if _, err := s.openSeccompCache(); err == nil && name != "an entry that is a symlink" {
				t.Fatal("the cache was opened")
			}
			if name == "an entry that is a symlink" {
				// The symlink is replaced by a file of runo's; its target stays.
				key, _ := seccompKey(denyMkdir)
				st, err := os.Lstat(filepath.Join(dir, "seccomp", key))
				if err != nil || !st.Mode().IsRegular() {
					t.Fatalf("entry: %v %v", st, err)
				}
				if data, _ := os.ReadFile(dir + ".planted"); string(data) != "{}" {
					t.Fatal("the planted target was written")
				}
				return
			}
			if after := snapshot(t, filepath.Dir(dir)); after != before {
				t.Fatalf("the cache's directories changed:\n%s\n->\n%s", before, after)
			}
		})
	}
}

// snapshot lists the names under dir, as a string to compare.
func snapshot(t *testing.T, dir string) string {
	var names []string
	filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err == nil {
			names = append(names, path)
		}
		return nil
	})
	return strings.Join(names, "\n")
}

func TestSeccompCacheEvictsOnlyKeys(t *testing.T) {
	s, dir := cacheStore(t)
	c, err := s.openSeccompCache()
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	key := func(i int) string { return strings.Repeat("0", 63) + string(rune('a'+i)) }
	for i := range 5 {
		p := filepath.Join(dir, "seccomp", key(i))
		if err := os.WriteFile(p, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		mod := time.Unix(int64(1000+i), 0)
		os.Chtimes(p, mod, mod)
	}
	os.WriteFile(filepath.Join(dir, "seccomp", "not-a-key"), nil, 0o600)
	c.evict(3)
	got := strings.Join(entries(t, filepath.Join(dir, "seccomp")), ",")
	if want := strings.Join([]string{key(2), key(3), key(4), "not-a-key"}, ","); got != want {
		t.Fatalf("left %v, want the three newest keys and the other name", got)
	}
}
