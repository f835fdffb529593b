#!/usr/bin/env bats
# linux.resources, written before the process runs and seen from both sides.

load helpers

@test "memory, cpu, cpuset and pids limits are set, inside and outside" {
	requires_v1
	update_config '.linux.resources.pids = {"limit": 10}
		| .linux.resources.memory = {"limit": 67108864}
		| .linux.resources.cpu = {"quota": 50000, "period": 100000, "shares": 512, "cpus": "0"}'
	set_args sh -c 'cd /sys/fs/cgroup; cat pids/pids.max memory/memory.limit_in_bytes cpu/cpu.cfs_quota_us cpu/cpu.cfs_period_us cpu/cpu.shares cpuset/cpuset.cpus'
	run runo run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ "$(echo $output)" = "10 67108864 50000 100000 512 0" ]
	runo run -d --bundle "$BUNDLE" "$ID-d"
	local dir
	dir=$(cgroup_dirs "$ID-d" | grep /pids/)
	[ "$(cat "$dir/pids.max")" = 10 ]
}

@test "the other v1 resources: memory kernel, kernelTCP, swap, OOM killer, cpu burst, idle, realtime, blkio throttles" {
	requires_v1
	update_config '.linux.resources.memory = {"limit": 67108864, "swap": 134217728, "kernel": 268435456, "kernelTCP": 16777216, "disableOOMKiller": true, "useHierarchy": true}
		| .linux.resources.cpu = {"quota": 50000, "period": 100000, "burst": 20000, "idle": 1, "realtimePeriod": 1000000, "realtimeRuntime": 10000}
		| .linux.resources.blockIO = {"throttleReadBpsDevice": [{"major": 254, "minor": 0, "rate": 1048576}],
			"throttleWriteIOPSDevice": [{"major": 254, "minor": 0, "rate": 100}]}'
	set_args sh -c 'cd /sys/fs/cgroup; cat memory/memory.memsw.limit_in_bytes memory/memory.kmem.tcp.limit_in_bytes; grep oom_kill_disable memory/memory.oom_control; cat memory/memory.use_hierarchy cpu/cpu.cfs_burst_us cpu/cpu.idle cpu/cpu.rt_period_us cpu/cpu.rt_runtime_us blkio/blkio.throttle.read_bps_device blkio/blkio.throttle.write_iops_device'
	run runo --log-format json run --bundle "$BUNDLE" "$ID"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *'"level":"warning","msg":"linux.resources.memory.kernel is ignored, as runc ignores it'* ]]
	[ "$(echo ${lines[@]:1})" = "134217728 16777216 oom_kill_disable 1 1 20000 1 1000000 10000 254:0 1048576 254:0 100" ]
}

@test "resources the host has no cgroup for are refused, naming them; bad values are refused before anything is made" {
	update_config '.linux.resources.network = {"classID": 1048577}'
	create_fails
	[[ "$output" == *"linux.resources.network.classID: no cgroup on this host takes it"* ]]
	assert_no_leftovers "$ID"
	update_config 'del(.linux.resources.network) | .linux.resources.unified = {"cgroup.procs": "1"}'
	create_fails
	[[ "$output" == *'linux.resources.unified: \"cgroup.procs\" may not be set'* ]]
	assert_no_leftovers "$ID"
	update_config '.linux.resources.unified = {"memory.nope": "1"}'
	create_fails
	if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
		[[ "$output" == *"linux.resources.unified.memory.nope: this kernel has no "*"/memory.nope"* ]]
	else
		# As runc: unified resources only on a host with cgroup v2 alone.
		[[ "$output" == *"linux.resources.unified: invalid configuration: cgroup v2 is not the only cgroup hierarchy on this host"* ]]
	fi
	assert_no_leftovers "$ID"
	update_config 'del(.linux.resources.unified) | .linux.resources.memory = {"limit": 2097152, "swap": 1048576}'
	create_fails
	[[ "$output" == *"linux.resources.memory.swap: 1048576 is below memory.limit 2097152"* ]]
	assert_no_leftovers "$ID"
}

@test "pids.limit stops a fork bomb and memory.limit kills a process that passes it" {
	update_config '.linux.resources.pids = {"limit": 10}'
	set_args sh -c 'for i in $(seq 20); do sleep 5 & done; wait'
	run runo run --bundle "$BUNDLE" "$ID"
	[[ "$output" == *"can't fork"* ]]
	update_config 'del(.linux.resources.pids) | .linux.resources.memory = {"limit": 16777216}'
	set_args sh -c 'tail /dev/zero'
	run runo run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 137 ]
}

@test "a value the kernel refuses fails create, naming the resource, and leaves nothing" {
	update_config '.linux.resources.cpu = {"cpus": "99"}'
	create_fails
	[[ "$output" == *'linux.resources.cpu.cpus: writing \"99\" to '*'/cpuset.cpus: '* ]]
	assert_no_leftovers "$ID"
}

@test "cpu.shares out of the kernel's range is refused, not clamped, and leaves nothing" {
	requires_v1
	update_config '.linux.resources.cpu = {"shares": 1}'
	create_fails
	[[ "$output" == *'linux.resources.cpu.shares: the minimum allowed cpu.shares is 2'* ]]
	assert_no_leftovers "$ID"
	update_config '.linux.resources.cpu = {"shares": 262145}'
	create_fails
	[[ "$output" == *'the maximum allowed cpu.shares is 262144'* ]]
	assert_no_leftovers "$ID"
}

# with_mknod lets the container's root make device nodes (it may, by
# default, only use the standard ones).
with_mknod() {
	update_config '.process.capabilities |= (.bounding += ["CAP_MKNOD"] | .effective += ["CAP_MKNOD"] | .permitted += ["CAP_MKNOD"])'
}

@test "devices: only the default devices and those allowed can be opened" {
	requires_v1
	# /dev/fuse, c 10:229: not a default device.
	with_mknod
	set_args sh -c 'mknod /dev/fuse c 10 229 && (exec 3<> /dev/fuse) && echo opened; head -c1 /dev/zero | wc -c'
	run runo run --bundle "$BUNDLE" "$ID"
	[[ "$output" == *"/dev/fuse: Operation not permitted"* ]]
	[[ "$output" != *opened* ]]
	[ "${lines[-1]}" = 1 ]
	update_config '.linux.resources.devices += [{"allow": true, "type": "c", "major": 10, "minor": 229, "access": "rw"}]'
	run runo run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = opened ]
	# From outside: the rule is in the container's devices cgroup, nothing more.
	runo run -d --bundle "$BUNDLE" "$ID-d"
	local list
	list=$(cat "$(cgroup_dirs "$ID-d" | grep /devices/)/devices.list")
	[[ "$list" == *"c 10:229 rw"* ]]
	[[ "$list" != *"a *:* rwm"* ]]
}

@test "block I/O weights go to BFQ's files where the kernel has no CFQ, as runc writes them" {
	requires_v1
	local img=$BATS_TEST_TMPDIR/img dev
	truncate -s 1M "$img"
	dev=$(losetup --find --show "$img")
	echo bfq > "/sys/block/${dev#/dev/}/queue/scheduler" 2>/dev/null || true
	if ! grep -qw '\[bfq\]' "/sys/block/${dev#/dev/}/queue/scheduler"; then
		losetup -d "$dev"
		skip "no BFQ scheduler for loop devices here"
	fi
	local major minor
	IFS=: read -r major minor <<< "$(lsblk -nd -o MAJ:MIN "$dev" | tr -d ' ')"
	update_config --argjson ma "$major" --argjson mi "$minor" '.linux.resources.blockIO = {weight: 333, weightDevice: [{major: $ma, minor: $mi, weight: 444}]}'
	set_args sh -c 'cat /sys/fs/cgroup/blkio/blkio.bfq.weight /sys/fs/cgroup/blkio/blkio.bfq.weight_device'
	run runo run --bundle "$BUNDLE" "$ID"
	losetup -d "$dev"
	[ "$status" -eq 0 ]
	[[ "$output" == *"333"* ]]
	[[ "$output" == *"$major:$minor 444"* ]]
}
