package libcontainer

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/runo-runtime/runo/cgroups"
)

// setting is one value of linux.resources: where it goes in a v1
// hierarchy, and in cgroup2 when no v1 hierarchy has the controller.
type setting struct {
	field       string // JSON path, for errors
	v1Ctrl, v1  string // hierarchy key and file
	v2, v2Value string // cgroup2 file and its value, "" if none
	value       string
}

// resourceSettings lists what r asks for, in the order runc writes it.
func resourceSettings(r *specs.LinuxResources) []setting {
	var s []setting
	if r == nil {
		return nil
	}
	if m := r.Memory; m != nil {
		if m.Limit != nil {
			v := strconv.FormatInt(*m.Limit, 10)
			s = append(s, setting{"memory.limit", "memory", "memory.limit_in_bytes", "memory.max", v2Max(*m.Limit), v})
		}
		if m.Reservation != nil {
			v := strconv.FormatInt(*m.Reservation, 10)
			s = append(s, setting{"memory.reservation", "memory", "memory.soft_limit_in_bytes", "memory.low", v2Max(*m.Reservation), v})
		}
		if m.Swap != nil {
			v := strconv.FormatInt(*m.Swap, 10)
			s = append(s, setting{"memory.swap", "memory", "memory.memsw.limit_in_bytes", "", "", v})
		}
		if m.Swappiness != nil {
			s = append(s, setting{"memory.swappiness", "memory", "memory.swappiness", "", "", strconv.FormatUint(*m.Swappiness, 10)})
		}
	}
	if c := r.CPU; c != nil {
		if c.Shares != nil {
			v := strconv.FormatUint(*c.Shares, 10)
			s = append(s, setting{"cpu.shares", "cpu", "cpu.shares", "cpu.weight", strconv.FormatUint(sharesToWeight(*c.Shares), 10), v})
		}
		if c.Period != nil {
			// cgroup2 takes the period in cpu.max, with the quota if there is one.
			v2, v2Value := "cpu.max", "max "+strconv.FormatUint(*c.Period, 10)
			if c.Quota != nil {
				v2 = withQuota
			}
			s = append(s, setting{"cpu.period", "cpu", "cpu.cfs_period_us", v2, v2Value, strconv.FormatUint(*c.Period, 10)})
		}
		if c.Quota != nil {
			period := uint64(100000)
			if c.Period != nil {
				period = *c.Period
			}
			s = append(s, setting{"cpu.quota", "cpu", "cpu.cfs_quota_us", "cpu.max",
				v2Max(*c.Quota) + " " + strconv.FormatUint(period, 10), strconv.FormatInt(*c.Quota, 10)})
		}
		if c.Cpus != "" {
			s = append(s, setting{"cpu.cpus", "cpuset", "cpuset.cpus", "cpuset.cpus", c.Cpus, c.Cpus})
		}
		if c.Mems != "" {
			s = append(s, setting{"cpu.mems", "cpuset", "cpuset.mems", "cpuset.mems", c.Mems, c.Mems})
		}
	}
	if p := r.Pids; p != nil && p.Limit != nil {
		s = append(s, setting{"pids.limit", "pids", "pids.max", "pids.max", v2Max(*p.Limit), v2Max(*p.Limit)})
	}
	return s
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
	if shares == 0 {
		return 0
	}
	return 1 + ((shares-2)*9999)/262142
}

// v1Dir is the container's directory in the v1 hierarchy that has ctrl,
// alone or mounted with others ("cpu,cpuacct").
func v1Dir(paths map[string]string, ctrl string) string {
	for key, dir := range paths {
		for _, c := range strings.Split(key, ",") {
			if c == ctrl {
				return dir
			}
		}
	}
	return ""
}

// defaultDeviceRules are what every container may use whatever its rules
// say, as in runc: making any node, the standard devices, ttys and ptys.
var defaultDeviceRules = []string{
	"c *:* m", "b *:* m", "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm", "c 1:9 rwm",
	"c 5:0 rwm", "c 5:1 rwm", "c 5:2 rwm", "c 136:* rwm",
}

// applyDevices writes linux.resources.devices to the v1 devices cgroup:
// everything denied, then the rules in order, then the defaults. cgroup2
// needs an eBPF program for this, which runo does not load yet.
func applyDevices(paths map[string]string, rules []specs.LinuxDeviceCgroup) error {
	dir := v1Dir(paths, "devices")
	if dir == "" {
		return nil
	}
	if err := cgroups.WriteFile(dir, "devices.deny", "a"); err != nil {
		return fmt.Errorf("linux.resources.devices: %w", err)
	}
	for i, r := range rules {
		file := "devices.deny"
		if r.Allow {
			file = "devices.allow"
		}
		if err := cgroups.WriteFile(dir, file, deviceRule(r)); err != nil {
			return fmt.Errorf("linux.resources.devices[%d]: %w", i, err)
		}
	}
	for _, rule := range defaultDeviceRules {
		if err := cgroups.WriteFile(dir, "devices.allow", rule); err != nil {
			return fmt.Errorf("linux.resources.devices (default %q): %w", rule, err)
		}
	}
	return nil
}

// deviceRule is a rule in the devices cgroup's "type major:minor access".
func deviceRule(r specs.LinuxDeviceCgroup) string {
	typ, major, minor, access := r.Type, "*", "*", r.Access
	if typ == "" {
		typ = "a"
	}
	if r.Major != nil {
		major = strconv.FormatInt(*r.Major, 10)
	}
	if r.Minor != nil {
		minor = strconv.FormatInt(*r.Minor, 10)
	}
	if access == "" {
		access = "rwm"
	}
	return fmt.Sprintf("%s %s:%s %s", typ, major, minor, access)
}

// applyResources writes linux.resources into the container's cgroups: to a
// v1 hierarchy with the controller, else to cgroup2 where the controller
// is enabled. Errors name the resource and the file.
func applyResources(paths map[string]string, r *specs.LinuxResources) error {
	var devices []specs.LinuxDeviceCgroup
	if r != nil {
		devices = r.Devices
	}
	if err := applyDevices(paths, devices); err != nil {
		return err
	}
	for _, s := range resourceSettings(r) {
		dir, file, value := v1Dir(paths, s.v1Ctrl), s.v1, s.value
		if dir == "" {
			if s.v2 == withQuota {
				continue
			}
			if s.v2 == "" || paths[cgroups.Unified] == "" {
				return fmt.Errorf("linux.resources.%s: no cgroup on this host takes it", s.field)
			}
			dir, file, value = paths[cgroups.Unified], s.v2, s.v2Value
		}
		if _, err := os.Stat(filepath.Join(dir, file)); err != nil {
			return fmt.Errorf("linux.resources.%s: this kernel has no %s", s.field, filepath.Join(dir, file))
		}
		if err := cgroups.WriteFile(dir, file, value); err != nil {
			return fmt.Errorf("linux.resources.%s: %w", s.field, err)
		}
	}
	return nil
}
