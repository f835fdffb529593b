#!/usr/bin/env bats
# cgroup v2 twins of the v1 tests in cgroups.bats, resources.bats,
# update.bats, pause.bats and events.bats: on a pure cgroup v2 host (the
# guest of make test-vm), with runo's cgroupfs driver.

load helpers

setup() {
	requires_v2
	runo_setup
}

@test "v2: the default cgroup is beside runo's own (below a slice), with every controller enabled down to it" {
	set_args sleep 1000
	runo run -d --bundle "$BUNDLE" "$ID"
	local own dir
	own=$(sed -n 's/^0:://p' /proc/self/cgroup)
	dir=$(procs_dir "$ID")
	# runo runs in a service's cgroup here, which has processes.
	[ "$dir" = "/sys/fs/cgroup$(dirname "$own")/$ID" ]
	local c
	for c in memory pids cpu io; do
		grep -qw "$c" "$(dirname "$dir")/cgroup.subtree_control"
		grep -qw "$c" "$dir/cgroup.controllers"
	done
	runo delete -f "$ID"
	[ ! -d "$dir" ]
}

@test "v2: an absolute cgroupsPath is taken from the root; the parents runo made go on delete, a pre-existing one stays" {
	update_config --arg p "/runo-v2-$$/$ID" '.linux.cgroupsPath = $p'
	set_args sleep 1000
	runo run -d --bundle "$BUNDLE" "$ID"
	grep -qx "$(pid_of "$ID")" "/sys/fs/cgroup/runo-v2-$$/$ID/cgroup.procs"
	runo delete -f "$ID"
	[ ! -e "/sys/fs/cgroup/runo-v2-$$" ]
	mkdir "/sys/fs/cgroup/runo-pre-$$"
	update_config --arg p "/runo-pre-$$" '.linux.cgroupsPath = $p'
	runo run -d --bundle "$BUNDLE" "$ID"
	grep -qx "$(pid_of "$ID")" "/sys/fs/cgroup/runo-pre-$$/cgroup.procs"
	runo delete -f "$ID"
	[ -d "/sys/fs/cgroup/runo-pre-$$" ]
	rmdir "/sys/fs/cgroup/runo-pre-$$"
}

@test "v2: runo spec makes a cgroup namespace, as runc's does: the container's cgroup is its root, mounted read-only" {
	[ "$(jq '[.linux.namespaces[] | select(.type == "cgroup")] | length' "$BUNDLE/config.json")" -eq 1 ]
	run_in 'cat /proc/self/cgroup; cat /sys/fs/cgroup/cgroup.procs | head -1; mkdir /sys/fs/cgroup/x 2>&1; true'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "0::/" ]
	[ "${lines[1]}" = 1 ]
	[[ "${lines[2]}" == *"Read-only file system"* ]]
}

@test "v2: memory, swap, cpu, cpuset, pids and io limits are set, inside and outside" {
	update_config '.linux.resources = {
		memory: {limit: 134217728, reservation: 16777216, swap: 201326592},
		cpu: {shares: 2048, quota: 20000, period: 100000, cpus: "0", mems: "0"},
		pids: {limit: 20}, blockIO: {weight: 500}}'
	set_args sh -c 'cd /sys/fs/cgroup; cat memory.max memory.low memory.swap.max cpu.max cpu.weight cpuset.cpus pids.max; sleep 1000'
	runo run -d --bundle "$BUNDLE" "$ID" > "$BATS_TEST_TMPDIR/out"
	sleep 0.5
	run cat "$BATS_TEST_TMPDIR/out"
	[ "$(echo ${lines[@]})" = "134217728 16777216 67108864 20000 100000 174 0 20" ]
	local dir
	dir=$(procs_dir "$ID")
	[ "$(cat "$dir/memory.max")" = 134217728 ]
	[ "$(cat "$dir/pids.max")" = 20 ]
	if [ -e "$dir/io.bfq.weight" ]; then
		grep -qx "default 500" "$dir/io.bfq.weight"
	else
		# blkio's 10..1000 scaled to io.weight's 1..10000, as runc does.
		grep -qx "default 4950" "$dir/io.weight"
	fi
}

@test "v2: pids.limit 0 is 1, set once init runs; the memory limit kills a process that passes it" {
	update_config '.linux.resources.pids = {limit: 0}'
	set_args sleep 1000
	runo run -d --bundle "$BUNDLE" "$ID"
	[ "$(cat "$(procs_dir "$ID")/pids.max")" = 1 ]
	runo delete -f "$ID"
	update_config '.linux.resources = {memory: {limit: 33554432, swap: 33554432}}'
	set_args sh -c 'x=$(head -c 67108864 /dev/zero | tr "\\0" a); echo survived'
	run runo run --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" != *survived* ]]
}

@test "v2: update sets memory, swap, cpu and pids, and --memory -1 lifts the limits" {
	update_config '.linux.resources = {memory: {limit: 67108864, swap: 100663296}}'
	set_args sleep 1000
	runo run -d --bundle "$BUNDLE" "$ID"
	local dir
	dir=$(procs_dir "$ID")
	runo update --memory 134217728 --memory-swap 268435456 --cpu-quota 50000 --cpu-period 100000 --pids-limit 30 "$ID"
	[ "$(cat "$dir/memory.max")" = 134217728 ]
	[ "$(cat "$dir/memory.swap.max")" = 134217728 ]
	[ "$(cat "$dir/cpu.max")" = "50000 100000" ]
	[ "$(cat "$dir/pids.max")" = 30 ]
	# cpu.max holds both: the one not named stays, as in runc.
	runo update --cpu-period 900000 "$ID"
	[ "$(cat "$dir/cpu.max")" = "50000 900000" ]
	runo update --cpu-quota 60000 "$ID"
	[ "$(cat "$dir/cpu.max")" = "60000 900000" ]
	runo update --memory -1 "$ID"
	[ "$(cat "$dir/memory.max")" = max ]
	[ "$(cat "$dir/memory.swap.max")" = max ]
	echo '{"pids": {"limit": 40}}' | runo update -r - "$ID"
	[ "$(cat "$dir/pids.max")" = 40 ]
}

@test "v2: pause freezes through cgroup.freeze, resume thaws; kill -a uses cgroup.kill" {
	set_args sh -c 'sleep 1000 & sleep 1000'
	runo run -d --bundle "$BUNDLE" "$ID"
	local dir
	dir=$(procs_dir "$ID")
	runo pause "$ID"
	[ "$(status_of "$ID")" = paused ]
	grep -qx "frozen 1" "$dir/cgroup.events"
	runo resume "$ID"
	grep -qx "frozen 0" "$dir/cgroup.events"
	[ "$(status_of "$ID")" = running ]
	runo kill -a "$ID" KILL
	wait_for_status "$ID" stopped
	[ -z "$(cat "$dir/cgroup.procs")" ]
}

@test "v2: events --stats reads the v2 files into runc's field names" {
	update_config '.linux.resources = {memory: {limit: 67108864}, pids: {limit: 50}}'
	set_args sleep 1000
	runo run -d --bundle "$BUNDLE" "$ID"
	run runo events --stats "$ID"
	[ "$status" -eq 0 ]
	[ "$(jq -r .type <<< "$output")" = stats ]
	[ "$(jq -r .data.memory.usage.limit <<< "$output")" = 67108864 ]
	[ "$(jq -r .data.pids.limit <<< "$output")" = 50 ]
	[ "$(jq -r '.data.pids.current > 0' <<< "$output")" = true ]
	[ "$(jq -r '.data.cpu.usage.total > 0' <<< "$output")" = true ]
}

@test "v2: a cgroup that holds another container's processes is refused, and that container is left alone" {
	update_config --arg p "/runo-shared-$$" '.linux.cgroupsPath = $p'
	set_args sleep 1000
	runo run -d --bundle "$BUNDLE" "$ID"
	run runo create --bundle "$BUNDLE" "$ID-2"
	[ "$status" -ne 0 ]
	[[ "$output" == *"container's cgroup is not empty: 1 process(es) found"* ]]
	[ "$(status_of "$ID")" = running ]
}

@test "v2: hugetlb limits set the reservation limit too; a unified value of several lines is written line by line" {
	update_config '.linux.resources = {hugepageLimits: [{pageSize: "2MB", limit: 4194304}],
		unified: {"memory.high": "100000000", "pids.max": "33\n"}}'
	set_args sleep 1000
	runo run -d --bundle "$BUNDLE" "$ID"
	local dir
	dir=$(procs_dir "$ID")
	[ "$(cat "$dir/hugetlb.2MB.max")" = 4194304 ]
	[ "$(cat "$dir/hugetlb.2MB.rsvd.max")" = 4194304 ]
	[ "$(cat "$dir/pids.max")" = 33 ]
}

@test "v2: exec joins init's cgroup when the container's passes controllers to a child of its own" {
	update_config '.mounts |= map(if .destination == "/sys/fs/cgroup" then .options -= ["ro"] | .options += ["rw"] else . end)'
	set_args sleep 1000
	runo run -d --bundle "$BUNDLE" "$ID"
	runo exec "$ID" sh -c 'cd /sys/fs/cgroup && mkdir foo && echo 1 > foo/cgroup.procs && echo $$ > foo/cgroup.procs && echo +memory > cgroup.subtree_control'
	run runo exec "$ID" cat /proc/self/cgroup
	[ "$status" -eq 0 ]
	[ "$output" = "0::/foo" ]
}

@test "v2: cgroups made below the container's: ps lists their processes, delete --force kills them and removes the cgroups" {
	update_config '.linux.namespaces |= map(select(.type != "pid"))'
	set_args sleep 1000
	runo run -d --bundle "$BUNDLE" "$ID"
	runo exec -d "$ID" sleep 1001
	local init other dir
	init=$(pid_of "$ID")
	dir=$(procs_dir "$ID")
	other=$(grep -vx "$init" "$dir/cgroup.procs")
	# As runc's test does from inside: a threaded child with the process.
	mkdir "$dir/sub"
	echo threaded > "$dir/sub/cgroup.type"
	echo "$other" > "$dir/sub/cgroup.threads"
	run runo ps --format json "$ID"
	[[ "$output" == *"$other"* ]]
	kill -9 "$init"
	wait_for_status "$ID" stopped
	runo delete --force "$ID"
	wait_dead "$other"
	[ ! -d "$dir" ]
	assert_no_leftovers "$ID"
}
