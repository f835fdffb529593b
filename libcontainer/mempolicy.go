package libcontainer

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// linux.memoryPolicy: the NUMA policy init sets on itself with
// set_mempolicy(2) before it executes the process, which inherits it.

var mempolicyModes = map[specs.MemoryPolicyModeType]uintptr{
	specs.MpolDefault: 0, specs.MpolPreferred: 1, specs.MpolBind: 2, specs.MpolInterleave: 3,
	specs.MpolLocal: 4, specs.MpolPreferredMany: 5, specs.MpolWeightedInterleave: 6,
}

var mempolicyFlags = map[specs.MemoryPolicyFlagType]uintptr{
	specs.MpolFNumaBalancing: 1 << 13, specs.MpolFRelativeNodes: 1 << 14, specs.MpolFStaticNodes: 1 << 15,
}

// memoryPolicy returns set_mempolicy's mode (flags or'ed in) and node
// mask, or an error naming the field, with runc's words ("invalid memory
// policy mode") that its users match.
func memoryPolicy(mp *specs.LinuxMemoryPolicy) (uintptr, *unix.CPUSet, error) {
	mode, ok := mempolicyModes[mp.Mode]
	if !ok {
		return 0, nil, fmt.Errorf("linux.memoryPolicy.mode: invalid memory policy mode %q", mp.Mode)
	}
	for i, f := range mp.Flags {
		v, ok := mempolicyFlags[f]
		if !ok {
			return 0, nil, fmt.Errorf("linux.memoryPolicy.flags[%d]: invalid memory policy flag %q", i, f)
		}
		mode |= v
	}
	var nodes unix.CPUSet
	if mp.Nodes != "" {
		set, err := parseCPUList(mp.Nodes)
		if err != nil {
			return 0, nil, fmt.Errorf("linux.memoryPolicy.nodes: invalid memory policy node list %q", mp.Nodes)
		}
		nodes = *set
	}
	switch {
	case (mp.Mode == specs.MpolDefault || mp.Mode == specs.MpolLocal) && mp.Nodes != "":
		return 0, nil, fmt.Errorf("linux.memoryPolicy.nodes: invalid memory policy: %s mode requires 0 nodes but got %d", mp.Mode, nodes.Count())
	case mp.Mode != specs.MpolDefault && mp.Mode != specs.MpolLocal && mp.Mode != specs.MpolPreferred && mp.Nodes == "":
		return 0, nil, fmt.Errorf("linux.memoryPolicy.nodes: invalid memory policy: %s needs nodes", mp.Mode)
	}
	return mode, &nodes, nil
}

func validateMemoryPolicy(mp *specs.LinuxMemoryPolicy) error {
	if mp == nil {
		return nil
	}
	_, _, err := memoryPolicy(mp)
	return err
}
