// Command genspecwire writes libcontainer/spec_wire.go: the encoder and
// decoder of specs.Spec for the sync socket (bootstrap.go), field by field,
// so that `runo init` reads the spec without json's reflection over its
// types (~0.25 ms of each start). `go generate ./libcontainer` runs it;
// TestSpecWireGenerated fails when the file is not what it writes.
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
)

// skipped are the parts of the spec for other platforms: runo never
// sends them (ParseSpec's callers refuse none of them, init reads none).
var skipped = map[string]bool{"Windows": true, "Solaris": true, "VM": true, "ZOS": true, "FreeBSD": true}

type gen struct {
	out   bytes.Buffer
	done  map[reflect.Type]bool
	queue []reflect.Type
	// imports are the packages of named types beyond the spec's (io/fs).
	imports map[string]bool
}

func (g *gen) p(format string, args ...any) { fmt.Fprintf(&g.out, format+"\n", args...) }

// fn names the pair of methods of a struct type.
func fn(t reflect.Type) string { return "spec" + t.Name() }

func (g *gen) need(t reflect.Type) {
	if !g.done[t] {
		g.done[t] = true
		g.queue = append(g.queue, t)
	}
}

// enc writes the statements that encode x, of type t; depth keeps the
// names of nested loops apart.
func (g *gen) enc(t reflect.Type, x string, depth int) {
	switch t.Kind() {
	case reflect.Bool:
		g.p("e.bool(bool(%s))", x)
	case reflect.String:
		g.p("e.string(string(%s))", x)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		g.p("e.int(int64(%s))", x)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		g.p("e.uint(uint64(%s))", x)
	case reflect.Struct:
		g.need(t)
		g.p("e.%s(&%s)", fn(t), x)
	case reflect.Pointer:
		g.p("e.bool(%s != nil)", x)
		g.p("if %s != nil {", x)
		if t.Elem().Kind() == reflect.Struct {
			g.need(t.Elem())
			g.p("e.%s(%s)", fn(t.Elem()), x)
		} else {
			g.enc(t.Elem(), "*"+x, depth)
		}
		g.p("}")
	case reflect.Slice, reflect.Map:
		// 0 is nil; otherwise the length plus one.
		g.p("if %s == nil { e.uint(0) } else {", x)
		g.p("e.uint(uint64(len(%s)) + 1)", x)
		k, v := fmt.Sprintf("k%d", depth), fmt.Sprintf("v%d", depth)
		if t.Kind() == reflect.Slice {
			g.p("for _, %s := range %s {", v, x)
		} else {
			g.p("for %s, %s := range %s {", k, v, x)
			g.enc(t.Key(), k, depth+1)
		}
		g.enc(t.Elem(), v, depth+1)
		g.p("}")
		g.p("}")
	default:
		panic(fmt.Sprintf("genspecwire: no encoding for %s", t))
	}
}

// dec writes the statements that decode into x, of type t.
func (g *gen) dec(t reflect.Type, x string, depth int) {
	if path := t.PkgPath(); path != "" && path != reflect.TypeOf(specs.Spec{}).PkgPath() {
		g.imports[path] = true
	}
	switch t.Kind() {
	case reflect.Bool:
		g.p("%s = %s(d.bool())", x, t)
	case reflect.String:
		g.p("%s = %s(d.string())", x, t)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		g.p("%s = %s(d.int())", x, t)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		g.p("%s = %s(d.uint())", x, t)
	case reflect.Struct:
		g.need(t)
		g.p("d.%s(&%s)", fn(t), x)
	case reflect.Pointer:
		p := fmt.Sprintf("p%d", depth)
		g.p("if d.bool() {")
		g.p("%s := new(%s)", p, t.Elem())
		if t.Elem().Kind() == reflect.Struct {
			g.need(t.Elem())
			g.p("d.%s(%s)", fn(t.Elem()), p)
		} else {
			g.dec(t.Elem(), "*"+p, depth+1)
		}
		g.p("%s = %s", x, p)
		g.p("}")
	case reflect.Slice:
		n, s, i := fmt.Sprintf("n%d", depth), fmt.Sprintf("s%d", depth), fmt.Sprintf("i%d", depth)
		g.p("if %s := d.count(); %s > 0 {", n, n)
		g.p("%s := make(%s, %s-1)", s, t, n)
		g.p("for %s := range %s {", i, s)
		g.dec(t.Elem(), fmt.Sprintf("%s[%s]", s, i), depth+1)
		g.p("}")
		g.p("%s = %s", x, s)
		g.p("}")
	case reflect.Map:
		n, m, k, v := fmt.Sprintf("n%d", depth), fmt.Sprintf("m%d", depth), fmt.Sprintf("k%d", depth), fmt.Sprintf("v%d", depth)
		g.p("if %s := d.count(); %s > 0 {", n, n)
		g.p("%s := make(%s, %s-1)", m, t, n)
		g.p("for range %s-1 {", n)
		g.p("var %s %s", k, t.Key())
		g.dec(t.Key(), k, depth+1)
		g.p("var %s %s", v, t.Elem())
		g.dec(t.Elem(), v, depth+1)
		g.p("%s[%s] = %s", m, k, v)
		g.p("}")
		g.p("%s = %s", x, m)
		g.p("}")
	default:
		panic(fmt.Sprintf("genspecwire: no decoding for %s", t))
	}
}

func (g *gen) structs() {
	for len(g.queue) > 0 {
		t := g.queue[0]
		g.queue = g.queue[1:]
		g.p("")
		g.p("func (e *encoder) %s(v *%s) {", fn(t), t)
		for i := range t.NumField() {
			if f := t.Field(i); !(t.Name() == "Spec" && skipped[f.Name]) {
				g.enc(f.Type, "v."+f.Name, 0)
			}
		}
		g.p("}")
		g.p("")
		g.p("func (d *decoder) %s(v *%s) {", fn(t), t)
		for i := range t.NumField() {
			if f := t.Field(i); !(t.Name() == "Spec" && skipped[f.Name]) {
				g.dec(f.Type, "v."+f.Name, 0)
			}
		}
		g.p("}")
	}
}

func main() {
	g := &gen{done: map[reflect.Type]bool{}, imports: map[string]bool{}}
	g.need(reflect.TypeOf(specs.Spec{}))
	g.structs()
	var head bytes.Buffer
	fmt.Fprintln(&head, "// Code generated by internal/genspecwire; DO NOT EDIT.\n\npackage libcontainer\n\nimport (")
	for _, path := range slices.Sorted(maps.Keys(g.imports)) {
		fmt.Fprintf(&head, "\t%q\n", path)
	}
	fmt.Fprintln(&head, "\n\tspecs \"github.com/opencontainers/runtime-spec/specs-go\"\n)")
	src, err := format.Source(append(head.Bytes(), g.out.Bytes()...))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	out := "spec_wire.go"
	if len(os.Args) > 1 {
		out = os.Args[1]
	}
	if err := os.WriteFile(out, src, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, strings.TrimSpace(err.Error()))
		os.Exit(1)
	}
}
