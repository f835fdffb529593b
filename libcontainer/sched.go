package libcontainer

import (
	"fmt"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

var schedPolicies = map[specs.LinuxSchedulerPolicy]uint32{
	specs.SchedOther: unix.SCHED_NORMAL, specs.SchedFIFO: unix.SCHED_FIFO, specs.SchedRR: unix.SCHED_RR,
	specs.SchedBatch: unix.SCHED_BATCH, specs.SchedIdle: unix.SCHED_IDLE, specs.SchedDeadline: unix.SCHED_DEADLINE,
	// SCHED_ISO was never merged into Linux: refused as unknown.
}

var schedFlags = map[specs.LinuxSchedulerFlag]uint64{
	specs.SchedFlagResetOnFork: unix.SCHED_FLAG_RESET_ON_FORK, specs.SchedFlagReclaim: unix.SCHED_FLAG_RECLAIM,
	specs.SchedFlagDLOverrun: unix.SCHED_FLAG_DL_OVERRUN, specs.SchedFlagKeepPolicy: unix.SCHED_FLAG_KEEP_POLICY,
	specs.SchedFlagKeepParams: unix.SCHED_FLAG_KEEP_PARAMS, specs.SchedFlagUtilClampMin: unix.SCHED_FLAG_UTIL_CLAMP_MIN,
	specs.SchedFlagUtilClampMax: unix.SCHED_FLAG_UTIL_CLAMP_MAX,
}

var ioprioClasses = map[specs.IOPriorityClass]int{
	specs.IOPRIO_CLASS_RT: 1, specs.IOPRIO_CLASS_BE: 2, specs.IOPRIO_CLASS_IDLE: 3,
}

// personalities are the kernel's PER_LINUX and PER_LINUX32.
var personalities = map[specs.LinuxPersonalityDomain]uintptr{
	specs.PerLinux: 0x0000, specs.PerLinux32: 0x0008,
}

// validateSched checks process.scheduler and process.ioPriority.
func validateSched(p *specs.Process) error {
	if s := p.Scheduler; s != nil {
		if _, ok := schedPolicies[s.Policy]; !ok {
			return fmt.Errorf("process.scheduler.policy: unknown %q", s.Policy)
		}
		if s.Nice < -20 || s.Nice > 19 {
			return fmt.Errorf("process.scheduler.nice: %d is outside -20..19", s.Nice)
		}
		for i, f := range s.Flags {
			if _, ok := schedFlags[f]; !ok {
				return fmt.Errorf("process.scheduler.flags[%d]: unknown %q", i, f)
			}
		}
	}
	if io := p.IOPriority; io != nil {
		if _, ok := ioprioClasses[io.Class]; !ok {
			return fmt.Errorf("process.ioPriority.class: unknown %q", io.Class)
		}
		if io.Priority < 0 || io.Priority > 7 {
			return fmt.Errorf("process.ioPriority.priority: %d is outside 0..7", io.Priority)
		}
	}
	return nil
}

// validatePersonality checks linux.personality.
func validatePersonality(pe *specs.LinuxPersonality) error {
	if pe == nil {
		return nil
	}
	if _, ok := personalities[pe.Domain]; !ok {
		return fmt.Errorf("linux.personality.domain: unknown %q", pe.Domain)
	}
	if len(pe.Flags) > 0 {
		return fmt.Errorf("linux.personality.flags: unknown %q (none are defined)", pe.Flags[0])
	}
	return nil
}

// parseCPUList reads a cpuset list such as "0-2,4".
func parseCPUList(s string) (*unix.CPUSet, error) {
	var set unix.CPUSet
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		b := a
		if err == nil && isRange {
			b, err = strconv.Atoi(hi)
		}
		if err != nil || a < 0 || b < a || b >= 1024 {
			return nil, fmt.Errorf("%q is not a list of cpus", s)
		}
		for c := a; c <= b; c++ {
			set.Set(c)
		}
	}
	return &set, nil
}

// validateAffinity checks process.execCPUAffinity.
func validateAffinity(a *specs.CPUAffinity) error {
	if a == nil {
		return nil
	}
	for field, list := range map[string]string{"initial": a.Initial, "final": a.Final} {
		if list == "" {
			continue
		}
		if _, err := parseCPUList(list); err != nil {
			return fmt.Errorf("process.execCPUAffinity.%s: %w", field, err)
		}
	}
	return nil
}
