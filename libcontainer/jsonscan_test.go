package libcontainer

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// readsAsJSON checks a jscan reading against encoding/json's: where reader
// reads data, json reads the same without error.
func readsAsJSON[T any](t *testing.T, data []byte, reader func([]byte) *T) (read bool) {
	t.Helper()
	fast := reader(data)
	if fast == nil {
		return false
	}
	var slow T
	if err := json.Unmarshal(data, &slow); err != nil {
		t.Fatalf("jscan read %q, which json refuses: %v", data, err)
	}
	if !reflect.DeepEqual(*fast, slow) {
		t.Fatalf("jscan and json read %q differently:\n%#v\n%#v", data, *fast, slow)
	}
	return true
}

func sameAsJSON(t *testing.T, data []byte) bool {
	t.Helper()
	return readsAsJSON(t, data, readSpec)
}

func sameProcessAsJSON(t *testing.T, data []byte) bool {
	t.Helper()
	return readsAsJSON(t, data, readProcess)
}

// fullState is a State with every field set but Damaged, which is never
// saved.
func fullState() State {
	var full State
	n := 0
	v := reflect.ValueOf(&full).Elem()
	for i := range v.NumField() {
		switch v.Type().Field(i).Name {
		case "Created", "Damaged":
		default:
			fill(v.Field(i), &n)
		}
	}
	full.Created = time.Date(2026, 11, 27, 3, 4, 5, 6, time.UTC)
	return full
}

func TestSpecJSON(t *testing.T) {
	var full specs.Spec
	n := 0
	fill(reflect.ValueOf(&full).Elem(), &n)
	full.Windows, full.Solaris, full.VM, full.ZOS, full.FreeBSD = nil, nil, nil, nil, nil
	data, err := json.Marshal(&full)
	if err != nil {
		t.Fatal(err)
	}
	// Every field, so one the reader forgets fails here.
	if !sameAsJSON(t, data) {
		t.Fatal("jscan gave up on a config with every field set")
	}
	if got := readSpec(data); !reflect.DeepEqual(*got, full) {
		t.Fatalf("jscan's reading differs from the config written:\n%#v\n%#v", *got, full)
	}
	proc, err := json.Marshal(full.Process)
	if err != nil {
		t.Fatal(err)
	}
	if !sameProcessAsJSON(t, proc) || !reflect.DeepEqual(*readProcess(proc), *full.Process) {
		t.Fatal("jscan did not read a process with every field set as written")
	}
	if sameProcessAsJSON(t, []byte(`{"args": ["sh"], "Cwd": "/"}`)) {
		t.Error("jscan read a process whose name matches only without case")
	}
	def, err := json.MarshalIndent(DefaultSpec(), "", "\t")
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range []string{
		string(def),
		`{}`,
		" \t\r\n{ \"ociVersion\" : \"1.0.2\" } \n",
		`{"process": {"args": ["sh", "-c", "echo \"a\\b\" \u00e9\ud83d\ude00 \/ \b\f\n\r\t"], "env": []}, "unknown": [1, -2.5e+3, true, null, {"x": [{}]}]}`,
		`{"annotations": {}, "mounts": null, "linux": {"resources": {"memory": {"limit": -1, "swap": 9223372036854775807}}}}`,
		`{"linux": {"resources": {"blockIO": {"weightDevice": [{"major": 8, "minor": 0, "weight": 10}]}}}}`,
		`{"process": {"user": {"uid": 4294967295, "gid": 0}, "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 18446744073709551615, "soft": 1}]}}`,
		`{"hostname": "h\u0000é"}`,
		`{"process": {"args": ["日本"]}, "linux": {"devices": [{"path": "/dev/x", "type": "c", "major": 1, "minor": 3, "fileMode": 438}]}}`,
	} {
		if !sameAsJSON(t, []byte(in)) {
			t.Errorf("jscan gave up on %q", in)
		}
	}
	// What json might read differently, or refuses: jscan leaves it to json.
	for _, in := range []string{
		``, `null`, `[]`, `{`, `{}{}`, `{} x`, "\xef\xbb\xbf{}",
		`{"Process": {}}`, `{"process": {"ARGS": []}}`, `{"oci_version": "1"}`, `{"ociversion": "1"}`,
		`{"hoſtname": "x"}`, `{"ociVersion": "1", "ociVersion": "2"}`,
		`{"annotations": {"a": "1", "a": "2"}}`, `{"annotations": {"a": null}}`,
		`{"hostname": null}`, `{"process": {"terminal": null}}`, `{"process": {"args": [null]}}`,
		`{"process": {"user": {"uid": -1}}}`, `{"process": {"user": {"uid": 4294967296}}}`,
		`{"process": {"user": {"uid": 1.0}}}`, `{"process": {"user": {"uid": 1e2}}}`, `{"process": {"user": {"uid": "1"}}}`,
		`{"hostname": "\ud800"}`, `{"hostname": "\udc00\ud800"}`, "{\"hostname\": \"\xff\"}", "{\"hostname\": \"a\tb\"}",
		`{"hostname": "\x"}`, `{"hostname": "\u12"}`, `{"a": 01}`, `{"a": -}`, `{"a": 1.}`, `{"a": 1e}`, `{"a": tru}`,
		`{"a": [1,]}`, `{"a": {"b": 1,}}`, `{,}`, `{"a" 1}`, `{"a": 1 "b": 2}`,
		`{"windows": {}}`, `{"vm": null}`,
		`{"x": ` + strings.Repeat("[", 2000) + strings.Repeat("]", 2000) + `}`,
	} {
		if sameAsJSON(t, []byte(in)) {
			t.Errorf("jscan read %q, which it should leave to json", in)
		}
	}
}

// FuzzSpecJSON: whatever jscan reads, json reads the same.
func FuzzSpecJSON(f *testing.F) {
	def, err := json.Marshal(DefaultSpec())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(def)
	f.Add([]byte(`{"process": {"args": ["a\"\u00e9"], "user": {"uid": 1}}, "annotations": {"k": "v"}, "x": [1.5, null]}`))
	f.Add([]byte(`{"linux": {"resources": {"blockIO": {"weightDevice": [{"major": 8, "weight": 10}]}}}}`))
	f.Add([]byte(`{"args": ["sh"], "cwd": "/", "env": ["A=1"], "user": {"uid": 0, "gid": 0}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		sameAsJSON(t, data)
		sameProcessAsJSON(t, data)
	})
}

func TestReadState(t *testing.T) {
	full := fullState()
	data, err := json.Marshal(&full)
	if err != nil {
		t.Fatal(err)
	}
	got := readState(data)
	if got == nil {
		t.Fatalf("readState gave up on %s", data)
	}
	var slow State
	if err := json.Unmarshal(data, &slow); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(*got, slow) || !reflect.DeepEqual(*got, full) {
		t.Fatalf("readState's reading differs:\n%#v\n%#v", *got, full)
	}
	for _, in := range []string{`{"created": "yesterday"}`, `{"pid": 1, "pid": 2}`, `{"ID": "x"}`, `{"ready": null}`} {
		if readState([]byte(in)) != nil {
			t.Errorf("readState read %q, which it should leave to json", in)
		}
	}
}

func TestSpecJSONGenerated(t *testing.T) { checkGenerated(t, "genspecjson", "spec_json.go") }

// TestMarshalState: what marshalState writes, json reads as it reads
// json.Marshal's, and so does readState.
func TestMarshalState(t *testing.T) {
	full := fullState()
	full.Created = full.Created.In(time.FixedZone("x", 3600))
	odd := State{
		ID: "a\"b\\c\x01\x1f\n\t<>&\u2028é日本\xff\xfe", Bundle: "/b\x00", Annotations: map[string]string{"z": "1", "a\xff": "\"", "": ""},
		CgroupPaths: map[string]string{"k": ""}, CgroupDirs: []string{"", "x"}, Ready: true,
	}
	for _, st := range []State{full, odd, {}} {
		mine, err := marshalState(&st)
		if err != nil {
			t.Fatal(err)
		}
		theirs, err := json.Marshal(&st)
		if err != nil {
			t.Fatal(err)
		}
		var a, b State
		if err := json.Unmarshal(mine, &a); err != nil {
			t.Fatalf("json cannot read %s: %v", mine, err)
		}
		if err := json.Unmarshal(theirs, &b); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("marshalState wrote %s, json.Marshal %s", mine, theirs)
		}
		if got := readState(mine); got == nil || !reflect.DeepEqual(*got, b) {
			t.Fatalf("readState did not read %s as json does", mine)
		}
	}
}

// FuzzReadState: whatever readState reads, json reads the same.
func FuzzReadState(f *testing.F) {
	f.Add([]byte(`{"id":"a","bundle":"/b","rootfs":"/b/r","created":"2026-11-27T02:32:22.747498754Z","pid":5,` +
		`"pid_start_time":6,"ready":true,"cgroup_paths":{"pids":"/sys/fs/cgroup/pids/a"},"cgroup_dirs":["/x"],` +
		`"hooks":{"poststop":[{"path":"/bin/true"}]},"systemd":{"Unit":"u","Slice":"s","Dir":"d","Owner":0}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		readsAsJSON(t, data, readState)
	})
}
