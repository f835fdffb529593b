package cgroups

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Stats are a container's cgroup statistics, in the JSON of runc's
// `events --stats` (its types/events.go field names), which tools parse.
type Stats struct {
	CPU     CPU                `json:"cpu"`
	Memory  Memory             `json:"memory"`
	Pids    PidsStats          `json:"pids"`
	Blkio   Blkio              `json:"blkio"`
	Hugetlb map[string]Hugetlb `json:"hugetlb"`
}

type CPU struct {
	Usage      CPUUsage   `json:"usage,omitempty"`
	Throttling Throttling `json:"throttling,omitempty"`
}

// CPUUsage is in nanoseconds.
type CPUUsage struct {
	Total        uint64   `json:"total,omitempty"`
	Percpu       []uint64 `json:"percpu,omitempty"`
	PercpuKernel []uint64 `json:"percpu_kernel,omitempty"`
	PercpuUser   []uint64 `json:"percpu_user,omitempty"`
	Kernel       uint64   `json:"kernel"`
	User         uint64   `json:"user"`
}

type Throttling struct {
	Periods          uint64 `json:"periods,omitempty"`
	ThrottledPeriods uint64 `json:"throttledPeriods,omitempty"`
	ThrottledTime    uint64 `json:"throttledTime,omitempty"`
}

type MemoryEntry struct {
	Limit   uint64 `json:"limit"`
	Usage   uint64 `json:"usage,omitempty"`
	Max     uint64 `json:"max,omitempty"`
	Failcnt uint64 `json:"failcnt"`
}

type Memory struct {
	Cache     uint64            `json:"cache,omitempty"`
	Usage     MemoryEntry       `json:"usage,omitempty"`
	Swap      MemoryEntry       `json:"swap,omitempty"`
	Kernel    MemoryEntry       `json:"kernel,omitempty"`
	KernelTCP MemoryEntry       `json:"kernelTCP,omitempty"`
	Raw       map[string]uint64 `json:"raw,omitempty"`
}

type PidsStats struct {
	Current uint64 `json:"current,omitempty"`
	Limit   uint64 `json:"limit,omitempty"`
}

type BlkioEntry struct {
	Major uint64 `json:"major,omitempty"`
	Minor uint64 `json:"minor,omitempty"`
	Op    string `json:"op,omitempty"`
	Value uint64 `json:"value,omitempty"`
}

type Blkio struct {
	IoServiceBytesRecursive []BlkioEntry `json:"ioServiceBytesRecursive,omitempty"`
	IoServicedRecursive     []BlkioEntry `json:"ioServicedRecursive,omitempty"`
}

type Hugetlb struct {
	Usage   uint64 `json:"usage,omitempty"`
	Max     uint64 `json:"max,omitempty"`
	Failcnt uint64 `json:"failcnt"`
}

// maxUint is how runc reports "no limit".
const maxUint = ^uint64(0)

// getStats reads the statistics of the cgroups at paths: each controller
// from its v1 hierarchy, or from cgroup2 when no v1 hierarchy has it.
// Files a kernel lacks are left out, as runc leaves them.
func getStats(paths map[string]string) *Stats {
	st := &Stats{Hugetlb: map[string]Hugetlb{}}
	v2 := paths[Unified]
	if dir := v1Dir(paths, "cpuacct"); dir != "" {
		st.CPU.Usage.Total = readUint(dir, "cpuacct.usage")
		st.CPU.Usage.Percpu = readUints(dir, "cpuacct.usage_percpu")
		st.CPU.Usage.PercpuKernel = readUints(dir, "cpuacct.usage_percpu_sys")
		st.CPU.Usage.PercpuUser = readUints(dir, "cpuacct.usage_percpu_user")
		// cpuacct.stat counts USER_HZ (100) ticks.
		kv := readKV(dir, "cpuacct.stat")
		st.CPU.Usage.User, st.CPU.Usage.Kernel = kv["user"]*1e7, kv["system"]*1e7
	} else if v2 != "" {
		kv := readKV(v2, "cpu.stat")
		st.CPU.Usage.Total, st.CPU.Usage.User, st.CPU.Usage.Kernel = kv["usage_usec"]*1e3, kv["user_usec"]*1e3, kv["system_usec"]*1e3
	}
	if dir := v1Dir(paths, "cpu"); dir != "" {
		kv := readKV(dir, "cpu.stat")
		st.CPU.Throttling = Throttling{kv["nr_periods"], kv["nr_throttled"], kv["throttled_time"]}
	} else if v2 != "" {
		kv := readKV(v2, "cpu.stat")
		st.CPU.Throttling = Throttling{kv["nr_periods"], kv["nr_throttled"], kv["throttled_usec"] * 1e3}
	}
	if dir := v1Dir(paths, "memory"); dir != "" {
		m := &st.Memory
		m.Raw = readKV(dir, "memory.stat")
		m.Cache = m.Raw["cache"]
		m.Usage = memoryEntry(dir, "memory")
		m.Swap = memoryEntry(dir, "memory.memsw")
		m.Kernel = memoryEntry(dir, "memory.kmem")
		m.KernelTCP = memoryEntry(dir, "memory.kmem.tcp")
	} else if v2 != "" {
		m := &st.Memory
		m.Raw = readKV(v2, "memory.stat")
		m.Cache = m.Raw["file"]
		m.Usage = MemoryEntry{Usage: readUint(v2, "memory.current"), Max: readUint(v2, "memory.peak"),
			Limit: readUint(v2, "memory.max"), Failcnt: readKV(v2, "memory.events")["max"]}
		m.Swap = MemoryEntry{Usage: readUint(v2, "memory.swap.current"), Limit: readUint(v2, "memory.swap.max")}
	}
	if dir := v1Dir(paths, "pids"); dir != "" {
		st.Pids = PidsStats{readUint(dir, "pids.current"), readUint(dir, "pids.max")}
	} else if v2 != "" {
		st.Pids = PidsStats{readUint(v2, "pids.current"), readUint(v2, "pids.max")}
	}
	if dir := v1Dir(paths, "blkio"); dir != "" {
		st.Blkio.IoServiceBytesRecursive = readBlkio(dir, "blkio.throttle.io_service_bytes_recursive")
		st.Blkio.IoServicedRecursive = readBlkio(dir, "blkio.throttle.io_serviced_recursive")
	} else if v2 != "" {
		st.Blkio.IoServiceBytesRecursive, st.Blkio.IoServicedRecursive = readIOStat(v2)
	}
	if dir := v1Dir(paths, "hugetlb"); dir != "" {
		for _, size := range hugePageSizes(dir, "hugetlb.", ".limit_in_bytes") {
			p := "hugetlb." + size + "."
			st.Hugetlb[size] = Hugetlb{readUint(dir, p+"usage_in_bytes"), readUint(dir, p+"max_usage_in_bytes"), readUint(dir, p+"failcnt")}
		}
	} else if v2 != "" {
		for _, size := range hugePageSizes(v2, "hugetlb.", ".max") {
			p := "hugetlb." + size + "."
			st.Hugetlb[size] = Hugetlb{Usage: readUint(v2, p+"current"), Max: readUint(v2, p+"max"),
				Failcnt: readKV(v2, p+"events")["max"]}
		}
	}
	return st
}

// v1Dir is the directory of the v1 hierarchy that has ctrl, alone or
// mounted with others ("cpu,cpuacct"), or "".
func v1Dir(paths map[string]string, ctrl string) string {
	for key, dir := range paths {
		if hasController(key, ctrl) {
			return dir
		}
	}
	return ""
}

// hierarchies lists the keys of paths whose hierarchy has one of the
// comma-separated controllers ctrls (every key if ctrls is empty).
func hierarchies(paths map[string]string, ctrls string) []string {
	var keys []string
	for key := range paths {
		match := ctrls == ""
		for _, c := range strings.Split(ctrls, ",") {
			match = match || hasController(key, c)
		}
		if match {
			keys = append(keys, key)
		}
	}
	return keys
}

// hasController says the hierarchy of key ("cpu,cpuacct") has ctrl.
func hasController(key, ctrl string) bool {
	return ctrl != "" && slices.Contains(strings.Split(key, ","), ctrl)
}

// memoryUsage reads the memory the cgroups of paths use, and that with
// the swap they use, from the v1 memory controller or cgroup2.
func memoryUsage(paths map[string]string) (mem, withSwap int64, err error) {
	read := func(file string) (int64, error) {
		b, err := os.ReadFile(file)
		if err != nil {
			return 0, err
		}
		v, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", file, err)
		}
		return v, nil
	}
	if dir := v1Dir(paths, "memory"); dir != "" {
		if mem, err = read(filepath.Join(dir, "memory.usage_in_bytes")); err != nil {
			return 0, 0, err
		}
		if withSwap, err = read(filepath.Join(dir, "memory.memsw.usage_in_bytes")); err != nil {
			withSwap = mem
		}
		return mem, withSwap, nil
	}
	if mem, err = read(filepath.Join(paths[Unified], "memory.current")); err != nil {
		return 0, 0, err
	}
	swap, err := read(filepath.Join(paths[Unified], "memory.swap.current"))
	if err != nil {
		swap = 0
	}
	return mem, mem + swap, nil
}

func memoryEntry(dir, prefix string) MemoryEntry {
	return MemoryEntry{
		Limit: readUint(dir, prefix+".limit_in_bytes"), Usage: readUint(dir, prefix+".usage_in_bytes"),
		Max: readUint(dir, prefix+".max_usage_in_bytes"), Failcnt: readUint(dir, prefix+".failcnt"),
	}
}

// readUint reads a one-number file; "max" is no limit, a missing file 0.
func readUint(dir, file string) uint64 {
	b, err := os.ReadFile(filepath.Join(dir, file))
	if err != nil {
		return 0
	}
	s := strings.TrimSpace(string(b))
	if s == "max" {
		return maxUint
	}
	v, _ := strconv.ParseUint(s, 10, 64)
	return v
}

func readUints(dir, file string) []uint64 {
	b, err := os.ReadFile(filepath.Join(dir, file))
	if err != nil {
		return nil
	}
	var out []uint64
	for _, f := range strings.Fields(string(b)) {
		v, _ := strconv.ParseUint(f, 10, 64)
		out = append(out, v)
	}
	return out
}

// readKV reads "key value" lines.
func readKV(dir, file string) map[string]uint64 {
	f, err := os.Open(filepath.Join(dir, file))
	if err != nil {
		return nil
	}
	defer f.Close()
	kv := map[string]uint64{}
	s := bufio.NewScanner(f)
	for s.Scan() {
		k, v, ok := strings.Cut(s.Text(), " ")
		if n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64); ok && err == nil {
			kv[k] = n
		}
	}
	return kv
}

// readBlkio reads v1 "major:minor Op value" lines.
func readBlkio(dir, file string) []BlkioEntry {
	b, err := os.ReadFile(filepath.Join(dir, file))
	if err != nil {
		return nil
	}
	var out []BlkioEntry
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			continue
		}
		e, ok := blkioEntry(f[0], f[1], f[2])
		if ok {
			out = append(out, e)
		}
	}
	return out
}

func blkioEntry(dev, op, value string) (BlkioEntry, bool) {
	maj, min, ok := strings.Cut(dev, ":")
	a, err1 := strconv.ParseUint(maj, 10, 64)
	b, err2 := strconv.ParseUint(min, 10, 64)
	v, err3 := strconv.ParseUint(value, 10, 64)
	return BlkioEntry{a, b, op, v}, ok && err1 == nil && err2 == nil && err3 == nil
}

// readIOStat turns cgroup2's io.stat ("8:0 rbytes=1 wbytes=2 rios=3 ...")
// into runc's v1-shaped Read/Write entries.
func readIOStat(dir string) (bytes, ios []BlkioEntry) {
	b, err := os.ReadFile(filepath.Join(dir, "io.stat"))
	if err != nil {
		return nil, nil
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		for _, kv := range f[1:] {
			k, v, _ := strings.Cut(kv, "=")
			var op string
			var list *[]BlkioEntry
			switch k {
			case "rbytes":
				op, list = "Read", &bytes
			case "wbytes":
				op, list = "Write", &bytes
			case "rios":
				op, list = "Read", &ios
			case "wios":
				op, list = "Write", &ios
			default:
				continue
			}
			if e, ok := blkioEntry(f[0], op, v); ok {
				*list = append(*list, e)
			}
		}
	}
	return bytes, ios
}

// hugePageSizes lists the page sizes of files named prefix+SIZE+suffix.
func hugePageSizes(dir, prefix, suffix string) []string {
	matches, _ := filepath.Glob(filepath.Join(dir, prefix+"*"+suffix))
	var sizes []string
	for _, m := range matches {
		size := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(m), prefix), suffix)
		if !strings.Contains(size, ".") {
			sizes = append(sizes, size)
		}
	}
	return sizes
}
