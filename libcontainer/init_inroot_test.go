package libcontainer

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// TestMkdirAllInRoot makes directories through the image's symlinks, which
// lead inside the rootfs whatever they say, and refuses what is not a
// directory there: a file, a symlink to a path missing in the rootfs (one
// to a host directory included).
func TestMkdirAllInRoot(t *testing.T) {
	outside := t.TempDir()
	rootPath := t.TempDir()
	for _, l := range [][2]string{
		{"/", "abs"}, {"../../../..", "up"}, {outside, "host"}, {"/run", "var-run"}, {"/missing", "dangling"},
	} {
		if err := os.Symlink(l[0], filepath.Join(rootPath, l[1])); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(rootPath, "file"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	root, err := os.Open(rootPath)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()

	for _, c := range []struct{ path, made string }{
		{"/a/b/c", "a/b/c"},
		{"/a/b/c", "a/b/c"}, // exists: no error
		{"abs/x", "x"},
		{"up/y", "y"},
		{"../../w", "w"},
	} {
		f, err := mkdirAllInRoot(root, c.path, 0o755)
		if err != nil {
			t.Fatalf("%s: %v", c.path, err)
		}
		var st, want unix.Stat_t
		if err := unix.Fstat(int(f.Fd()), &st); err != nil {
			t.Fatal(err)
		}
		f.Close()
		if err := unix.Stat(filepath.Join(rootPath, c.made), &want); err != nil {
			t.Fatalf("%s: not made inside the root: %v", c.path, err)
		}
		if st.Ino != want.Ino || st.Dev != want.Dev {
			t.Fatalf("%s: the handle is not of %s in the root", c.path, c.made)
		}
	}
	if _, err := os.Stat(filepath.Join(outside, "z")); err == nil {
		t.Fatal("a directory was made outside the root")
	}
	for _, path := range []string{"/file", "/file/sub", "/dangling", "/host/z"} {
		if f, err := mkdirAllInRoot(root, path, 0o755); err == nil {
			f.Close()
			t.Fatalf("%s: made, want an error", path)
		}
	}
	if _, err := os.Stat(filepath.Join(rootPath, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("a dangling symlink's target was made")
	}
}
