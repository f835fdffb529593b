#!/usr/bin/env bats
# runo update: new limits written to a running container's cgroups, seen
# from inside, and kept for later updates.

load helpers

setup() {
	runo_setup
	update_config '.linux.resources.memory = {"limit": 67108864, "swap": 134217728} | .linux.resources.pids = {"limit": 20}'
	runo run -d --bundle "$BUNDLE" "$ID"
}

# inside prints cgroup files as the container sees them.
inside() {
	runo exec "$ID" sh -c "cd /sys/fs/cgroup; cat $*"
}

@test "update flags set memory, swap, cpu and pids limits, growing and shrinking in the right order" {
	requires_v1
	runo update --memory 256m --memory-swap 512M --memory-reservation 128MiB --cpu-period 50000 --cpu-quota 25000 \
		--cpu-share 512 --cpu-burst 1000 --cpuset-cpus 0 --pids-limit 30 "$ID"
	run inside memory/memory.limit_in_bytes memory/memory.memsw.limit_in_bytes memory/memory.soft_limit_in_bytes \
		cpu/cpu.cfs_period_us cpu/cpu.cfs_quota_us cpu/cpu.shares cpu/cpu.cfs_burst_us cpuset/cpuset.cpus pids/pids.max
	[ "$(echo $output)" = "268435456 536870912 134217728 50000 25000 512 1000 0 30" ]
	runo update --memory 32m --memory-swap 48m "$ID"
	run inside memory/memory.limit_in_bytes memory/memory.memsw.limit_in_bytes
	[ "$(echo $output)" = "33554432 50331648" ]
	runo update --memory -1 --memory-swap -1 --pids-limit -1 "$ID"
	run inside pids/pids.max
	[ "$output" = max ]
}

@test "update --resources takes linux.resources JSON from a file or stdin, and keeps what it does not name" {
	requires_v1
	echo '{"memory": {"limit": 100663296}, "cpu": {"shares": 256}}' | runo update -r - "$ID"
	run inside memory/memory.limit_in_bytes memory/memory.memsw.limit_in_bytes cpu/cpu.shares pids/pids.max
	[ "$(echo $output)" = "100663296 134217728 256 20" ]
	echo '{"pids": {"limit": 9}}' > "$BATS_TEST_TMPDIR/r.json"
	runo update --resources "$BATS_TEST_TMPDIR/r.json" "$ID"
	run inside pids/pids.max
	[ "$output" = 9 ]
	# The merged resources are kept: raising swap alone still sees the
	# memory limit set above.
	runo update --memory-swap 1g "$ID"
	run inside memory/memory.limit_in_bytes memory/memory.memsw.limit_in_bytes
	[ "$(echo $output)" = "100663296 1073741824" ]
	[ "$(jq -c .linux.resources.pids "$ROOT/$ID/config.json")" = '{"limit":9}' ]
}

@test "checkBeforeUpdate refuses a memory limit below the usage" {
	requires_v1
	runo delete --force "$ID"
	update_config '.linux.resources.memory.checkBeforeUpdate = true'
	set_args sh -c 'head -c 20m /dev/zero | tr "\0" x > /dev/shm/fill; sleep 1000'
	runo run -d --bundle "$BUNDLE" "$ID"
	sleep 0.5
	run runo update --memory 4m "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.resources.memory.limit: rejecting memory limit 4194304 below current usage"* ]]
	run inside memory/memory.limit_in_bytes
	[ "$output" = 67108864 ]
}

@test "update errors: bad values name the flag, the kernel's refusals the resource; stopped and missing containers" {
	run runo update --memory 12q "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *'--memory \"12q\": not a size such as 512m or 2g'* ]]
	run runo update --cpu-period x --pids-limit y "$ID"
	[[ "$output" == *'--cpu-period \"x\": not a whole number'* ]]
	run runo update --cpuset-cpus 99 "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *'linux.resources.cpu.cpus: writing \"99\"'* ]]
	if [ -d /sys/fs/cgroup/cpu ]; then
		runo update --cpu-share 512 "$ID"
		run runo update --cpu-share 1 "$ID"
		[ "$status" -ne 0 ]
		[[ "$output" == *'linux.resources.cpu.shares: the minimum allowed cpu.shares is 2'* ]]
		[ "$(inside cpu/cpu.shares)" = 512 ]
	fi
	echo '{"memory": {"limit": "big"}}' > "$BATS_TEST_TMPDIR/r.json"
	run runo update -r "$BATS_TEST_TMPDIR/r.json" "$ID"
	[[ "$output" == *"resources: memory.limit: cannot use a JSON string"* ]]
	run runo update --l3-cache-schema L3:0=f "$ID"
	[[ "$output" == *"--l3-cache-schema: Intel RDT is not supported"* ]]
	run runo update --memory 1g "nonexistent-$ID"
	[[ "$output" == *"container does not exist"* ]]
	runo kill "$ID" KILL
	wait_for_status "$ID" stopped
	run runo update --memory 1g "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"container not running"* ]]
}
