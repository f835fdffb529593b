package libcontainer

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestStoreCreateAndLoad(t *testing.T) {
	s := &Store{Root: filepath.Join(t.TempDir(), "root")}
	h, err := s.create("c1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.create("c1"); !errors.Is(err, ErrExist) {
		t.Fatalf("second create: %v, want ErrExist", err)
	}
	st := &State{ID: "c1", Bundle: "/b", Created: time.Unix(100, 0).UTC(), Pid: os.Getpid()}
	_, _, st.PidStartTime, _ = procStat(os.Getpid())
	if err := h.save(st); err != nil {
		t.Fatal(err)
	}
	// Not ready and create still holds the lock: creating.
	c, err := s.Load("c1", false)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Status(); got != Creating {
		t.Errorf("status while create holds the lock = %s, want creating", got)
	}
	h.close()
	// The creator is gone without finishing: stopped.
	if got := c.Status(); got != Stopped {
		t.Errorf("status of an abandoned create = %s, want stopped", got)
	}
	c.Close()
	if _, err := s.Load("nope", false); !errors.Is(err, ErrNotExist) {
		t.Errorf("Load of a missing container: %v", err)
	}
}

func TestStatusFollowsThePidAndItsStartTime(t *testing.T) {
	s := &Store{Root: filepath.Join(t.TempDir(), "root")}
	h, err := s.create("c")
	if err != nil {
		t.Fatal(err)
	}
	defer h.close()
	st := &State{ID: "c", Ready: true, Pid: os.Getpid()}
	_, _, st.PidStartTime, _ = procStat(os.Getpid())
	os.WriteFile(filepath.Join(h.dir, fifoName), nil, 0o600)
	if got := h.status(st); got != Created {
		t.Errorf("with exec.fifo: %s, want created", got)
	}
	os.Remove(filepath.Join(h.dir, fifoName))
	if got := h.status(st); got != Running {
		t.Errorf("without exec.fifo: %s, want running", got)
	}
	st.PidStartTime++
	if got := h.status(st); got != Stopped {
		t.Errorf("reused pid: %s, want stopped", got)
	}
}

func TestSaveIsAtomic(t *testing.T) {
	s := &Store{Root: filepath.Join(t.TempDir(), "root")}
	h, err := s.create("c")
	if err != nil {
		t.Fatal(err)
	}
	defer h.close()
	for i := 0; i < 20; i++ {
		if err := h.save(&State{ID: "c", Pid: i}); err != nil {
			t.Fatal(err)
		}
	}
	entries, _ := os.ReadDir(h.dir)
	if len(entries) != 1 || entries[0].Name() != stateFile {
		t.Errorf("state directory holds %v, want only %s", entries, stateFile)
	}
	st, err := h.load()
	if err != nil || st.Pid != 19 {
		t.Errorf("load = %+v, %v", st, err)
	}
}

func TestWriteFileAtomicFailsCleanly(t *testing.T) {
	dir := t.TempDir()
	err := writeFileAtomic(filepath.Join(dir, "missing", "f"), []byte("x"), 0o600)
	if err == nil {
		t.Fatal("writing into a missing directory succeeded")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("left %v behind", entries)
	}
}

func TestLockSerialisesWriters(t *testing.T) {
	s := &Store{Root: filepath.Join(t.TempDir(), "root")}
	h, err := s.create("c")
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan error, 1)
	go func() {
		c, err := s.Load("c", true)
		if err == nil {
			c.Close()
		}
		got <- err
	}()
	select {
	case <-got:
		t.Fatal("a second writer got the lock while create held it")
	case <-time.After(50 * time.Millisecond):
	}
	// Delete under the lock: the waiter then finds nothing.
	h.remove()
	h.close()
	if err := <-got; !errors.Is(err, ErrNotExist) {
		t.Errorf("waiter after delete: %v, want ErrNotExist", err)
	}
}

func TestStoreRefusesARootOthersCanWrite(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("chown needs root")
	}
	for name, setup := range map[string]func(root string){
		"group-writable": func(root string) { os.Chmod(root, 0o775) },
		"world-writable": func(root string) { os.Chmod(root, 0o1777) },
		"another user's": func(root string) { os.Chown(root, 1000, 1000) },
		"a symlink":      func(root string) { os.Rename(root, root+".real"); os.Symlink(root+".real", root) },
	} {
		t.Run(name, func(t *testing.T) {
			s := &Store{Root: filepath.Join(t.TempDir(), "root")}
			if err := os.Mkdir(s.Root, 0o711); err != nil {
				t.Fatal(err)
			}
			setup(s.Root)
			_, err := s.create("c1")
			if !errors.Is(err, errNotOwned) || !strings.Contains(err.Error(), s.Root) {
				t.Fatalf("create: %v", err)
			}
			if _, err := s.Load("c1", false); !errors.Is(err, errNotOwned) {
				t.Fatalf("load: %v", err)
			}
			if _, err := s.List(); !errors.Is(err, errNotOwned) {
				t.Fatalf("list: %v", err)
			}
		})
	}
}

func TestStoreRefusesAContainerDirectoryOthersCanWrite(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("chown needs root")
	}
	s := &Store{Root: filepath.Join(t.TempDir(), "root")}
	h, err := s.create("c1")
	if err != nil {
		t.Fatal(err)
	}
	h.close()
	os.Chown(filepath.Join(s.Root, "c1"), 1000, 1000)
	if _, err := s.Load("c1", false); !errors.Is(err, errNotOwned) || !strings.Contains(err.Error(), "uid 1000") {
		t.Fatalf("load: %v", err)
	}
	if list, err := s.List(); err != nil || len(list) != 0 {
		t.Fatalf("list: %v %v", list, err)
	}
}
