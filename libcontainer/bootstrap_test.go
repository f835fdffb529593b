package libcontainer

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// fill sets every field reachable from v to a value that is not its zero,
// distinct per field: a field the codec forgets comes back different.
func fill(v reflect.Value, n *int) {
	*n++
	switch v.Kind() {
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(-int64(*n))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(*n))
	case reflect.String:
		v.SetString(fmt.Sprintf("s%d", *n))
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem(), n)
	case reflect.Struct:
		for i := range v.NumField() {
			fill(v.Field(i), n)
		}
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		fill(v.Index(0), n)
		fill(v.Index(1), n)
	case reflect.Interface:
		// Only the spec's Windows part has one; runo does not send it.
	case reflect.Map:
		v.Set(reflect.MakeMap(v.Type()))
		for range 2 {
			k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
			fill(k, n)
			fill(e, n)
			v.SetMapIndex(k, e)
		}
	default:
		panic("fill: no case for " + v.Type().String())
	}
}

func TestWireBootstrap(t *testing.T) {
	var full bootstrap
	n := 0
	fill(reflect.ValueOf(&full).Elem(), &n)
	// The parts for other platforms do not travel.
	full.Spec.Windows, full.Spec.Solaris, full.Spec.VM, full.Spec.ZOS, full.Spec.FreeBSD = nil, nil, nil, nil, nil
	// Empty and nil stay apart, as json told them apart.
	empty := &bootstrap{ID: "c", Spec: &specs.Spec{Mounts: []specs.Mount{}, Annotations: map[string]string{}}, FifoFd: 5}
	for _, b := range []*bootstrap{&full, {}, empty} {
		var buf bytes.Buffer
		if err := sendBootstrap(&buf, b); err != nil {
			t.Fatal(err)
		}
		got, err := recvBootstrap(&buf)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, b) {
			t.Errorf("bootstrap changed on the way:\nsent %+v\ngot  %+v", b, got)
		}
	}
}

func TestWireMessages(t *testing.T) {
	var buf bytes.Buffer
	sent := []initMsg{{Type: msgMountSource, Mount: 3}, {Type: msgError, Error: "no such file"}, {Type: msgReady}}
	for _, m := range sent {
		if err := sendMsg(&buf, m); err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range sent {
		got, err := recvMsg(&buf)
		if err != nil || got != m {
			t.Errorf("got %+v, %v; want %+v", got, err, m)
		}
	}
	if _, err := recvMsg(&buf); !errors.Is(err, io.EOF) {
		t.Errorf("after the last message: %v, want EOF", err)
	}
}

// A damaged or cut frame is an error, never a half-read bootstrap.
func TestWireDamaged(t *testing.T) {
	var full bootstrap
	n := 0
	fill(reflect.ValueOf(&full).Elem(), &n)
	full.Spec = &specs.Spec{Version: "1.3.0", Hostname: "h"}
	var buf bytes.Buffer
	if err := sendBootstrap(&buf, &full); err != nil {
		t.Fatal(err)
	}
	frame := buf.Bytes()
	for cut := 1; cut < len(frame); cut++ {
		if _, err := recvBootstrap(bytes.NewReader(frame[:cut])); err == nil {
			t.Fatalf("a frame cut at %d of %d bytes was read", cut, len(frame))
		}
	}
	// The payload ends early, inside its own length.
	short := append([]byte{}, frame...)
	short[0] -= 10
	if _, err := recvBootstrap(bytes.NewReader(short[:len(short)-10])); err == nil {
		t.Error("a payload shorter than its fields was read")
	}
	huge := []byte{0xff, 0xff, 0xff, 0x7f}
	if _, err := recvBootstrap(bytes.NewReader(huge)); err == nil {
		t.Error("a frame of 2 GiB was accepted")
	}
}

// spec_wire.go is what internal/genspecwire writes for the spec as vendored
// now: after an update of runtime-spec, `go generate ./libcontainer`.
func TestSpecWireGenerated(t *testing.T) { checkGenerated(t, "genspecwire", "spec_wire.go") }

// checkGenerated fails when file is not what internal/gen writes.
func checkGenerated(t *testing.T, gen, file string) {
	out := filepath.Join(t.TempDir(), file)
	cmd := exec.Command("go", "run", "./internal/"+gen, out)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", gen, err, msg)
	}
	want, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is not what internal/%s writes: run go generate ./libcontainer", file, gen)
	}
}
