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
	runo create --bundle "$BUNDLE" "$ID"
	pid=$(pid_of "$ID")
	own=$(grep ':memory:' /proc/self/cgroup | cut -d: -f3)
	grep -qx "[0-9]*:memory:${own%/}/$ID" /proc/$pid/cgroup
}

@test "an absolute cgroupsPath is taken from the hierarchy root and removed on delete" {
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
	update_config --arg p "runo-rel-$$/$ID" '.linux.cgroupsPath = $p'
	runo run -d --bundle "$BUNDLE" "$ID"
	pid=$(pid_of "$ID")
	grep -qx "$pid" /sys/fs/cgroup/pids/runo-rel-$$/$ID/cgroup.procs
	runo delete --force "$ID"
	[ ! -e /sys/fs/cgroup/pids/runo-rel-$$ ]
}

@test "a cgroup that existed before is used and left in place" {
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
	# runo spec, as runc spec, makes no cgroup namespace on a v1 or hybrid host.
	[ "$(jq '[.linux.namespaces[] | select(.type == "cgroup")] | length' "$BUNDLE/config.json")" -eq 0 ]
	check_own_cgroups
}

@test "with a cgroup namespace the container's cgroup is its root" {
	update_config '.linux.namespaces += [{"type": "cgroup"}]'
	run_in 'cat /proc/self/cgroup'
	[ "$status" -eq 0 ]
	while IFS=: read -r _ _ path; do
		[ "$path" = / ] || { echo "$path"; return 1; }
	done <<< "$output"
}

@test "with a cgroup namespace the container sees its own cgroups, read-only" {
	update_config '.linux.namespaces += [{"type": "cgroup"}]'
	check_own_cgroups
}

@test "a cgroup that refuses the process fails create, naming it, and leaves nothing" {
	# A v1 cpuset cgroup with no cpus takes no tasks; runo uses it as it is.
	mkdir /sys/fs/cgroup/cpuset/runo-empty-$$
	update_config --arg p "/runo-empty-$$" '.linux.cgroupsPath = $p'
	run runo create --bundle "$BUNDLE" "$ID"
	rmdir /sys/fs/cgroup/cpuset/runo-empty-$$
	[ "$status" -ne 0 ]
	[[ "$output" == *"joining cgroup /sys/fs/cgroup/cpuset/runo-empty-$$: no space left on device"* ]]
	[ ! -e "$ROOT/$ID" ]
	[ ! -e /sys/fs/cgroup/pids/runo-empty-$$ ]
	[ ! -e /sys/fs/cgroup/unified/runo-empty-$$ ]
}
