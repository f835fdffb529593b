package cgroups

import (
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// setting is one value of linux.resources: where it goes in a v1
// hierarchy, and in cgroup2 when no v1 hierarchy has the controller.
type setting struct {
	field       string // JSON path, for errors
	v1Ctrl, v1  string // hierarchy key and file
	v2, v2Value string // cgroup2 file and its value, "" if none
	value       string
	// optional settings are skipped where the kernel has no file for them.
	optional bool
	// clamped settings are read back from v1: the kernel moves a value
	// out of its range into it silently, and runc refuses that.
	clamped bool
	// bfq names BFQ's files of a block I/O weight, taken in v1 when the
	// blkio file is missing (kernels without CFQ) and in cgroup2 when
	// present, with bfqValue there: BFQ keeps blkio's scale, as runc
	// writes it.
	bfq, bfqV2, bfqValue string
}

// resourceSettings lists what r asks for, in the order runc writes it.
// As in runc, a value of 0 for a limit, share, weight or period means
// "not set", not zero: docker sends cpu.shares and blockIO.weight as 0.
func resourceSettings(r *specs.LinuxResources) []setting {
	var s []setting
	if r == nil {
		return nil
	}
	if m := r.Memory; m != nil {
		if m.Limit != nil && *m.Limit != 0 {
			v := strconv.FormatInt(*m.Limit, 10)
			s = append(s, setting{field: "memory.limit", v1Ctrl: "memory", v1: "memory.limit_in_bytes", v2: "memory.max", v2Value: v2Max(*m.Limit), value: v})
		}
		if m.Reservation != nil && *m.Reservation != 0 {
			v := strconv.FormatInt(*m.Reservation, 10)
			s = append(s, setting{field: "memory.reservation", v1Ctrl: "memory", v1: "memory.soft_limit_in_bytes", v2: "memory.low", v2Value: v2Max(*m.Reservation), value: v})
		}
		if m.Swap != nil && *m.Swap != 0 {
			// v1 limits memory+swap; cgroup2 limits swap alone.
			v := strconv.FormatInt(*m.Swap, 10)
			v2 := v2Max(*m.Swap)
			if *m.Swap > 0 && m.Limit != nil && *m.Limit > 0 {
				v2 = strconv.FormatInt(*m.Swap-*m.Limit, 10)
			}
			s = append(s, setting{field: "memory.swap", v1Ctrl: "memory", v1: "memory.memsw.limit_in_bytes", v2: "memory.swap.max", v2Value: v2, value: v})
		}
		if m.KernelTCP != nil && *m.KernelTCP != 0 {
			s = append(s, setting{field: "memory.kernelTCP", v1Ctrl: "memory", v1: "memory.kmem.tcp.limit_in_bytes", value: strconv.FormatInt(*m.KernelTCP, 10)})
		}
		if m.Swappiness != nil {
			s = append(s, setting{field: "memory.swappiness", v1Ctrl: "memory", v1: "memory.swappiness", value: strconv.FormatUint(*m.Swappiness, 10)})
		}
		if m.DisableOOMKiller != nil && *m.DisableOOMKiller {
			s = append(s, setting{field: "memory.disableOOMKiller", v1Ctrl: "memory", v1: "memory.oom_control", value: "1"})
		}
		if m.UseHierarchy != nil && *m.UseHierarchy {
			s = append(s, setting{field: "memory.useHierarchy", v1Ctrl: "memory", v1: "memory.use_hierarchy", value: "1"})
		}
	}
	if c := r.CPU; c != nil {
		if c.Shares != nil && *c.Shares != 0 {
			v := strconv.FormatUint(*c.Shares, 10)
			s = append(s, setting{field: "cpu.shares", v1Ctrl: "cpu", v1: "cpu.shares", v2: "cpu.weight", v2Value: strconv.FormatUint(sharesToWeight(*c.Shares), 10), value: v, clamped: true})
		}
		if c.Period != nil && *c.Period != 0 {
			// cgroup2 takes the period in cpu.max, with the quota if there is one.
			v2, v2Value := "cpu.max", "max "+strconv.FormatUint(*c.Period, 10)
			if c.Quota != nil && *c.Quota != 0 {
				v2 = withQuota
			}
			s = append(s, setting{field: "cpu.period", v1Ctrl: "cpu", v1: "cpu.cfs_period_us", v2: v2, v2Value: v2Value, value: strconv.FormatUint(*c.Period, 10)})
		}
		if c.Quota != nil && *c.Quota != 0 {
			period := uint64(100000)
			if c.Period != nil && *c.Period != 0 {
				period = *c.Period
			}
			s = append(s, setting{field: "cpu.quota", v1Ctrl: "cpu", v1: "cpu.cfs_quota_us", v2: "cpu.max", v2Value: v2Max(*c.Quota) + " " + strconv.FormatUint(period, 10), value: strconv.FormatInt(*c.Quota, 10)})
		}
		if c.Burst != nil {
			v := strconv.FormatUint(*c.Burst, 10)
			s = append(s, setting{field: "cpu.burst", v1Ctrl: "cpu", v1: "cpu.cfs_burst_us", v2: "cpu.max.burst", v2Value: v, value: v})
		}
		if c.RealtimePeriod != nil && *c.RealtimePeriod != 0 {
			v := strconv.FormatUint(*c.RealtimePeriod, 10)
			s = append(s, setting{field: "cpu.realtimePeriod", v1Ctrl: "cpu", v1: "cpu.rt_period_us", value: v})
		}
		if c.RealtimeRuntime != nil && *c.RealtimeRuntime != 0 {
			v := strconv.FormatInt(*c.RealtimeRuntime, 10)
			s = append(s, setting{field: "cpu.realtimeRuntime", v1Ctrl: "cpu", v1: "cpu.rt_runtime_us", value: v})
		}
		if c.Idle != nil {
			v := strconv.FormatInt(*c.Idle, 10)
			s = append(s, setting{field: "cpu.idle", v1Ctrl: "cpu", v1: "cpu.idle", v2: "cpu.idle", v2Value: v, value: v})
		}
		if c.Cpus != "" {
			s = append(s, setting{field: "cpu.cpus", v1Ctrl: "cpuset", v1: "cpuset.cpus", v2: "cpuset.cpus", v2Value: c.Cpus, value: c.Cpus})
		}
		if c.Mems != "" {
			s = append(s, setting{field: "cpu.mems", v1Ctrl: "cpuset", v1: "cpuset.mems", v2: "cpuset.mems", v2Value: c.Mems, value: c.Mems})
		}
	}
	if p := r.Pids; p != nil && p.Limit != nil {
		// 0 is 1, as in runc 1.5: systemd has no TasksMax=0, and both
		// drivers treat it alike.
		limit := max(*p.Limit, 1)
		if *p.Limit < 0 {
			limit = -1
		}
		s = append(s, setting{field: "pids.limit", v1Ctrl: "pids", v1: "pids.max", v2: "pids.max", v2Value: v2Max(limit), value: v2Max(limit)})
	}
	s = append(s, blockIOSettings(r.BlockIO)...)
	for i, h := range r.HugepageLimits {
		v := strconv.FormatUint(h.Limit, 10)
		s = append(s, setting{field: fmt.Sprintf("hugepageLimits[%d]", i), v1Ctrl: "hugetlb", v1: "hugetlb." + h.Pagesize + ".limit_in_bytes", v2: "hugetlb." + h.Pagesize + ".max", v2Value: v, value: v},
			// The reservation limit too, where the kernel has one (5.7+),
			// as runc sets it: pages reserved but not faulted count there.
			setting{field: fmt.Sprintf("hugepageLimits[%d]", i), v1Ctrl: "hugetlb", v1: "hugetlb." + h.Pagesize + ".rsvd.limit_in_bytes", v2: "hugetlb." + h.Pagesize + ".rsvd.max", v2Value: v, value: v, optional: true})
	}
	if n := r.Network; n != nil {
		if n.ClassID != nil {
			s = append(s, setting{field: "network.classID", v1Ctrl: "net_cls", v1: "net_cls.classid", value: strconv.FormatUint(uint64(*n.ClassID), 10)})
		}
		for i, p := range n.Priorities {
			s = append(s, setting{field: fmt.Sprintf("network.priorities[%d]", i), v1Ctrl: "net_prio", v1: "net_prio.ifpriomap", value: p.Name + " " + strconv.FormatUint(uint64(p.Priority), 10)})
		}
	}
	for _, dev := range slices.Sorted(maps.Keys(r.Rdma)) {
		l := r.Rdma[dev]
		var parts []string
		if l.HcaHandles != nil {
			parts = append(parts, "hca_handle="+strconv.FormatUint(uint64(*l.HcaHandles), 10))
		}
		if l.HcaObjects != nil {
			parts = append(parts, "hca_object="+strconv.FormatUint(uint64(*l.HcaObjects), 10))
		}
		v := dev + " " + strings.Join(parts, " ")
		s = append(s, setting{field: "rdma." + dev, v1Ctrl: "rdma", v1: "rdma.max", v2: "rdma.max", v2Value: v, value: v})
	}
	for _, key := range slices.Sorted(maps.Keys(r.Unified)) {
		s = append(s, setting{field: "unified." + key, v2: key, v2Value: r.Unified[key]})
	}
	return s
}

// blockIOSettings are linux.resources.blockIO's: v1 blkio files, or
// cgroup2's io.weight (converted from blkio's 10..1000 scale) and io.max.
func blockIOSettings(b *specs.LinuxBlockIO) []setting {
	if b == nil {
		return nil
	}
	var s []setting
	if b.Weight != nil && *b.Weight != 0 {
		v := strconv.FormatUint(uint64(*b.Weight), 10)
		s = append(s, setting{field: "blockIO.weight", v1Ctrl: "blkio", v1: "blkio.weight", v2: "io.weight", v2Value: "default " + strconv.FormatUint(blkioToIOWeight(uint64(*b.Weight)), 10), value: v,
			bfq: "blkio.bfq.weight", bfqV2: "io.bfq.weight", bfqValue: "default " + v})
	}
	if b.LeafWeight != nil && *b.LeafWeight != 0 {
		s = append(s, setting{field: "blockIO.leafWeight", v1Ctrl: "blkio", v1: "blkio.leaf_weight", value: strconv.FormatUint(uint64(*b.LeafWeight), 10)})
	}
	for i, d := range b.WeightDevice {
		dev := fmt.Sprintf("%d:%d", d.Major, d.Minor)
		if d.Weight != nil && *d.Weight != 0 {
			v := dev + " " + strconv.FormatUint(uint64(*d.Weight), 10)
			s = append(s, setting{field: fmt.Sprintf("blockIO.weightDevice[%d]", i), v1Ctrl: "blkio", v1: "blkio.weight_device", v2: "io.weight", v2Value: dev + " " + strconv.FormatUint(blkioToIOWeight(uint64(*d.Weight)), 10), value: v,
				bfq: "blkio.bfq.weight_device", bfqV2: "io.bfq.weight", bfqValue: v})
		}
		if d.LeafWeight != nil && *d.LeafWeight != 0 {
			s = append(s, setting{field: fmt.Sprintf("blockIO.weightDevice[%d].leafWeight", i), v1Ctrl: "blkio", v1: "blkio.leaf_weight_device", value: dev + " " + strconv.FormatUint(uint64(*d.LeafWeight), 10)})
		}
	}
	throttles := []struct {
		field, v1, v2 string
		list          []specs.LinuxThrottleDevice
	}{
		{"throttleReadBpsDevice", "blkio.throttle.read_bps_device", "rbps", b.ThrottleReadBpsDevice},
		{"throttleWriteBpsDevice", "blkio.throttle.write_bps_device", "wbps", b.ThrottleWriteBpsDevice},
		{"throttleReadIOPSDevice", "blkio.throttle.read_iops_device", "riops", b.ThrottleReadIOPSDevice},
		{"throttleWriteIOPSDevice", "blkio.throttle.write_iops_device", "wiops", b.ThrottleWriteIOPSDevice},
	}
	for _, t := range throttles {
		for i, d := range t.list {
			dev := fmt.Sprintf("%d:%d", d.Major, d.Minor)
			rate := strconv.FormatUint(d.Rate, 10)
			s = append(s, setting{field: fmt.Sprintf("blockIO.%s[%d]", t.field, i), v1Ctrl: "blkio", v1: t.v1, v2: "io.max", v2Value: dev + " " + t.v2 + "=" + rate, value: dev + " " + rate})
		}
	}
	return s
}

// blkioToIOWeight converts blkio.weight (10..1000) to io.weight (1..10000)
// as runc does.
func blkioToIOWeight(w uint64) uint64 {
	if w == 0 {
		return 0
	}
	return 1 + (w-10)*9999/990
}

// withQuota marks a setting cgroup2 takes as part of another.
const withQuota = "-"

// v2Max writes a limit cgroup2's way: "max" for none (-1 or 0 in the spec).
func v2Max(n int64) string {
	if n <= 0 {
		return "max"
	}
	return strconv.FormatInt(n, 10)
}

// sharesToWeight converts cpu.shares (2..262144) to cpu.weight (1..10000)
// as runc does.
func sharesToWeight(shares uint64) uint64 {
	// runc 1.4's mapping: shares 2, 1024 and 262144 land on weights 1,
	// 100 and 10000, on a curve through them in the log of the shares
	// (the older linear one gave 1024 shares weight 39, not the default).
	switch {
	case shares == 0:
		return 0
	case shares <= 2:
		return 1
	case shares >= 262144:
		return 10000
	}
	l := math.Log2(float64(shares))
	return uint64(math.Ceil(math.Pow(10, (l*l+125*l)/612-7.0/34)))
}

// defaultDeviceRules are what every container may use whatever its rules
// say, as in runc: making any node, the standard devices, ttys and ptys.
var defaultDeviceRules = []specs.LinuxDeviceCgroup{
	{Allow: true, Type: "c", Access: "m"}, {Allow: true, Type: "b", Access: "m"},
	charDevice(1, 3), charDevice(1, 5), charDevice(1, 7), charDevice(1, 8), charDevice(1, 9),
	charDevice(5, 0), charDevice(5, 1), charDevice(5, 2), charDevice(136, -1),
}

// charDevice allows all access to c major:minor (any minor if -1).
func charDevice(major, minor int64) specs.LinuxDeviceCgroup {
	r := specs.LinuxDeviceCgroup{Allow: true, Type: "c", Major: &major, Access: "rwm"}
	if minor >= 0 {
		r.Minor = &minor
	}
	return r
}

// applyDevices applies linux.resources.devices: everything denied, then
// the rules in order, then the defaults. v1 has the devices cgroup's
// files; cgroup2 gets an eBPF program of the same rules.
func applyDevices(paths map[string]string, rules []specs.LinuxDeviceCgroup) error {
	dir := v1Dir(paths, "devices")
	if dir == "" {
		if paths[Unified] == "" {
			return nil
		}
		all := append([]specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}}, rules...)
		return attachDeviceFilter(paths[Unified], append(all, defaultDeviceRules...))
	}
	if err := writeFile(dir, "devices.deny", "a"); err != nil {
		return fmt.Errorf("linux.resources.devices: %w", err)
	}
	for i, r := range rules {
		file := "devices.deny"
		if r.Allow {
			file = "devices.allow"
		}
		if err := writeFile(dir, file, deviceRule(r)); err != nil {
			return fmt.Errorf("linux.resources.devices[%d]: %w", i, err)
		}
	}
	for _, r := range defaultDeviceRules {
		if err := writeFile(dir, "devices.allow", deviceRule(r)); err != nil {
			return fmt.Errorf("linux.resources.devices (default %q): %w", deviceRule(r), err)
		}
	}
	return nil
}

// deviceRule is a rule in the devices cgroup's "type major:minor access".
func deviceRule(r specs.LinuxDeviceCgroup) string {
	typ, major, minor, access := r.Type, "*", "*", deviceAccess(r.Access)
	if typ == "" {
		typ = "a"
	}
	if r.Major != nil {
		major = strconv.FormatInt(*r.Major, 10)
	}
	if r.Minor != nil {
		minor = strconv.FormatInt(*r.Minor, 10)
	}
	return fmt.Sprintf("%s %s:%s %s", typ, major, minor, access)
}

// deviceAccess is a rule's access as the kernel takes it: r, w and m, in
// that order. Other letters are ignored, as runc ignores them ("rwa" is
// "rw"); none at all is every access.
func deviceAccess(access string) string {
	var out string
	for _, c := range "rwm" {
		if strings.ContainsRune(access, c) {
			out += string(c)
		}
	}
	if out == "" {
		return "rwm"
	}
	return out
}

// writeSettings writes each setting to a v1 hierarchy with the
// controller, else to cgroup2 where the controller is enabled. Errors name
// the resource and the file. With undo it is all or nothing: when one
// write fails, the files already written get their values back (runc's
// update does the same), so that a refused update changes no limit. A
// new container's cgroups need no undo: a failed create removes them.
func writeSettings(paths map[string]string, settings []setting, undo bool) (err error) {
	var restores []func() error
	defer func() {
		if err != nil {
			for i := len(restores) - 1; i >= 0; i-- {
				if uerr := restores[i](); uerr != nil {
					err = fmt.Errorf("%w (and restoring the values before: %v)", err, uerr)
				}
			}
		}
	}()
	for _, s := range orderPeriods(paths, orderSwap(paths, settings)) {
		dir, file, value := v1Dir(paths, s.v1Ctrl), s.v1, s.value
		if dir == "" {
			if s.v2 == withQuota {
				continue
			}
			if s.v2 == "" || paths[Unified] == "" {
				return fmt.Errorf("linux.resources.%s: no cgroup on this host takes it", s.field)
			}
			dir, file, value = paths[Unified], s.v2, s.v2Value
			if s.bfqV2 != "" && exists(dir, s.bfqV2) {
				file, value = s.bfqV2, s.bfqValue
			}
		} else if s.bfq != "" && !exists(dir, file) {
			file = s.bfq
		}
		if _, err := os.Stat(filepath.Join(dir, file)); err != nil {
			if s.optional {
				continue
			}
			return fmt.Errorf("linux.resources.%s: this kernel has no %s", s.field, filepath.Join(dir, file))
		}
		var restore func() error
		if undo {
			restore = previous(dir, file)
		}
		if err := writeLines(dir, file, value); err != nil {
			return fmt.Errorf("linux.resources.%s: %w", s.field, err)
		}
		if restore != nil {
			restores = append(restores, restore)
		}
		if s.clamped && file == s.v1 {
			if err := checkClamp(dir, file, value); err != nil {
				return fmt.Errorf("linux.resources.%s: %w", s.field, err)
			}
		}
	}
	return nil
}

// checkClamp reads back a file written with want, in runc's words when
// the kernel kept another value.
func checkClamp(dir, file, want string) error {
	b, err := os.ReadFile(filepath.Join(dir, file))
	if err != nil {
		return err
	}
	got := strings.TrimSpace(string(b))
	w, werr := strconv.ParseUint(want, 10, 64)
	g, gerr := strconv.ParseUint(got, 10, 64)
	switch {
	case werr != nil || gerr != nil || w == g:
		return nil
	case w > g:
		return fmt.Errorf("the maximum allowed %s is %s", file, got)
	default:
		return fmt.Errorf("the minimum allowed %s is %s", file, got)
	}
}

// previous returns what writes a cgroup file's value back as it is now,
// or nil when that is not one line (a per-device list) or not readable.
func previous(dir, file string) func() error {
	b, err := os.ReadFile(filepath.Join(dir, file))
	old := strings.TrimSpace(string(b))
	if err != nil || old == "" || strings.Contains(old, "\n") {
		return nil
	}
	return func() error { return writeFile(dir, file, old) }
}

// orderSwap puts a v1 memory+swap limit before the memory limit when it
// grows: the kernel keeps memory.limit_in_bytes <= memory.memsw.limit_in_bytes
// at every write, so a raise of both must start with memsw, a cut with
// the memory limit.
func orderSwap(paths map[string]string, settings []setting) []setting {
	li, si := -1, -1
	for i, s := range settings {
		switch s.field {
		case "memory.limit":
			li = i
		case "memory.swap":
			si = i
		}
	}
	dir := v1Dir(paths, "memory")
	if li < 0 || si < 0 || si < li || dir == "" {
		return settings
	}
	cur, err := os.ReadFile(filepath.Join(dir, "memory.memsw.limit_in_bytes"))
	if err != nil {
		return settings
	}
	curSwap, _ := strconv.ParseInt(strings.TrimSpace(string(cur)), 10, 64)
	newSwap, _ := strconv.ParseInt(settings[si].value, 10, 64)
	if newSwap != -1 && newSwap <= curSwap {
		return settings
	}
	out := append([]setting(nil), settings...)
	out[li], out[si] = settings[si], settings[li]
	return out
}

// orderPeriods puts a quota before its period when the period shrinks:
// the kernel checks each write against the other value (the realtime
// runtime may not exceed its period; a cfs quota over a shorter period
// may exceed what a parent allows), so a cut starts with the quota, a
// raise with the period.
func orderPeriods(paths map[string]string, settings []setting) []setting {
	dir := v1Dir(paths, "cpu")
	if dir == "" {
		return settings
	}
	out := settings
	for _, pair := range [][3]string{{"cpu.period", "cpu.quota", "cpu.cfs_period_us"}, {"cpu.realtimePeriod", "cpu.realtimeRuntime", "cpu.rt_period_us"}} {
		pi := slices.IndexFunc(out, func(s setting) bool { return s.field == pair[0] })
		qi := slices.IndexFunc(out, func(s setting) bool { return s.field == pair[1] })
		if pi < 0 || qi < 0 || qi < pi {
			continue
		}
		cur, err := os.ReadFile(filepath.Join(dir, pair[2]))
		if err != nil {
			continue
		}
		curPeriod, _ := strconv.ParseInt(strings.TrimSpace(string(cur)), 10, 64)
		newPeriod, _ := strconv.ParseInt(out[pi].value, 10, 64)
		if newPeriod >= curPeriod {
			continue
		}
		out = slices.Clone(out)
		out[pi], out[qi] = out[qi], out[pi]
	}
	return out
}

func exists(dir, file string) bool {
	_, err := os.Stat(filepath.Join(dir, file))
	return err == nil
}

// writeLines writes a value of several lines (a unified io.max for two
// devices) one line a write, as cgroup files take them.
func writeLines(dir, file, value string) error {
	if !strings.Contains(strings.TrimSuffix(value, "\n"), "\n") {
		return writeFile(dir, file, value)
	}
	for _, line := range strings.Split(value, "\n") {
		if line == "" {
			continue
		}
		if err := writeFile(dir, file, line); err != nil {
			return err
		}
	}
	return nil
}
