package libcontainer

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// checkProcSource refuses a bind source that leads into the resolver's own
// process directory in a procfs (self, thread-self, its /proc/PID or one of
// its threads') or into that of a process of pids (init's, when the runtime
// resolves): from there /proc/self/fd/N is a descriptor of init's, such as
// its private procfs or the rootfs, which must never reach the container.
// The path is followed as the kernel would, symlinks included; whatever
// does not exist is left for the mount to report.
func checkProcSource(src string, pids ...int) error {
	path := "/"
	rest := strings.Split(filepath.Clean(src), "/")
	for hops := 0; len(rest) > 0; {
		name := rest[0]
		rest = rest[1:]
		switch name {
		case "", ".":
			continue
		case "..":
			path = filepath.Dir(path)
			continue
		}
		if procEntryName(name) && isProcRoot(path) && ownProcEntry(path, name, pids) {
			return fmt.Errorf("bind source %s: %s is a process directory of the runtime's or init's own, whose descriptors and files never reach the container",
				quote(src), filepath.Join(path, name))
		}
		next := filepath.Join(path, name)
		var st unix.Stat_t
		if unix.Lstat(next, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFLNK {
			path = next
			continue
		}
		target, err := os.Readlink(next)
		if hops++; err != nil || hops > 40 {
			return nil
		}
		if filepath.IsAbs(target) {
			path = "/"
		}
		rest = append(strings.Split(target, "/"), rest...)
	}
	return nil
}

// procEntryName says whether name may be a process directory in a procfs.
func procEntryName(name string) bool {
	if name == "self" || name == "thread-self" {
		return true
	}
	_, err := strconv.Atoi(name)
	return err == nil
}

// isProcRoot says whether path is the root of a procfs.
func isProcRoot(path string) bool {
	var st unix.Stat_t
	return isProcfs(path) && unix.Stat(path, &st) == nil && st.Ino == 1
}

// ownProcEntry says whether name, in the procfs at root, is the process
// directory of the caller (as that procfs numbers it) or of one of pids,
// or of one of their threads.
func ownProcEntry(root, name string, pids []int) bool {
	if name == "self" || name == "thread-self" {
		return true
	}
	tgid := procTgid(filepath.Join(root, name))
	if self, err := os.Readlink(filepath.Join(root, "self")); err == nil && (self == name || strconv.Itoa(tgid) == self) {
		return true
	}
	return slices.Contains(pids, tgid)
}

// procTgid reads the thread group of the process directory dir, or -1.
func procTgid(dir string) int {
	f, err := os.Open(filepath.Join(dir, "status"))
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "Tgid:"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err == nil {
				return n
			}
		}
	}
	return -1
}
