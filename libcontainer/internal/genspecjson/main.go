// Command genspecjson writes libcontainer/spec_json.go: the reading of
// config.json (specs.Spec) and of state.json's parts (cgroups.SystemdUnit)
// through jscan, field by field, so that no process pays for json's
// reflection over the spec's types (~0.25 ms before its first decode).
// `go generate ./libcontainer` runs it; TestSpecJSONGenerated fails when
// the file is not what it writes.
package main

import (
	"bytes"
	"fmt"
	"go/format"
	"maps"
	"os"
	"reflect"
	"slices"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/runo-runtime/runo/cgroups"
)

// absent are the parts of the spec for other platforms: the reader gives
// up when one is there, and encoding/json reads the config.
var absent = map[string]bool{"Windows": true, "Solaris": true, "VM": true, "ZOS": true, "FreeBSD": true}

type gen struct {
	out     bytes.Buffer
	done    map[reflect.Type]bool
	queue   []reflect.Type
	imports map[string]bool
}

func (g *gen) p(format string, args ...any) { fmt.Fprintf(&g.out, format+"\n", args...) }

// fn names the method that reads a struct type.
func fn(t reflect.Type) string {
	pkg := t.String()[:strings.IndexByte(t.String(), '.')]
	return pkg + t.Name()
}

func (g *gen) need(t reflect.Type) {
	if !g.done[t] {
		g.done[t] = true
		g.queue = append(g.queue, t)
	}
}

// value writes the statements that read into x, of type t; depth keeps
// the names of nested loops apart.
func (g *gen) value(t reflect.Type, x string, depth int) {
	if path := t.PkgPath(); path != "" {
		g.imports[path] = true
	}
	// as converts what a jscan method returns, of type base, to t.
	as := func(base, call string) string {
		if t.String() == base {
			return call
		}
		return t.String() + "(" + call + ")"
	}
	switch t.Kind() {
	case reflect.Bool:
		g.p("%s = %s", x, as("bool", "s.boolean()"))
	case reflect.String:
		g.p("%s = %s", x, as("string", "s.str()"))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		g.p("%s = %s", x, as("int64", fmt.Sprintf("s.int(%d)", t.Bits())))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		g.p("%s = %s", x, as("uint64", fmt.Sprintf("s.uint(%d)", t.Bits())))
	case reflect.Struct:
		g.need(t)
		g.p("s.%s(&%s)", fn(t), x)
	case reflect.Pointer:
		p := fmt.Sprintf("p%d", depth)
		g.p("if !s.null() {")
		g.p("%s := new(%s)", p, t.Elem())
		if t.Elem().Kind() == reflect.Struct {
			g.need(t.Elem())
			g.p("s.%s(%s)", fn(t.Elem()), p)
		} else {
			g.value(t.Elem(), "*"+p, depth+1)
		}
		g.p("%s = %s", x, p)
		g.p("}")
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			panic("genspecjson: json reads []byte as base64; no case for it")
		}
		l, e := fmt.Sprintf("l%d", depth), fmt.Sprintf("e%d", depth)
		// [] is an empty slice, not nil, as json makes it.
		g.p("if !s.null() {")
		g.p("s.expect('[')")
		g.p("%s := %s{}", l, t)
		g.p("for first := true; s.next(']', &first); {")
		g.p("var %s %s", e, t.Elem())
		g.value(t.Elem(), e, depth+1)
		g.p("%s = append(%s, %s)", l, l, e)
		g.p("}")
		g.p("%s = %s", x, l)
		g.p("}")
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			panic("genspecjson: no case for map keys of " + t.Key().String())
		}
		m, k, e := fmt.Sprintf("m%d", depth), fmt.Sprintf("k%d", depth), fmt.Sprintf("e%d", depth)
		g.p("if !s.null() {")
		g.p("s.expect('{')")
		g.p("%s := %s{}", m, t)
		g.p("for first := true; s.next('}', &first); {")
		g.p("%s := %s(s.name())", k, t.Key())
		g.p("if _, dup := %s[%s]; dup { s.giveUp() }", m, k)
		g.p("var %s %s", e, t.Elem())
		g.value(t.Elem(), e, depth+1)
		g.p("%s[%s] = %s", m, k, e)
		g.p("}")
		g.p("%s = %s", x, m)
		g.p("}")
	default:
		panic(fmt.Sprintf("genspecjson: no case for %s", t))
	}
}

// jsonName is the member name encoding/json gives a field, "" for none.
func jsonName(f reflect.StructField) string {
	tag := f.Tag.Get("json")
	if tag == "-" || !f.IsExported() {
		return ""
	}
	name, opts, _ := strings.Cut(tag, ",")
	if slices.Contains(strings.Split(opts, ","), "string") {
		panic("genspecjson: no case for field " + f.Name)
	}
	if name == "" {
		name = f.Name
	}
	return name
}

// member is a field json reads, with the path to it from the struct.
type member struct {
	name, path string
	f          reflect.StructField
}

// members lists t's fields by their JSON names; an embedded struct's
// fields are members of t, as json reads them.
func members(t reflect.Type, prefix string) []member {
	var ms []member
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous && f.Tag.Get("json") == "" {
			if f.Type.Kind() != reflect.Struct {
				panic("genspecjson: no case for embedded " + f.Type.String())
			}
			ms = append(ms, members(f.Type, prefix+f.Name+".")...)
			continue
		}
		if name := jsonName(f); name != "" {
			ms = append(ms, member{name, prefix + f.Name, f})
		}
	}
	return ms
}

func (g *gen) structs() {
	for len(g.queue) > 0 {
		t := g.queue[0]
		g.queue = g.queue[1:]
		var names []string
		g.imports[t.PkgPath()] = true
		g.p("")
		g.p("func (s *jscan) %s(v *%s) {", fn(t), t)
		g.p("s.expect('{')")
		g.p("var seen uint64")
		g.p("for first := true; s.next('}', &first); {")
		g.p("switch name := s.name(); name {")
		for _, m := range members(t, "v.") {
			f, name := m.f, m.name
			if slices.Contains(names, name) || len(names) == 64 {
				panic("genspecjson: no case for " + t.String())
			}
			g.p("case %q:", name)
			if t == reflect.TypeOf(specs.Spec{}) && absent[f.Name] {
				g.p("s.giveUp()")
			} else {
				g.p("s.once(&seen, %d)", len(names))
				g.value(f.Type, m.path, 0)
			}
			names = append(names, name)
		}
		g.p("default:")
		g.p("s.other(name, names%s)", strings.ToUpper(fn(t)[:1])+fn(t)[1:])
		g.p("}")
		g.p("}")
		g.p("}")
		g.p("")
		quoted := make([]string, len(names))
		for i, n := range names {
			quoted[i] = fmt.Sprintf("%q", n)
		}
		g.p("var names%s = []string{%s}", strings.ToUpper(fn(t)[:1])+fn(t)[1:], strings.Join(quoted, ", "))
	}
}

func main() {
	g := &gen{done: map[reflect.Type]bool{}, imports: map[string]bool{}}
	g.need(reflect.TypeOf(specs.Spec{}))
	g.need(reflect.TypeOf(cgroups.SystemdUnit{}))
	g.structs()
	var head bytes.Buffer
	fmt.Fprintln(&head, "// Code generated by internal/genspecjson; DO NOT EDIT.\n\npackage libcontainer\n\nimport (")
	// The standard library's packages first, as goimports groups them.
	paths := slices.Sorted(maps.Keys(g.imports))
	std := func(p string) bool { return !strings.Contains(strings.Split(p, "/")[0], ".") }
	for _, path := range paths {
		if std(path) {
			fmt.Fprintf(&head, "\t%q\n", path)
		}
	}
	fmt.Fprintln(&head)
	for _, path := range paths {
		switch {
		case std(path):
		case path == reflect.TypeOf(specs.Spec{}).PkgPath():
			fmt.Fprintf(&head, "\tspecs %q\n", path)
		default:
			fmt.Fprintf(&head, "\t%q\n", path)
		}
	}
	fmt.Fprintln(&head, ")")
	src, err := format.Source(append(head.Bytes(), g.out.Bytes()...))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	out := "spec_json.go"
	if len(os.Args) > 1 {
		out = os.Args[1]
	}
	if err := os.WriteFile(out, src, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, strings.TrimSpace(err.Error()))
		os.Exit(1)
	}
}
