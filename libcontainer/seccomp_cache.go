package libcontainer

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/moby/sys/userns"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/runo-runtime/runo/seccomp"
)

// seccompCacheSize bounds the programs kept: each profile an engine uses
// (docker's, podman's, a pod's) and each runo binary makes one.
const seccompCacheSize = 64

// compileSeccomp returns the program of c, compiled by libseccomp (6.9 ms
// for a profile like docker's) or, when this same runo binary compiled the
// same profile before, read from the store's cache. The cache is an
// optimisation that must never weaken a filter: it is used only where no
// one but the caller's own privilege can write it (seccompCache), and
// anything else in it is ignored, with the reason at debug.
func (s *Store) compileSeccomp(c *specs.LinuxSeccomp) (*seccomp.Program, error) {
	cache, err := s.openSeccompCache()
	if err != nil {
		s.debugf("seccomp cache not used: %v", err)
		return seccomp.Compile(c)
	}
	defer cache.close()
	key, err := seccompKey(c)
	if err != nil {
		s.debugf("seccomp cache not used: %v", err)
		return seccomp.Compile(c)
	}
	p, err := cache.read(key)
	if err == nil {
		return p, nil
	}
	if !errors.Is(err, unix.ENOENT) {
		s.debugf("seccomp cache entry %s not used, compiled again: %v", key, err)
	}
	if p, err = seccomp.Compile(c); err != nil {
		return nil, err
	}
	if err := cache.write(key, p); err != nil {
		s.debugf("seccomp cache entry %s not written: %v", key, err)
	}
	return p, nil
}

func (s *Store) debugf(format string, args ...any) {
	if s.Debug != nil {
		s.Debug(fmt.Sprintf(format, args...))
	}
}

// seccompKey names the program of c as compiled by this runo binary
// (device, inode, size, mtime): another build compiles afresh.
func seccompKey(c *specs.LinuxSeccomp) (string, error) {
	profile, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	var exe unix.Stat_t
	if err := unix.Stat("/proc/self/exe", &exe); err != nil {
		return "", err
	}
	h := sha256.New()
	fmt.Fprintf(h, "%d %d %d %d\n", exe.Dev, exe.Ino, exe.Size, exe.Mtim.Nano())
	h.Write(profile)
	// Absent flags (SPEC_ALLOW) and empty ones marshal alike.
	fmt.Fprintf(h, "\nflags absent %v\n", c.Flags == nil)
	return hex.EncodeToString(h.Sum(nil)), nil
}

// isCacheKey says whether name is one seccompKey makes: only those are
// read, and evicted.
func isCacheKey(name string) bool {
	if len(name) != 2*sha256.Size {
		return false
	}
	for _, r := range name {
		if (r < '0' || r > '9') && (r < 'a' || r > 'f') {
			return false
		}
	}
	return true
}

// seccompCache is the directory "seccomp" of the store's CacheDir, open.
type seccompCache struct {
	dir  int
	path string
}

// openSeccompCache opens (making them if missing) CacheDir and its
// "seccomp" directory, without following a symlink at any step, and only
// when both are the euid's and no group or other can write them. Only a
// caller with the host's privilege caches: a rootless user's directories
// are reachable by their own containers (toolbox and distrobox bind
// $XDG_RUNTIME_DIR into them), which could plant a weaker program.
func (s *Store) openSeccompCache() (*seccompCache, error) {
	if s.CacheDir == "" {
		return nil, errors.New("no cache directory")
	}
	if os.Geteuid() != 0 || userns.RunningInUserNS() {
		return nil, errors.New("runo is not privileged on the host")
	}
	top, err := openCacheDir(unix.AT_FDCWD, s.CacheDir, s.CacheDir)
	if err != nil {
		return nil, err
	}
	defer unix.Close(top)
	path := filepath.Join(s.CacheDir, "seccomp")
	dir, err := openCacheDir(top, "seccomp", path)
	if err != nil {
		return nil, err
	}
	return &seccompCache{dir: dir, path: path}, nil
}

// openCacheDir opens name in at, made if missing (mode 0700), with no
// symlink on the way, and checks it is the euid's alone.
func openCacheDir(at int, name, path string) (int, error) {
	how := &unix.OpenHow{Flags: unix.O_RDONLY | unix.O_DIRECTORY | unix.O_CLOEXEC, Resolve: unix.RESOLVE_NO_SYMLINKS}
	if at != unix.AT_FDCWD {
		how.Resolve |= unix.RESOLVE_BENEATH
	}
	fd, err := unix.Openat2(at, name, how)
	if err == unix.ENOENT {
		parent, base := at, name
		if at == unix.AT_FDCWD {
			// The parent is reached the same way: mkdir does not follow
			// a symlink in its last component only.
			if parent, err = unix.Openat2(at, filepath.Dir(name), how); err != nil {
				return -1, &os.PathError{Op: "open", Path: filepath.Dir(name), Err: err}
			}
			defer unix.Close(parent)
			base = filepath.Base(name)
		}
		if err := unix.Mkdirat(parent, base, 0o700); err != nil && err != unix.EEXIST {
			return -1, &os.PathError{Op: "mkdir", Path: path, Err: err}
		}
		fd, err = unix.Openat2(at, name, how)
	}
	if err != nil {
		return -1, &os.PathError{Op: "open", Path: path, Err: err}
	}
	if err := checkOwned(fd, path); err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

// cacheEntry is a cache file: the program and the key it is stored under,
// so that a file copied to another name is not taken for that profile's.
type cacheEntry struct {
	Key     string          `json:"key"`
	Program seccomp.Program `json:"program"`
}

func (c *seccompCache) close() { unix.Close(c.dir) }

// read returns the program cached under key: a regular file of the euid's
// that no one else can write, opened without following a symlink, whose
// content is a program seccomp.Check accepts.
func (c *seccompCache) read(key string) (*seccomp.Program, error) {
	fd, err := unix.Openat(c.dir, key, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(fd), filepath.Join(c.path, key))
	defer f.Close()
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG || st.Uid != uint32(os.Geteuid()) || st.Mode&0o022 != 0 {
		return nil, fmt.Errorf("not a regular file of uid %d that only it can write (uid %d, mode %#o)", os.Geteuid(), st.Uid, st.Mode)
	}
	data, err := ReadInput(f, f.Name())
	if err != nil {
		return nil, err
	}
	var e cacheEntry
	if err := json.Unmarshal(data, &e); err != nil {
		return nil, err
	}
	if e.Key != key {
		return nil, fmt.Errorf("the entry is that of key %.64q", e.Key)
	}
	if err := e.Program.Check(); err != nil {
		return nil, err
	}
	return &e.Program, nil
}

// write stores p under key, replacing whatever is there, by linking a
// finished unnamed file: a reader never sees part of one.
func (c *seccompCache) write(key string, p *seccomp.Program) error {
	data, err := json.Marshal(cacheEntry{Key: key, Program: *p})
	if err != nil {
		return err
	}
	fd, err := unix.Openat(c.dir, ".", unix.O_TMPFILE|unix.O_WRONLY|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return err
	}
	f := os.NewFile(uintptr(fd), key)
	defer f.Close()
	if _, err := f.Write(data); err != nil {
		return err
	}
	link := func() error {
		return unix.Linkat(unix.AT_FDCWD, "/proc/self/fd/"+strconv.Itoa(fd), c.dir, key, unix.AT_SYMLINK_FOLLOW)
	}
	if err := link(); err == unix.EEXIST {
		// A bad entry, or another runo's: either way, this one.
		if err := unix.Unlinkat(c.dir, key, 0); err != nil && err != unix.ENOENT {
			return err
		}
		err = link()
		if err != nil && err != unix.EEXIST {
			return err
		}
	} else if err != nil {
		return err
	}
	c.evict(seccompCacheSize)
	return nil
}

// evict removes the least recently written entries beyond keep. Only cache
// keys are removed, and only from this directory.
func (c *seccompCache) evict(keep int) {
	dup, err := unix.Dup(c.dir)
	if err != nil {
		return
	}
	d := os.NewFile(uintptr(dup), c.path)
	names, err := d.Readdirnames(-1)
	d.Close()
	if err != nil || len(names) <= keep {
		return
	}
	type entry struct {
		name string
		mod  int64
	}
	var entries []entry
	for _, name := range names {
		var st unix.Stat_t
		if isCacheKey(name) && unix.Fstatat(c.dir, name, &st, unix.AT_SYMLINK_NOFOLLOW) == nil {
			entries = append(entries, entry{name, st.Mtim.Nano()})
		}
	}
	slices.SortFunc(entries, func(a, b entry) int { return cmp.Compare(b.mod, a.mod) })
	for _, e := range entries[min(keep, len(entries)):] {
		unix.Unlinkat(c.dir, e.name, 0)
	}
}
