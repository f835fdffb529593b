#!/usr/bin/env bats
# A cgroup per container in every hierarchy, v1 and the cgroup2 mount.

load helpers

@test "init is in the container's cgroup in every hierarchy before start" {
	runo create --bundle "$BUNDLE" "$ID"
	pid=$(pid_of "$ID")
	n=0
	while IFS=: read -r _ ctrl path; do
		[ "$ctrl" = "" ] && ctrl=unified
		[[ "$path" == */"$ID" ]] || { echo "$ctrl: $path"; return 1; }
		n=$((n + 1))
	done < /proc/$pid/cgroup
	[ "$n" -ge 1 ]
	for dir in $(cgroup_dirs "$ID"); do
		grep -qx "$pid" "$dir/cgroup.procs"
	done
	runo delete "$ID"
	assert_no_leftovers "$ID" "$pid"
}

@test "the default cgroup is below runo's own, as runc places it" {
	requires_v1
	runo create --bundle "$BUNDLE" "$ID"
	pid=$(pid_of "$ID")
	own=$(grep ':memory:' /proc/self/cgroup | cut -d: -f3)
	grep -qx "[0-9]*:memory:${own%/}/$ID" /proc/$pid/cgroup
}

@test "an absolute cgroupsPath is taken from the hierarchy root and removed on delete" {
	requires_v1
	update_config --arg p "/runo-test-$$/$ID" '.linux.cgroupsPath = $p'
	runo run -d --bundle "$BUNDLE" "$ID"
	pid=$(pid_of "$ID")
	grep -qx "$pid" /sys/fs/cgroup/pids/runo-test-$$/$ID/cgroup.procs
	grep -qx "$pid" /sys/fs/cgroup/unified/runo-test-$$/$ID/cgroup.procs
	runo delete --force "$ID"
	# Parents runo made are removed too.
	[ ! -e /sys/fs/cgroup/pids/runo-test-$$ ]
	[ ! -e /sys/fs/cgroup/unified/runo-test-$$ ]
}

@test "a relative cgroupsPath is placed below runo's own cgroup" {
	requires_v1
	update_config --arg p "runo-rel-$$/$ID" '.linux.cgroupsPath = $p'
	runo run -d --bundle "$BUNDLE" "$ID"
	pid=$(pid_of "$ID")
	grep -qx "$pid" "$(cgroup_dir pids "runo-rel-$$/$ID")/cgroup.procs"
	runo delete --force "$ID"
	[ ! -e "$(cgroup_dir pids "runo-rel-$$")" ]
}

@test "a cgroup that existed before is used and left in place" {
	requires_v1
	mkdir -p /sys/fs/cgroup/pids/runo-pre-$$
	update_config --arg p "/runo-pre-$$" '.linux.cgroupsPath = $p'
	runo run -d --bundle "$BUNDLE" "$ID"
	grep -qx "$(pid_of "$ID")" /sys/fs/cgroup/pids/runo-pre-$$/cgroup.procs
	runo delete --force "$ID"
	[ -d /sys/fs/cgroup/pids/runo-pre-$$ ]
	rmdir /sys/fs/cgroup/pids/runo-pre-$$
}

# check_own_cgroups runs the container and checks that /sys/fs/cgroup shows
# its own cgroups (pid 1 in pids), read-only, every hierarchy included.
check_own_cgroups() {
	set_args sh -c 'sort -n /sys/fs/cgroup/pids/cgroup.procs | head -1; mkdir /sys/fs/cgroup/pids/x 2>&1; ls /sys/fs/cgroup'
	run runo run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1 ]
	[[ "${lines[1]}" == *"Read-only file system"* ]]
	[[ "$output" == *"freezer"* ]]
	[[ "$output" == *"systemd"* ]]
}

@test "CVE-2023-25809: without a cgroup namespace the container sees only its own cgroups, read-only" {
	requires_v1
	# runo spec, as runc spec, makes no cgroup namespace on a v1 or hybrid host.
	[ "$(jq '[.linux.namespaces[] | select(.type == "cgroup")] | length' "$BUNDLE/config.json")" -eq 0 ]
	check_own_cgroups
}

@test "with a cgroup namespace the container's cgroup is its root" {
	requires_v1
	update_config '.linux.namespaces += [{"type": "cgroup"}]'
	run_in 'cat /proc/self/cgroup'
	[ "$status" -eq 0 ]
	while IFS=: read -r _ _ path; do
		[ "$path" = / ] || { echo "$path"; return 1; }
	done <<< "$output"
}

@test "with a cgroup namespace the container sees its own cgroups, read-only" {
	requires_v1
	update_config '.linux.namespaces += [{"type": "cgroup"}]'
	check_own_cgroups
}

@test "a cgroup that cannot be made fails create, naming it, and leaves nothing" {
	requires_v1
	# A cgroup2 parent that takes no more descendants.
	mkdir /sys/fs/cgroup/unified/runo-full-$$
	echo 0 > /sys/fs/cgroup/unified/runo-full-$$/cgroup.max.descendants
	update_config --arg p "/runo-full-$$/$ID" '.linux.cgroupsPath = $p'
	create_fails
	rmdir /sys/fs/cgroup/unified/runo-full-$$
	[[ "$output" == *"creating cgroup /sys/fs/cgroup/unified/runo-full-$$/$ID: mkdir "*": resource temporarily unavailable"* ]]
	[ ! -e "$ROOT/$ID" ]
	[ ! -e /sys/fs/cgroup/pids/runo-full-$$ ]
	[ ! -e /sys/fs/cgroup/memory/runo-full-$$ ]
}

@test "a cgroup that holds another container's processes is refused, and that container is left alone" {
	update_config --arg p "/runo-shared-$$" '.linux.cgroupsPath = $p'
	runo run -d --bundle "$BUNDLE" "$ID"
	local pid
	pid=$(pid_of "$ID")
	run runo create --bundle "$BUNDLE" "$ID-2"
	[ "$status" -ne 0 ]
	[[ "$output" == *"container's cgroup is not empty: 1 process(es) found"* ]]
	[ "$(status_of "$ID")" = running ]
	kill -0 "$pid"
	[ ! -d "$ROOT/$ID-2" ]
}

@test "a cgroup2 directory made before and once emptied with cgroup.kill takes a new init" {
	requires_v1
	# The kernel kills whatever clone3 puts straight into such a cgroup.
	mkdir /sys/fs/cgroup/unified/runo-killed-$$
	echo 1 > /sys/fs/cgroup/unified/runo-killed-$$/cgroup.kill
	update_config --arg p "/runo-killed-$$" '.linux.cgroupsPath = $p'
	run_in 'echo alive'
	rmdir /sys/fs/cgroup/unified/runo-killed-$$
	[ "$status" -eq 0 ]
	[ "$output" = alive ]
}

@test "a v1 cpuset parent left empty by someone else is filled from above, as runc does" {
	requires_v1
	mkdir /sys/fs/cgroup/cpuset/runo-pod-$$
	[ -z "$(cat /sys/fs/cgroup/cpuset/runo-pod-$$/cpuset.cpus)" ]
	update_config --arg p "/runo-pod-$$/$ID" '.linux.cgroupsPath = $p'
	run_in 'echo alive'
	local cpus
	cpus=$(cat /sys/fs/cgroup/cpuset/runo-pod-$$/cpuset.cpus)
	rmdir /sys/fs/cgroup/cpuset/runo-pod-$$
	[ "$output" = alive ]
	[ "$cpus" = "$(cat /sys/fs/cgroup/cpuset/cpuset.cpus)" ]
}

@test "pids.limit 0 is 1 and -1 is max, as runc 1.5 writes them" {
	requires_v1
	update_config '.linux.resources.pids = {"limit": 0}'
	runo run -d --bundle "$BUNDLE" "$ID"
	[ "$(cat "$(cgroup_dir pids "$ID")/pids.max")" = 1 ]
	runo update --pids-limit -1 "$ID"
	[ "$(cat "$(cgroup_dir pids "$ID")/pids.max")" = max ]
	runo update --pids-limit 0 "$ID"
	[ "$(cat "$(cgroup_dir pids "$ID")/pids.max")" = 1 ]
}

@test "device rules take r, w and m only: other letters are ignored, as runc ignores them" {
	# /dev/kmsg, which no default rule allows: writable first, then "wa"
	# takes the writing away (the kernel refuses "a" in a rule).
	update_config '.linux.devices = [{"path": "/dev/kmsg", "type": "c", "major": 1, "minor": 11}]
		| .linux.resources.devices += [{"allow": true, "type": "c", "major": 1, "minor": 11, "access": "rwm"}]'
	run_in 'echo runo-test > /dev/kmsg && echo write-ok'
	[ "$output" = write-ok ]
	update_config '.linux.resources.devices += [{"allow": false, "type": "c", "major": 1, "minor": 11, "access": "wa"}]'
	run_in 'echo runo-test > /dev/kmsg || echo write-denied'
	[[ "$output" == *"Operation not permitted"*write-denied ]]
}

@test "with the host's pid namespace, KILL reaches every process of the container, also once init is gone" {
	requires_v1
	update_config '.linux.namespaces |= map(select(.type != "pid"))'
	set_args sleep 1000
	local kill_init
	for kill_init in no yes; do
		runo run -d --bundle "$BUNDLE" "$ID"
		runo exec -d "$ID" sleep 1001
		runo exec -d "$ID" sleep 1002
		local init pids
		init=$(pid_of "$ID")
		pids=$(cat "$(cgroup_dir pids "$ID")/cgroup.procs")
		[ "$(echo $pids | wc -w)" = 3 ]
		if [ $kill_init = yes ]; then
			kill -9 "$init"
			wait_for_status "$ID" stopped
		fi
		runo kill "$ID" KILL
		local p i
		for i in $(seq 50); do
			[ -z "$(cat "$(cgroup_dir pids "$ID")/cgroup.procs")" ] && break
			sleep 0.1
		done
		[ -z "$(cat "$(cgroup_dir pids "$ID")/cgroup.procs")" ]
		run runo kill "$ID" KILL
		[ "$status" -ne 0 ]
		[[ "$output" == *"container not running"* ]]
		runo delete "$ID"
	done
}

@test "cgroups made below the container's: ps lists their processes, delete --force kills them and removes the cgroups" {
	requires_v1
	update_config '.linux.namespaces |= map(select(.type != "pid"))'
	set_args sleep 1000
	runo run -d --bundle "$BUNDLE" "$ID"
	runo exec -d "$ID" sleep 1001
	local init other c
	init=$(pid_of "$ID")
	other=$(grep -vx "$init" "$(cgroup_dir pids "$ID")/cgroup.procs")
	# As a container with a writable cgroupfs may: a sub-cgroup in each
	# hierarchy, and its second process moved there.
	for c in pids memory freezer cpu; do
		mkdir "$(cgroup_dir $c "$ID")/sub"
		echo "$other" > "$(cgroup_dir $c "$ID")/sub/cgroup.procs"
	done
	[ -z "$(grep -x "$other" "$(cgroup_dir pids "$ID")/cgroup.procs")" ]
	run runo ps --format json "$ID"
	[[ "$output" == *"$other"* ]]
	kill -9 "$init"
	wait_for_status "$ID" stopped
	runo delete --force "$ID"
	wait_dead "$other"
	assert_no_leftovers "$ID"
}
