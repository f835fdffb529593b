package libcontainer

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/checkpoint-restore/go-criu/v7/rpc"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

func deref(v reflect.Value) (reflect.Value, bool) {
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return v, false
		}
		v = v.Elem()
	}
	return v, true
}

// sameFields checks each field of mine against go-criu's field of the
// same name in theirs.
func sameFields(t *testing.T, path string, mine, theirs reflect.Value) {
	t.Helper()
	m, mset := deref(mine)
	th, tset := deref(theirs)
	if mset != tset {
		t.Errorf("%s: set %v here, %v in go-criu's", path, mset, tset)
		return
	}
	if !mset {
		return
	}
	switch m.Kind() {
	case reflect.Struct:
		for i := range m.NumField() {
			name := m.Type().Field(i).Name
			f := th.FieldByName(name)
			if !f.IsValid() {
				t.Errorf("%s.%s: go-criu's message has no such field", path, name)
				continue
			}
			sameFields(t, path+"."+name, m.Field(i), f)
		}
	case reflect.Slice:
		if m.Len() != th.Len() {
			t.Errorf("%s: %d elements here, %d in go-criu's", path, m.Len(), th.Len())
			return
		}
		for i := range m.Len() {
			sameFields(t, fmt.Sprintf("%s[%d]", path, i), m.Index(i), th.Index(i))
		}
	case reflect.Int32:
		if m.Int() != th.Int() {
			t.Errorf("%s: %d here, %d in go-criu's", path, m.Int(), th.Int())
		}
	default:
		if !reflect.DeepEqual(m.Interface(), th.Interface()) {
			t.Errorf("%s: %v here, %v in go-criu's", path, m, th)
		}
	}
}

// TestCriuRequest: go-criu reads every field runo sends as runo set it.
func TestCriuRequest(t *testing.T) {
	var req criuReq
	n := 0
	fill(reflect.ValueOf(&req).Elem(), &n)
	// Enums are closed in proto2: a value rpc.proto lacks is not read.
	req.Type = criuReqRestore
	req.Opts.ManageCgroupsMode = new(criuCgStrict)
	req.Opts.External = append(req.Opts.External, "")
	var theirs rpc.CriuReq
	if err := proto.Unmarshal(req.marshal(), &theirs); err != nil {
		t.Fatal(err)
	}
	sameFields(t, "req", reflect.ValueOf(&req), reflect.ValueOf(&theirs))
	// Fields sent false are there, as CRIU tells them from absent ones.
	off := criuReq{Type: criuReqDump, Opts: &criuOpts{ImagesDirFd: new(int32(3)), ShellJob: new(false)}}
	theirs.Reset()
	if err := proto.Unmarshal(off.marshal(), &theirs); err != nil {
		t.Fatal(err)
	}
	if theirs.Opts.ShellJob == nil || *theirs.Opts.ShellJob || theirs.Opts.LeaveRunning != nil {
		t.Errorf("shell_job false, leave_running unset arrived as %v and %v", theirs.Opts.ShellJob, theirs.Opts.LeaveRunning)
	}
	if s := off.Opts.String(); s != "ImagesDirFd:3 ShellJob:false" {
		t.Errorf("the options for --debug read %q", s)
	}
}

// TestCriuResponse: runo reads what it needs of CRIU's answers, and skips
// the rest.
func TestCriuResponse(t *testing.T) {
	theirs := &rpc.CriuResp{
		Type:     rpc.CriuReqType_NOTIFY.Enum(),
		Success:  proto.Bool(true),
		Dump:     &rpc.CriuDumpResp{Restored: proto.Bool(true)},
		Restore:  &rpc.CriuRestoreResp{Pid: proto.Int32(7)},
		Notify:   &rpc.CriuNotify{Script: proto.String("post-restore"), Pid: proto.Int32(-42)},
		Ps:       &rpc.CriuPageServerInfo{Address: proto.String("a"), Port: proto.Int32(1)},
		CrErrno:  proto.Int32(13),
		Features: &rpc.CriuFeatures{MemTrack: proto.Bool(true), LazyPages: proto.Bool(false), PidfdStore: proto.Bool(true)},
		CrErrmsg: proto.String("no"),
		Version: &rpc.CriuVersion{MajorNumber: proto.Int32(3), MinorNumber: proto.Int32(17), Gitid: proto.String("g"),
			Sublevel: proto.Int32(1), Extra: proto.Int32(2), Name: proto.String("n")},
		Status: proto.Int32(9),
	}
	data, err := proto.Marshal(theirs)
	if err != nil {
		t.Fatal(err)
	}
	var mine criuResp
	if err := mine.unmarshal(data); err != nil {
		t.Fatal(err)
	}
	sameFields(t, "resp", reflect.ValueOf(&mine), reflect.ValueOf(theirs))
	// A message cut between fields reads as a shorter one; cut anywhere
	// else, it is an error.
	boundary := map[int]bool{}
	for off := 0; off < len(data); {
		_, _, l := protowire.ConsumeField(data[off:])
		if l < 0 {
			t.Fatal("protowire cannot read go-criu's message")
		}
		off += l
		boundary[off] = true
	}
	for cut := 1; cut < len(data); cut++ {
		var r criuResp
		if err := r.unmarshal(data[:cut]); (err == nil) != boundary[cut] {
			t.Errorf("a message cut at byte %d of %d: %v", cut, len(data), err)
		}
	}
	for i := range int32(15) {
		if got, want := criuReqType(i).String(), rpc.CriuReqType(i).String(); got != want {
			t.Errorf("request type %d is %s here, %s in go-criu", i, got, want)
		}
	}
	for mine, theirs := range map[int32]rpc.CriuCgMode{criuCgIgnore: rpc.CriuCgMode_IGNORE, criuCgSoft: rpc.CriuCgMode_SOFT,
		criuCgFull: rpc.CriuCgMode_FULL, criuCgStrict: rpc.CriuCgMode_STRICT, criuCgDefault: rpc.CriuCgMode_DEFAULT} {
		if mine != int32(theirs) {
			t.Errorf("cgroup mode %s is %d here", theirs, mine)
		}
	}
}
