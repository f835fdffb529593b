package cgroups

import (
	"bufio"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/moby/sys/mountinfo"
	"golang.org/x/sys/unix"
)

// Unified is the key of the cgroup2 hierarchy in path maps.
const Unified = "unified"

// Hierarchy is one mounted cgroup hierarchy.
type Hierarchy struct {
	// Key is the comma-joined controller list as /proc/self/cgroup shows it
	// ("cpu,cpuacct", "name=systemd"), or Unified for cgroup2.
	Key        string
	Mountpoint string
	// Root is the cgroup the mount shows at Mountpoint.
	Root string
}

// Layout is the set of cgroup hierarchies mounted on the host.
type Layout struct {
	Hierarchies []Hierarchy
}

// PureV2 says the host has the cgroup2 hierarchy alone.
func (l *Layout) PureV2() bool {
	return len(l.Hierarchies) == 1 && l.Hierarchies[0].Key == Unified
}

// DetectLayout reads the hierarchies mounted in this mount namespace. Only
// the first visible mount of each hierarchy counts: mountinfo also lists
// mounts that another mount has since covered.
func DetectLayout() (*Layout, error) {
	mounts, err := mountinfo.GetMounts(mountinfo.FSTypeFilter("cgroup", "cgroup2"))
	if err != nil {
		return nil, fmt.Errorf("reading cgroup mounts: %w", err)
	}
	seen := map[string]bool{}
	l := &Layout{}
	for _, m := range mounts {
		key := Unified
		if m.FSType == "cgroup" {
			key = v1Key(m.VFSOptions)
		}
		if key == "" || seen[key] || !visible(m) {
			continue
		}
		seen[key] = true
		l.Hierarchies = append(l.Hierarchies, Hierarchy{Key: key, Mountpoint: m.Mountpoint, Root: m.Root})
	}
	if len(l.Hierarchies) == 0 {
		return nil, errors.New("no cgroup hierarchy is mounted")
	}
	return l, nil
}

// visible reports whether m is what its mountpoint shows.
func visible(m *mountinfo.Info) bool {
	var st unix.Stat_t
	return unix.Stat(m.Mountpoint, &st) == nil && st.Dev == unix.Mkdev(uint32(m.Major), uint32(m.Minor))
}

// v1Key picks the controllers out of a v1 mount's super options.
func v1Key(opts string) string {
	var ctrls []string
	for _, o := range strings.Split(opts, ",") {
		switch {
		case o == "rw" || o == "ro" || o == "clone_children" || o == "noprefix" ||
			o == "xattr" || o == "cpuset_v2_mode" || o == "favordynmods" || strings.HasPrefix(o, "release_agent="):
		default:
			ctrls = append(ctrls, o)
		}
	}
	return strings.Join(ctrls, ",")
}

// ownCgroups reads /proc/self/cgroup into a map from hierarchy key to path.
func ownCgroups() (map[string]string, error) {
	f, err := os.Open("/proc/self/cgroup")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	own := map[string]string{}
	s := bufio.NewScanner(f)
	for s.Scan() {
		parts := strings.SplitN(s.Text(), ":", 3)
		if len(parts) != 3 {
			continue
		}
		key := parts[1]
		if parts[0] == "0" && key == "" {
			key = Unified
		}
		own[key] = parts[2]
	}
	return own, s.Err()
}

// Paths returns the directory of cgroupsPath in every hierarchy. An absolute
// cgroupsPath is taken from each hierarchy's root, a relative one (or the
// default, the container id) from runo's own cgroup there, as runc does;
// on a pure cgroup2 host, from the parent of runo's own unless that is a
// systemd slice (runc's rule too): a cgroup with processes, such as a
// service's, may not give controllers to children.
func (l *Layout) Paths(cgroupsPath, id string) (map[string]string, error) {
	if cgroupsPath == "" {
		cgroupsPath = id
	}
	clean := filepath.Clean("/" + cgroupsPath)
	if clean == "/" {
		return nil, fmt.Errorf("linux.cgroupsPath %q: must name a cgroup below the root", cgroupsPath)
	}
	var own map[string]string
	if !filepath.IsAbs(cgroupsPath) {
		var err error
		if own, err = ownCgroups(); err != nil {
			return nil, fmt.Errorf("reading own cgroups: %w", err)
		}
	}
	if own != nil && l.PureV2() {
		if base := own[Unified]; !strings.HasSuffix(base, ".slice") {
			own[Unified] = filepath.Dir(base)
		}
	}
	paths := map[string]string{}
	for _, h := range l.Hierarchies {
		rel := clean
		if own != nil {
			rel = filepath.Join(own[h.Key], clean)
		}
		// The mount shows the cgroup Root at Mountpoint.
		inMount, err := filepath.Rel(h.Root, rel)
		if err != nil || strings.HasPrefix(inMount, "..") {
			return nil, fmt.Errorf("cgroup %s is outside the %s hierarchy mounted at %s", rel, h.Key, h.Mountpoint)
		}
		paths[h.Key] = filepath.Join(h.Mountpoint, inMount)
	}
	return paths, nil
}

// Under places rel, a path from the root of a hierarchy, in every
// hierarchy (the systemd driver's scope, on v1).
func (l *Layout) Under(rel string) map[string]string {
	paths := map[string]string{}
	for _, h := range l.Hierarchies {
		paths[h.Key] = filepath.Join(h.Mountpoint, rel)
	}
	return paths
}

// Missing lists the directories Create would make for paths, parents first.
func Missing(paths map[string]string) []string {
	var dirs []string
	for _, p := range slices.Sorted(maps.Values(paths)) {
		var chain []string
		for d := p; ; d = filepath.Dir(d) {
			if _, err := os.Stat(d); err == nil || d == "/" {
				break
			}
			chain = append(chain, d)
		}
		for i := len(chain) - 1; i >= 0; i-- {
			dirs = append(dirs, chain[i])
		}
	}
	return dirs
}
