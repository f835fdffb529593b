package cgroups

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"
)

// notifyOOM sends on the returned channel each time the kernel's OOM
// killer acts in the memory cgroup of paths, and closes it once the
// cgroup is gone. v1 arms an eventfd on memory.oom_control; cgroup2
// watches memory.events for its oom_kill count to grow.
func notifyOOM(paths map[string]string) (<-chan struct{}, error) {
	if dir := v1Dir(paths, "memory"); dir != "" {
		return notifyV1(dir)
	}
	if dir := paths[Unified]; dir != "" {
		if _, err := os.Stat(filepath.Join(dir, "memory.events")); err == nil {
			return notifyV2(dir)
		}
	}
	return nil, fmt.Errorf("no memory cgroup to watch for OOM kills")
}

func notifyV1(dir string) (<-chan struct{}, error) {
	ofd, err := unix.Open(filepath.Join(dir, "memory.oom_control"), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	efd, err := unix.Eventfd(0, unix.EFD_CLOEXEC)
	if err != nil {
		unix.Close(ofd)
		return nil, err
	}
	if err := writeFile(dir, "cgroup.event_control", fmt.Sprintf("%d %d", efd, ofd)); err != nil {
		unix.Close(ofd)
		unix.Close(efd)
		return nil, err
	}
	ch := make(chan struct{}, 16)
	go func() {
		defer close(ch)
		defer unix.Close(ofd)
		defer unix.Close(efd)
		buf := make([]byte, 8)
		for {
			if _, err := unix.Read(efd, buf); err != nil && err != unix.EINTR {
				return
			}
			// The eventfd also fires when the cgroup is removed.
			if _, err := os.Stat(dir); err != nil {
				return
			}
			ch <- struct{}{}
		}
	}()
	return ch, nil
}

func notifyV2(dir string) (<-chan struct{}, error) {
	ifd, err := unix.InotifyInit1(unix.IN_CLOEXEC)
	if err != nil {
		return nil, err
	}
	events := filepath.Join(dir, "memory.events")
	if _, err := unix.InotifyAddWatch(ifd, events, unix.IN_MODIFY|unix.IN_DELETE_SELF|unix.IN_IGNORED); err != nil {
		unix.Close(ifd)
		return nil, err
	}
	ch := make(chan struct{}, 16)
	seen := oomKills(events)
	go func() {
		defer close(ch)
		defer unix.Close(ifd)
		buf := make([]byte, 4096)
		for {
			n, err := unix.Read(ifd, buf)
			if err == unix.EINTR {
				continue
			}
			if err != nil || n < unix.SizeofInotifyEvent {
				return
			}
			mask := binary.NativeEndian.Uint32(buf[4:8])
			if mask&(unix.IN_DELETE_SELF|unix.IN_IGNORED) != 0 {
				return
			}
			if now := oomKills(events); now > seen {
				seen = now
				ch <- struct{}{}
			}
		}
	}()
	return ch, nil
}

// oomKills reads the oom_kill count of a cgroup2 memory.events file.
func oomKills(file string) uint64 {
	b, _ := os.ReadFile(file)
	for _, line := range bytes.Split(b, []byte("\n")) {
		if v, ok := bytes.CutPrefix(line, []byte("oom_kill ")); ok {
			n, _ := strconv.ParseUint(string(v), 10, 64)
			return n
		}
	}
	return 0
}
