package commands

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/runo-runtime/runo/libcontainer"
	"github.com/urfave/cli/v3"
)

// updateCommand changes the resources of a container, as runc update.
func updateCommand() *cli.Command {
	str := func(name, usage string, aliases ...string) cli.Flag {
		return &cli.StringFlag{Name: name, Usage: usage, Aliases: aliases}
	}
	return &cli.Command{
		Name:          "update",
		Usage:         "update the resource limits of a container",
		ArgsUsage:     "<container-id>",
		ShellComplete: completeID,
		Flags: []cli.Flag{
			str("resources", "a linux.resources JSON file, or - for stdin; the other flags are then ignored", "r"),
			str("blkio-weight", "block IO weight, 10 to 1000"),
			str("cpu-period", "CPU CFS period in microseconds"),
			str("cpu-quota", "CPU CFS quota in microseconds per period (-1: none)"),
			str("cpu-burst", "CPU CFS burst in microseconds"),
			str("cpu-share", "CPU shares (relative weight)", "cpu-shares"),
			str("cpu-rt-period", "CPU realtime period in microseconds"),
			str("cpu-rt-runtime", "CPU realtime runtime in microseconds"),
			str("cpuset-cpus", "CPUs to run on (0-3, 0,1)"),
			str("cpuset-mems", "memory nodes to use (0-3, 0,1)"),
			str("cpu-idle", "1 to make the cgroup SCHED_IDLE, 0 not to"),
			str("memory", "memory limit, in bytes or with a unit (512m, 2g; -1: none)"),
			str("memory-reservation", "memory soft limit"),
			str("memory-swap", "memory plus swap limit"),
			str("kernel-memory", "kernel memory limit (ignored, as runc ignores it)"),
			str("kernel-memory-tcp", "kernel TCP buffer memory limit"),
			str("pids-limit", "maximum number of processes (-1 or 0: none)"),
			str("l3-cache-schema", "Intel RDT L3 cache schema (not supported)"),
			str("mem-bw-schema", "Intel RDT memory bandwidth schema (not supported)"),
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if err := checkArgs(cmd, 1, true); err != nil {
				return err
			}
			update, err := updateResources(cmd)
			if err != nil {
				return err
			}
			c, err := store(cmd.Root()).Load(cmd.Args().First(), true)
			if err != nil {
				return err
			}
			defer c.Close()
			return c.Update(update)
		},
	}
}

// updateResources is the linux.resources JSON of --resources, or the one
// the flags make.
func updateResources(cmd *cli.Command) ([]byte, error) {
	if path := cmd.String("resources"); path != "" {
		f := os.Stdin
		if path != "-" {
			var err error
			if f, err = os.Open(path); err != nil {
				return nil, fmt.Errorf("--resources: %w", err)
			}
			defer f.Close()
		}
		b, err := libcontainer.ReadInput(f, path)
		if err != nil {
			return nil, fmt.Errorf("--resources: %w", err)
		}
		return b, nil
	}
	for _, name := range []string{"l3-cache-schema", "mem-bw-schema"} {
		if cmd.IsSet(name) {
			return nil, fmt.Errorf("--%s: Intel RDT is not supported", name)
		}
	}
	r := specs.LinuxResources{}
	mem := &specs.LinuxMemory{}
	cpu := &specs.LinuxCPU{}
	var errs []error
	i64 := func(name string, parse func(string) (int64, error)) *int64 {
		if !cmd.IsSet(name) {
			return nil
		}
		v, err := parse(cmd.String(name))
		if err != nil {
			errs = append(errs, fmt.Errorf("--%s %q: %w", name, cmd.String(name), err))
			return nil
		}
		return &v
	}
	u64 := func(name string) *uint64 {
		v := i64(name, parseInt)
		if v == nil {
			return nil
		}
		if *v < 0 {
			errs = append(errs, fmt.Errorf("--%s %d: must not be negative", name, *v))
			return nil
		}
		u := uint64(*v)
		return &u
	}
	mem.Limit = i64("memory", parseBytes)
	mem.Reservation = i64("memory-reservation", parseBytes)
	mem.Swap = i64("memory-swap", parseBytes)
	mem.Kernel = i64("kernel-memory", parseBytes)
	mem.KernelTCP = i64("kernel-memory-tcp", parseBytes)
	cpu.Period = u64("cpu-period")
	cpu.Quota = i64("cpu-quota", parseInt)
	cpu.Burst = u64("cpu-burst")
	cpu.Shares = u64("cpu-share")
	cpu.RealtimePeriod = u64("cpu-rt-period")
	cpu.RealtimeRuntime = i64("cpu-rt-runtime", parseInt)
	cpu.Idle = i64("cpu-idle", parseInt)
	cpu.Cpus, cpu.Mems = cmd.String("cpuset-cpus"), cmd.String("cpuset-mems")
	if w := u64("blkio-weight"); w != nil {
		if *w > 1000 {
			errs = append(errs, fmt.Errorf("--blkio-weight %d: must be 10 to 1000", *w))
		} else {
			weight := uint16(*w)
			r.BlockIO = &specs.LinuxBlockIO{Weight: &weight}
		}
	}
	if p := i64("pids-limit", parseInt); p != nil {
		r.Pids = &specs.LinuxPids{Limit: p}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if *mem != (specs.LinuxMemory{}) {
		r.Memory = mem
	}
	if cpu.Period != nil || cpu.Quota != nil || cpu.Burst != nil || cpu.Shares != nil || cpu.RealtimePeriod != nil ||
		cpu.RealtimeRuntime != nil || cpu.Idle != nil || cpu.Cpus != "" || cpu.Mems != "" {
		r.CPU = cpu
	}
	return json.Marshal(&r)
}

func parseInt(s string) (int64, error) {
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, errors.New("not a whole number")
	}
	return v, nil
}

// parseBytes reads a size as docker and runc take it: a number of bytes,
// or with a binary unit (k, m, g, t, p, optionally followed by b or ib,
// any case); -1 is no limit.
func parseBytes(s string) (int64, error) {
	if s == "-1" {
		return -1, nil
	}
	lower := strings.ToLower(strings.TrimSpace(s))
	lower = strings.TrimSuffix(strings.TrimSuffix(lower, "ib"), "b")
	mult := int64(1)
	if n := len(lower); n > 0 {
		if i := strings.IndexByte("kmgtp", lower[n-1]); i >= 0 {
			mult = int64(1) << (10 * (i + 1))
			lower = lower[:n-1]
		}
	}
	v, err := strconv.ParseFloat(lower, 64)
	if err != nil || v < 0 {
		return 0, errors.New("not a size such as 512m or 2g")
	}
	return int64(v * float64(mult)), nil
}
