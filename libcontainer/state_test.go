package libcontainer

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
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
	s := &Store{Root: t.TempDir()}
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
	s := &Store{Root: t.TempDir()}
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
	s := &Store{Root: t.TempDir()}
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

func TestEvictOldestKeepsTheNewest(t *testing.T) {
	dir := t.TempDir()
	for i := range 5 {
		p := filepath.Join(dir, strconv.Itoa(i))
		if err := os.WriteFile(p, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		mod := time.Unix(int64(1000+i), 0)
		os.Chtimes(p, mod, mod)
	}
	evictOldest(dir, 3)
	names, _ := os.ReadDir(dir)
	var got []string
	for _, n := range names {
		got = append(got, n.Name())
	}
	if strings.Join(got, ",") != "2,3,4" {
		t.Fatalf("left %v, want the three newest", got)
	}
}
