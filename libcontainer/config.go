package libcontainer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// LoadSpec reads and validates bundle/config.json, and returns it both
// decoded and as read. Errors name the file and, where there is one, the
// JSON path or the line and column.
func LoadSpec(bundle string) (*specs.Spec, []byte, error) {
	path := filepath.Join(bundle, "config.json")
	data, err := readRegular(path)
	if err != nil {
		return nil, nil, fmt.Errorf("reading bundle config: %w", err)
	}
	spec, err := ParseSpec(data)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := Validate(spec, bundle); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return spec, data, nil
}

// LoadProcess reads a runtime-spec process JSON file (exec --process).
// Errors name the file and, where there is one, the line and column.
func LoadProcess(path string) (*specs.Process, error) {
	// A pipe (--process /dev/stdin, <(...)) is fine; an endless one is not.
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading process file: %w", err)
	}
	defer f.Close()
	data, err := ReadInput(f, path)
	if err != nil {
		return nil, fmt.Errorf("reading process file: %w", err)
	}
	if p := readProcess(data); p != nil {
		return p, nil
	}
	var p specs.Process
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, fmt.Errorf("%s: %w", path, jsonError(data, err))
	}
	return &p, nil
}

// ParseSpec decodes a config.json: with jscan, or, when it gives up, with
// encoding/json, whose errors name what is wrong.
//
//go:generate go run ./internal/genspecjson
func ParseSpec(data []byte) (*specs.Spec, error) {
	if spec := readSpec(data); spec != nil {
		return spec, nil
	}
	var spec specs.Spec
	if err := json.Unmarshal(data, &spec); err != nil {
		return nil, jsonError(data, err)
	}
	return &spec, nil
}

// jsonError adds the position of a syntax error, or the field of a type
// error, to a decoding error.
func jsonError(data []byte, err error) error {
	// Built on json/v2 (GOEXPERIMENT=jsonv2, see Makefile), the offsets are
	// those of the offending byte and of the value's start.
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		line, col := position(data, max(syn.Offset-syntaxOffset, 0))
		return fmt.Errorf("invalid JSON at line %d, column %d: %w", line, col, err)
	}
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) && typ.Field != "" {
		line, col := position(data, typ.Offset)
		return fmt.Errorf("%s: cannot use a JSON %s as %s (line %d, column %d)", jsonPath(typ.Field), typ.Value, typ.Type, line, col)
	}
	return fmt.Errorf("invalid JSON: %w", err)
}

// jsonPath writes array indexes of a field path ("linux.namespaces.0.type")
// as config.json's paths are written elsewhere ("linux.namespaces[0].type").
func jsonPath(field string) string {
	parts := strings.Split(field, ".")
	var b strings.Builder
	for i, p := range parts {
		if _, err := strconv.Atoi(p); err == nil && i > 0 {
			b.WriteString("[" + p + "]")
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(p)
	}
	return b.String()
}

func position(data []byte, offset int64) (line, col int) {
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	before := data[:offset]
	line = bytes.Count(before, []byte("\n")) + 1
	col = len(before) - bytes.LastIndexByte(before, '\n')
	return line, col
}

// RootfsPath returns the absolute rootfs of a bundle.
func RootfsPath(spec *specs.Spec, bundle string) string {
	if filepath.IsAbs(spec.Root.Path) {
		return filepath.Clean(spec.Root.Path)
	}
	return filepath.Join(bundle, spec.Root.Path)
}

// mergeEnv adds extra to env, a name given again replacing its value.
func mergeEnv(env, extra []string) []string {
	out := append([]string(nil), env...)
	for _, e := range extra {
		name, _, _ := strings.Cut(e, "=")
		replaced := false
		for i, o := range out {
			if strings.HasPrefix(o, name+"=") {
				out[i], replaced = e, true
			}
		}
		if !replaced {
			out = append(out, e)
		}
	}
	return out
}

func sameFile(a, b string) bool {
	var sa, sb unix.Stat_t
	return unix.Stat(a, &sa) == nil && unix.Stat(b, &sb) == nil && sa.Dev == sb.Dev && sa.Ino == sb.Ino
}

// hasNamespace says the container has a namespace of type t, new or joined.
func hasNamespace(spec *specs.Spec, t specs.LinuxNamespaceType) bool {
	for _, ns := range spec.Linux.Namespaces {
		if ns.Type == t {
			return true
		}
	}
	return false
}

func newNamespace(spec *specs.Spec, t specs.LinuxNamespaceType) bool {
	for _, ns := range spec.Linux.Namespaces {
		if ns.Type == t {
			return ns.Path == ""
		}
	}
	return false
}
