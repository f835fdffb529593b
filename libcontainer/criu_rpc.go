package libcontainer

import (
	"encoding/binary"
	"errors"
	"fmt"
	"reflect"
	"strings"
)

// The messages of CRIU's RPC (images/rpc.proto in CRIU) that runo sends
// and reads, in protobuf's wire format. go-criu's generated package holds
// the same messages, and criu_rpc_test.go checks these against it; linking
// it into runo cost every runo process, checkpoint or not, ~0.14 ms at
// start: protobuf registers its types in package init and reads samples
// of the whole binary (so does its protowire package, through its errors).
// The wire format is varints (encoding/binary's) and length-prefixed
// bytes, each after a tag: the field's number and the value's type. Fields
// keep go-criu's names, and the pointers say what is sent: CRIU lets a
// field sent false override its config file.

type criuReqType int32

const (
	criuReqDump         criuReqType = 1
	criuReqRestore      criuReqType = 2
	criuReqPreDump      criuReqType = 4
	criuReqNotify       criuReqType = 6
	criuReqFeatureCheck criuReqType = 9
	criuReqVersion      criuReqType = 10
)

var criuReqNames = []string{"EMPTY", "DUMP", "RESTORE", "CHECK", "PRE_DUMP", "PAGE_SERVER", "NOTIFY", "CPUINFO_DUMP",
	"CPUINFO_CHECK", "FEATURE_CHECK", "VERSION", "WAIT_PID", "PAGE_SERVER_CHLD", "SINGLE_PRE_DUMP"}

func (t criuReqType) String() string {
	if t >= 0 && int(t) < len(criuReqNames) {
		return criuReqNames[t]
	}
	return fmt.Sprint(int32(t))
}

// CRIU's cgroup modes (--manage-cgroups-mode).
const (
	criuCgIgnore  int32 = 0
	criuCgSoft    int32 = 3
	criuCgFull    int32 = 4
	criuCgStrict  int32 = 5
	criuCgDefault int32 = 6
)

type criuReq struct {
	Type          criuReqType
	Opts          *criuOpts
	NotifySuccess *bool
	Features      *criuFeatures
}

type criuOpts struct {
	ImagesDirFd       *int32
	Pid               *int32
	LeaveRunning      *bool
	ExtUnixSk         *bool
	TcpEstablished    *bool
	EvasiveDevices    *bool
	ShellJob          *bool
	FileLocks         *bool
	LogLevel          *int32
	LogFile           *string
	Ps                *criuPageServerInfo
	NotifyScripts     *bool
	Root              *string
	ParentImg         *string
	TrackMem          *bool
	AutoDedup         *bool
	WorkDirFd         *int32
	LinkRemap         *bool
	ExtMnt            []criuExtMountMap
	ManageCgroups     *bool
	CgRoot            []criuCgroupRoot
	RstSibling        *bool
	InheritFd         []criuInheritFd
	ManageCgroupsMode *int32
	External          []string
	EmptyNs           *uint32
	JoinNs            []criuJoinNamespace
	FreezeCgroup      *string
	TcpSkipInFlight   *bool
	LazyPages         *bool
	OrphanPtsMaster   *bool
	ConfigFile        *string
	LsmProfile        *string
	LsmMountContext   *string
}

type criuPageServerInfo struct {
	Address *string
	Port    *int32
}

// The keys and values of these are required fields in rpc.proto.
type criuExtMountMap struct{ Key, Val string }
type criuCgroupRoot struct{ Ctrl, Path string }
type criuJoinNamespace struct{ Ns, NsFile string }
type criuInheritFd struct {
	Key string
	Fd  int32
}

type criuFeatures struct {
	MemTrack  *bool
	LazyPages *bool
}

// has says a feature is asked for, or there.
func has(feature *bool) bool { return feature != nil && *feature }

type criuResp struct {
	Type     criuReqType
	Success  bool
	Notify   criuNotify
	CrErrno  int32
	CrErrmsg string
	Features *criuFeatures
	Version  *criuVersionInfo
}

type criuNotify struct {
	Script string
	Pid    int32
}

type criuVersionInfo struct {
	MajorNumber, MinorNumber, Sublevel int32
	Gitid                              string
}

// The wire types runo writes and reads; the fixed-size ones are skipped.
const (
	wireVarint  = 0
	wireFixed64 = 1
	wireBytes   = 2
	wireFixed32 = 5
)

// pb appends fields in protobuf's wire format.
type pb []byte

func (b *pb) tag(n, wire uint64) { *b = binary.AppendUvarint(*b, n<<3|wire) }

func (b *pb) varint(n, v uint64) {
	b.tag(n, wireVarint)
	*b = binary.AppendUvarint(*b, v)
}

func (b *pb) bytes(n uint64, v []byte) {
	b.tag(n, wireBytes)
	*b = append(binary.AppendUvarint(*b, uint64(len(v))), v...)
}

// int32 is sign-extended, as protobuf writes an int32.
func (b *pb) int32(n uint64, v *int32) {
	if v != nil {
		b.varint(n, uint64(int64(*v)))
	}
}

func (b *pb) uint32(n uint64, v *uint32) {
	if v != nil {
		b.varint(n, uint64(*v))
	}
}

func (b *pb) bool(n uint64, v *bool) {
	if v != nil {
		var x uint64
		if *v {
			x = 1
		}
		b.varint(n, x)
	}
}

func (b *pb) string(n uint64, v *string) {
	if v != nil {
		b.bytes(n, []byte(*v))
	}
}

func (r *criuReq) marshal() []byte {
	var b pb
	b.varint(1, uint64(r.Type))
	if o := r.Opts; o != nil {
		b.bytes(2, o.marshal())
	}
	b.bool(3, r.NotifySuccess)
	if f := r.Features; f != nil {
		var m pb
		m.bool(1, f.MemTrack)
		m.bool(2, f.LazyPages)
		b.bytes(5, m)
	}
	return b
}

func (o *criuOpts) marshal() []byte {
	var b pb
	b.int32(1, o.ImagesDirFd)
	b.int32(2, o.Pid)
	b.bool(3, o.LeaveRunning)
	b.bool(4, o.ExtUnixSk)
	b.bool(5, o.TcpEstablished)
	b.bool(6, o.EvasiveDevices)
	b.bool(7, o.ShellJob)
	b.bool(8, o.FileLocks)
	b.int32(9, o.LogLevel)
	b.string(10, o.LogFile)
	if ps := o.Ps; ps != nil {
		var m pb
		m.string(1, ps.Address)
		m.int32(2, ps.Port)
		b.bytes(11, m)
	}
	b.bool(12, o.NotifyScripts)
	b.string(13, o.Root)
	b.string(14, o.ParentImg)
	b.bool(15, o.TrackMem)
	b.bool(16, o.AutoDedup)
	b.int32(17, o.WorkDirFd)
	b.bool(18, o.LinkRemap)
	for _, e := range o.ExtMnt {
		b.bytes(23, pair(e.Key, e.Val))
	}
	b.bool(24, o.ManageCgroups)
	for _, e := range o.CgRoot {
		b.bytes(25, pair(e.Ctrl, e.Path))
	}
	b.bool(26, o.RstSibling)
	for _, e := range o.InheritFd {
		var m pb
		m.string(1, &e.Key)
		m.int32(2, &e.Fd)
		b.bytes(27, m)
	}
	b.int32(34, o.ManageCgroupsMode)
	for _, e := range o.External {
		b.string(37, &e)
	}
	b.uint32(38, o.EmptyNs)
	for _, e := range o.JoinNs {
		b.bytes(39, pair(e.Ns, e.NsFile))
	}
	b.string(44, o.FreezeCgroup)
	b.bool(46, o.TcpSkipInFlight)
	b.bool(48, o.LazyPages)
	b.bool(50, o.OrphanPtsMaster)
	b.string(51, o.ConfigFile)
	b.string(53, o.LsmProfile)
	b.string(63, o.LsmMountContext)
	return b
}

// pair is a message of two strings, fields 1 and 2.
func pair(one, two string) []byte {
	var m pb
	m.string(1, &one)
	m.string(2, &two)
	return m
}

// String lists the options sent, for --debug.
func (o *criuOpts) String() string {
	var parts []string
	v := reflect.ValueOf(o).Elem()
	for i := range v.NumField() {
		f := v.Field(i)
		if f.IsZero() {
			continue
		}
		if f.Kind() == reflect.Pointer {
			f = f.Elem()
		}
		parts = append(parts, fmt.Sprintf("%s:%v", v.Type().Field(i).Name, f.Interface()))
	}
	return strings.Join(parts, " ")
}

var errCriuWire = errors.New("malformed message")

// fields calls field for each field of a message; its value is the varint,
// or the bytes of a length-delimited field. Fixed-size fields are skipped.
func fields(b []byte, field func(n, v uint64, data []byte) error) error {
	for len(b) > 0 {
		tag, l := binary.Uvarint(b)
		if l <= 0 || tag>>3 == 0 {
			return errCriuWire
		}
		b = b[l:]
		var v uint64
		var data []byte
		switch tag & 7 {
		case wireVarint:
			v, l = binary.Uvarint(b)
		case wireBytes:
			v, l = binary.Uvarint(b)
			if l > 0 && v <= uint64(len(b)-l) {
				data = b[l : l+int(v)]
				l += int(v)
			} else {
				l = -1
			}
		case wireFixed64:
			l = 8
		case wireFixed32:
			l = 4
		default:
			l = -1
		}
		if l <= 0 || l > len(b) {
			return errCriuWire
		}
		b = b[l:]
		if err := field(tag>>3, v, data); err != nil {
			return err
		}
	}
	return nil
}

func (r *criuResp) unmarshal(b []byte) error {
	return fields(b, func(n, v uint64, data []byte) error {
		switch n {
		case 1:
			r.Type = criuReqType(v)
		case 2:
			r.Success = v != 0
		case 5:
			return fields(data, func(n, v uint64, data []byte) error {
				switch n {
				case 1:
					r.Notify.Script = string(data)
				case 2:
					r.Notify.Pid = int32(v)
				}
				return nil
			})
		case 7:
			r.CrErrno = int32(v)
		case 8:
			f := new(criuFeatures)
			r.Features = f
			return fields(data, func(n, v uint64, data []byte) error {
				switch b := v != 0; n {
				case 1:
					f.MemTrack = &b
				case 2:
					f.LazyPages = &b
				}
				return nil
			})
		case 9:
			r.CrErrmsg = string(data)
		case 10:
			ver := new(criuVersionInfo)
			r.Version = ver
			return fields(data, func(n, v uint64, data []byte) error {
				switch n {
				case 1:
					ver.MajorNumber = int32(v)
				case 2:
					ver.MinorNumber = int32(v)
				case 3:
					ver.Gitid = string(data)
				case 4:
					ver.Sublevel = int32(v)
				}
				return nil
			})
		}
		return nil
	})
}
