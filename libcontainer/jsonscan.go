package libcontainer

import (
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/runo-runtime/runo/cgroups"
)

// jscan reads config.json and state.json without json's reflection, which
// costs a fresh process ~0.25 ms on its first decode of the spec's types;
// the generated code in spec_json.go walks the spec's types with it. It
// gives up on anything encoding/json might read differently: a name that
// matches a field only when case is ignored, a repeated name, null where
// no pointer, slice or map is, a number that is not an integer of the
// field's size, invalid UTF-8, a lone surrogate, deep nesting (maxDepth).
// Its callers then decode with encoding/json, whose result and errors are
// the reference (TestSpecJSON and the fuzz targets compare the two).
type jscan struct {
	b     []byte
	i     int
	depth int
	fail  bool
}

// maxDepth bounds the nesting of a skipped value, well below json's
// limit of 10000 for the whole document.
const maxDepth = 1000

func (s *jscan) giveUp() {
	s.fail = true
	s.i = len(s.b)
}

// peek returns the next byte past white space, 0 at the end.
func (s *jscan) peek() byte {
	for ; s.i < len(s.b); s.i++ {
		switch c := s.b[s.i]; c {
		case ' ', '\t', '\n', '\r':
		default:
			return c
		}
	}
	return 0
}

func (s *jscan) expect(c byte) {
	if s.peek() != c {
		s.giveUp()
		return
	}
	s.i++
}

// end says the whole input was one value, read without giving up.
func (s *jscan) end() bool {
	s.peek()
	return !s.fail && s.i == len(s.b)
}

// next steps through an object's members or an array's elements, after
// the opening bracket: it reads the comma before all but the first, and
// the closing bracket after the last.
func (s *jscan) next(closing byte, first *bool) bool {
	if s.peek() == closing {
		s.i++
		return false
	}
	if !*first {
		s.expect(',')
	}
	*first = false
	return !s.fail
}

// name reads an object member's name and the colon after it.
func (s *jscan) name() string {
	n := s.str()
	s.expect(':')
	return n
}

// once gives up on a member already seen in the object: encoding/json
// keeps the last or merges the two.
func (s *jscan) once(seen *uint64, bit uint) {
	if *seen&(1<<bit) != 0 {
		s.giveUp()
	}
	*seen |= 1 << bit
}

// other skips the value of a member no field is named for, unless
// encoding/json could match the name to one of names, ignoring case.
func (s *jscan) other(name string, names []string) {
	for i := range len(name) {
		if name[i] >= utf8.RuneSelf {
			s.giveUp()
			return
		}
	}
	for _, n := range names {
		if strings.EqualFold(bareName.Replace(name), bareName.Replace(n)) {
			s.giveUp()
			return
		}
	}
	s.skip()
}

// bareName drops what some json versions ignore when they match names.
var bareName = strings.NewReplacer("_", "", "-", "")

// null reads a null if one comes next.
func (s *jscan) null() bool {
	if s.peek() != 'n' {
		return false
	}
	s.word("null")
	return !s.fail
}

// at says w comes next (without copying the input).
func (s *jscan) at(w string) bool {
	return len(s.b)-s.i >= len(w) && string(s.b[s.i:s.i+len(w)]) == w
}

func (s *jscan) word(w string) {
	if !s.at(w) {
		s.giveUp()
		return
	}
	s.i += len(w)
}

func (s *jscan) boolean() bool {
	switch s.peek() {
	case 't':
		s.word("true")
		return true
	case 'f':
		s.word("false")
		return false
	}
	s.giveUp()
	return false
}

func (s *jscan) str() string {
	if s.peek() != '"' {
		s.giveUp()
		return ""
	}
	s.i++
	start, wide := s.i, false
	for ; s.i < len(s.b); s.i++ {
		switch c := s.b[s.i]; {
		case c == '"':
			v := s.b[start:s.i]
			s.i++
			if wide && !utf8.Valid(v) {
				s.giveUp()
				return ""
			}
			return string(v)
		case c == '\\':
			return s.escaped(start)
		case c < 0x20:
			s.giveUp()
			return ""
		case c >= utf8.RuneSelf:
			wide = true
		}
	}
	s.giveUp()
	return ""
}

// escaped reads the rest of a string that has escapes, from its first.
func (s *jscan) escaped(start int) string {
	buf := append([]byte(nil), s.b[start:s.i]...)
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			if !utf8.Valid(buf) {
				break
			}
			return string(buf)
		case c < 0x20:
		case c != '\\':
			buf = append(buf, c)
			s.i++
			continue
		case s.i+1 < len(s.b):
			e := s.b[s.i+1]
			s.i += 2
			if r := simpleEscape(e); r != 0 {
				buf = append(buf, r)
				continue
			}
			if e != 'u' {
				break
			}
			r := s.hex4()
			if utf16.IsSurrogate(r) {
				// Only a pair makes a character; json replaces a lone one.
				if !s.at(`\u`) {
					break
				}
				s.i += 2
				if r = utf16.DecodeRune(r, s.hex4()); r == utf8.RuneError {
					break
				}
			}
			if r < 0 {
				break
			}
			buf = utf8.AppendRune(buf, r)
			continue
		}
		break
	}
	s.giveUp()
	return ""
}

// simpleEscape is the byte a one-letter escape stands for, 0 for none.
func simpleEscape(e byte) byte {
	switch e {
	case '"', '\\', '/':
		return e
	case 'b':
		return '\b'
	case 'f':
		return '\f'
	case 'n':
		return '\n'
	case 'r':
		return '\r'
	case 't':
		return '\t'
	}
	return 0
}

// hex4 reads the four hex digits of a \u escape; -1 if they are not.
func (s *jscan) hex4() rune {
	if s.i+4 > len(s.b) {
		return -1
	}
	n, err := strconv.ParseUint(string(s.b[s.i:s.i+4]), 16, 16)
	if err != nil {
		return -1
	}
	s.i += 4
	return rune(n)
}

func (s *jscan) digits() int {
	n := 0
	for ; s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9'; s.i++ {
		n++
	}
	return n
}

// num reads a number's text.
func (s *jscan) num() string {
	s.peek()
	start := s.i
	if s.i < len(s.b) && s.b[s.i] == '-' {
		s.i++
	}
	if s.i < len(s.b) && s.b[s.i] == '0' {
		s.i++
	} else if s.digits() == 0 {
		s.giveUp()
		return ""
	}
	if s.i < len(s.b) && s.b[s.i] == '.' {
		s.i++
		if s.digits() == 0 {
			s.giveUp()
			return ""
		}
	}
	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.i++
		if s.i < len(s.b) && (s.b[s.i] == '+' || s.b[s.i] == '-') {
			s.i++
		}
		if s.digits() == 0 {
			s.giveUp()
			return ""
		}
	}
	return string(s.b[start:s.i])
}

func (s *jscan) int(bits int) int64 {
	n, err := strconv.ParseInt(s.num(), 10, bits)
	if err != nil {
		s.giveUp()
	}
	return n
}

func (s *jscan) uint(bits int) uint64 {
	n, err := strconv.ParseUint(s.num(), 10, bits)
	if err != nil {
		s.giveUp()
	}
	return n
}

// skip reads a value no field takes.
func (s *jscan) skip() {
	if s.depth++; s.depth > maxDepth {
		s.giveUp()
	}
	switch s.peek() {
	case '{':
		s.i++
		for first := true; s.next('}', &first); {
			s.name()
			s.skip()
		}
	case '[':
		s.i++
		for first := true; s.next(']', &first); {
			s.skip()
		}
	case '"':
		s.str()
	case 't', 'f':
		s.boolean()
	case 'n':
		s.word("null")
	default:
		s.num()
	}
	s.depth--
}

// readSpec reads a config.json; nil when jscan gave up on it.
func readSpec(data []byte) *specs.Spec {
	s := jscan{b: data}
	var spec specs.Spec
	s.specsSpec(&spec)
	if !s.end() {
		return nil
	}
	return &spec
}

// readProcess reads an exec --process file; nil when jscan gave up on it.
func readProcess(data []byte) *specs.Process {
	s := jscan{b: data}
	var p specs.Process
	s.specsProcess(&p)
	if !s.end() {
		return nil
	}
	return &p
}

// readState reads a state.json; nil when jscan gave up on it.
// TestReadState fails when a field of State is missing here.
func readState(data []byte) *State {
	s := jscan{b: data}
	var st State
	s.expect('{')
	var seen uint64
	for first := true; s.next('}', &first); {
		switch name := s.name(); name {
		case "id":
			s.once(&seen, 0)
			st.ID = s.str()
		case "bundle":
			s.once(&seen, 1)
			st.Bundle = s.str()
		case "rootfs":
			s.once(&seen, 2)
			st.Rootfs = s.str()
		case "created":
			s.once(&seen, 3)
			// As json does: the time's own method reads the JSON string.
			s.peek()
			start := s.i
			s.str()
			if !s.fail && st.Created.UnmarshalJSON(s.b[start:s.i]) != nil {
				s.giveUp()
			}
		case "annotations":
			s.once(&seen, 4)
			st.Annotations = s.stringMap()
		case "pid":
			s.once(&seen, 5)
			st.Pid = int(s.int(strconv.IntSize))
		case "pid_start_time":
			s.once(&seen, 6)
			st.PidStartTime = s.uint(64)
		case "ready":
			s.once(&seen, 7)
			st.Ready = s.boolean()
		case "cgroup_paths":
			s.once(&seen, 8)
			st.CgroupPaths = s.stringMap()
		case "cgroup_dirs":
			s.once(&seen, 9)
			if !s.null() {
				s.expect('[')
				st.CgroupDirs = []string{}
				for first := true; s.next(']', &first); {
					st.CgroupDirs = append(st.CgroupDirs, s.str())
				}
			}
		case "hooks":
			s.once(&seen, 10)
			if !s.null() {
				st.Hooks = new(specs.Hooks)
				s.specsHooks(st.Hooks)
			}
		case "personality":
			s.once(&seen, 11)
			if !s.null() {
				st.Personality = new(specs.LinuxPersonality)
				s.specsLinuxPersonality(st.Personality)
			}
		case "memory_policy":
			s.once(&seen, 12)
			if !s.null() {
				st.MemoryPolicy = new(specs.LinuxMemoryPolicy)
				s.specsLinuxMemoryPolicy(st.MemoryPolicy)
			}
		case "systemd":
			s.once(&seen, 13)
			if !s.null() {
				st.Systemd = new(cgroups.SystemdUnit)
				s.cgroupsSystemdUnit(st.Systemd)
			}
		case "host_pidns":
			s.once(&seen, 14)
			st.HostPidns = s.boolean()
		default:
			s.other(name, stateNames)
		}
	}
	if !s.end() {
		return nil
	}
	return &st
}

var stateNames = []string{"id", "bundle", "rootfs", "created", "annotations", "pid", "pid_start_time", "ready",
	"cgroup_paths", "cgroup_dirs", "hooks", "personality", "memory_policy", "systemd", "host_pidns"}

// stringMap reads a map[string]string, or a null.
func (s *jscan) stringMap() map[string]string {
	if s.null() {
		return nil
	}
	s.expect('{')
	m := map[string]string{}
	for first := true; s.next('}', &first); {
		k := s.name()
		if _, dup := m[k]; dup {
			s.giveUp()
		}
		m[k] = s.str()
	}
	return m
}

// marshalState writes st as json.Marshal does, without its reflection over
// State (~0.1 ms of a fresh process's first call, on create's path). The
// spec's parts, rarely there, still go through json.
func marshalState(st *State) ([]byte, error) {
	b := make([]byte, 0, 1024)
	b = append(b, `{"id":`...)
	b = appendJSONString(b, st.ID)
	b = append(b, `,"bundle":`...)
	b = appendJSONString(b, st.Bundle)
	b = append(b, `,"rootfs":`...)
	b = appendJSONString(b, st.Rootfs)
	created, err := st.Created.MarshalJSON()
	if err != nil {
		return nil, err
	}
	b = append(append(b, `,"created":`...), created...)
	if len(st.Annotations) > 0 {
		b = appendStringMap(append(b, `,"annotations":`...), st.Annotations)
	}
	if st.Pid != 0 {
		b = strconv.AppendInt(append(b, `,"pid":`...), int64(st.Pid), 10)
	}
	if st.PidStartTime != 0 {
		b = strconv.AppendUint(append(b, `,"pid_start_time":`...), st.PidStartTime, 10)
	}
	b = strconv.AppendBool(append(b, `,"ready":`...), st.Ready)
	if len(st.CgroupPaths) > 0 {
		b = appendStringMap(append(b, `,"cgroup_paths":`...), st.CgroupPaths)
	}
	if len(st.CgroupDirs) > 0 {
		b = append(b, `,"cgroup_dirs":[`...)
		for i, d := range st.CgroupDirs {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, d)
		}
		b = append(b, ']')
	}
	for _, part := range []struct {
		name  string
		set   bool
		value any
	}{
		{"hooks", st.Hooks != nil, st.Hooks},
		{"personality", st.Personality != nil, st.Personality},
		{"memory_policy", st.MemoryPolicy != nil, st.MemoryPolicy},
		{"systemd", st.Systemd != nil, st.Systemd},
	} {
		if part.set {
			data, err := json.Marshal(part.value)
			if err != nil {
				return nil, err
			}
			b = append(append(append(b, `,"`...), part.name...), `":`...)
			b = append(b, data...)
		}
	}
	if st.HostPidns {
		b = append(b, `,"host_pidns":true`...)
	}
	return append(b, '}'), nil
}

// appendStringMap writes m with its keys in order, as json does.
func appendStringMap(b []byte, m map[string]string) []byte {
	b = append(b, '{')
	for i, k := range slices.Sorted(maps.Keys(m)) {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(appendJSONString(b, k), ':')
		b = appendJSONString(b, m[k])
	}
	return append(b, '}')
}

// appendJSONString writes s as a JSON string; as json does, invalid UTF-8
// becomes U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = utf8.AppendRune(b, utf8.RuneError)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
