#!/usr/bin/env bats
# The systemd cgroup driver (--systemd-cgroup): a transient scope per
# container, made and removed over D-Bus, with systemd as PID 1: on pure
# cgroup v2 (the v2 guest) and on cgroup v1 (the same guest booted with
# systemd.unified_cgroup_hierarchy=0); make test-vm runs both.

load helpers

setup() {
	[ "$(cat /proc/1/comm)" = systemd ] || skip "needs systemd as PID 1"
	runo_setup
}

teardown() {
	# A containerd left running would hold bats' output open.
	[ -z "${CONTAINERD_PID:-}" ] || kill "$CONTAINERD_PID" 2>/dev/null || true
	runo_teardown
}

@test "--systemd-cgroup puts the container in a transient scope with Delegate=yes, its limits as properties and files" {
	requires_v2
	update_config '.linux.cgroupsPath = "system.slice:runo-test:'"$ID"'"
		| .linux.resources = {memory: {limit: 67108864}, pids: {limit: 50}, cpu: {shares: 2048, quota: 50000, period: 100000}}'
	set_args sh -c 'cat /proc/self/cgroup; cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max; sleep 1000'
	runo --systemd-cgroup run -d --bundle "$BUNDLE" "$ID" > "$BATS_TEST_TMPDIR/out"
	local unit=runo-test-$ID.scope dir=/sys/fs/cgroup/system.slice/runo-test-$ID.scope
	for i in $(seq 50); do [ -s "$BATS_TEST_TMPDIR/out" ] && break; sleep 0.1; done
	sleep 0.2
	run cat "$BATS_TEST_TMPDIR/out"
	[[ "$output" == *"67108864"*"50"* ]]
	systemctl is-active "$unit"
	[ "$(systemctl show -p Delegate --value "$unit")" = yes ]
	[ "$(systemctl show -p MemoryMax --value "$unit")" = 67108864 ]
	[ "$(systemctl show -p TasksMax --value "$unit")" = 50 ]
	[ "$(systemctl show -p CPUQuotaPerSecUSec --value "$unit")" = 500ms ]
	[ "$(cat "$dir/memory.max")" = 67108864 ]
	[ "$(cat "$dir/cpu.max")" = "50000 100000" ]
	grep -qx "$(pid_of "$ID")" "$dir/cgroup.procs"
	# exec joins the scope; update and pause act on it.
	# (the container's cgroup namespace is rooted at the scope)
	run runo --systemd-cgroup exec "$ID" cat /proc/self/cgroup
	[ "$output" = "0::/" ]
	runo --systemd-cgroup update --memory 134217728 "$ID"
	[ "$(cat "$dir/memory.max")" = 134217728 ]
	runo --systemd-cgroup pause "$ID"
	[ "$(cat "$dir/cgroup.freeze")" = 1 ]
	runo --systemd-cgroup resume "$ID"
	# delete stops the scope, and systemd removes its cgroup.
	runo --systemd-cgroup delete -f "$ID"
	run systemctl is-active "$unit"
	[ "$output" != active ]
	[ ! -d "$dir" ]
}

@test "--systemd-cgroup without a cgroupsPath uses system.slice:runo:<id>; a bad path is refused naming it" {
	set_args true
	runo --systemd-cgroup run --bundle "$BUNDLE" "$ID"
	run systemctl is-active "runo-$ID.scope"
	[ "$output" != active ]
	update_config '.linux.cgroupsPath = "/not/a/slice/path"'
	run runo --systemd-cgroup run --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *'linux.cgroupsPath \"/not/a/slice/path\": with --systemd-cgroup it is slice:prefix:name'* ]]
	assert_no_leftovers "$ID"
}

@test "containerd with SystemdCgroup runs a container through runo in a scope whose memory limit systemd shows" {
	requires_v2
	command -v containerd > /dev/null || skip "no containerd"
	local d=$BATS_TEST_TMPDIR/containerd image=docker.io/library/busybox:runo
	mkdir -p "$d"
	cat > "$d/config.toml" <<-EOF2
		version = 2
		root = "$d/root"
		state = "$d/state"
		disabled_plugins = ["io.containerd.grpc.v1.cri"]
		[grpc]
		  address = "$d/sock"
	EOF2
	containerd --config "$d/config.toml" > "$d/log" 2>&1 &
	CONTAINERD_PID=$!
	local i
	for i in $(seq 200); do [ -S "$d/sock" ] && break; sleep 0.1; done
	"$REPO/tests/e2e/mkimage.sh" "$REPO/build/rootfs" "$d/image.tar" "$image"
	ctr -a "$d/sock" -n runo images import "$d/image.tar" > /dev/null
	ctr -a "$d/sock" -n runo run -d --runc-binary "$RUNO_BIN" --runc-systemd-cgroup --cgroup "system.slice:ctr:$ID" \
		--memory-limit 67108864 "$image" "$ID" sleep 1000
	local unit=ctr-$ID.scope
	run systemctl status "$unit"
	echo "$output"
	ctr -a "$d/sock" -n runo task kill -s KILL "$ID" || true
	sleep 0.5
	ctr -a "$d/sock" -n runo task delete "$ID" || true
	ctr -a "$d/sock" -n runo containers delete "$ID" || true
	[[ "$output" == *"Active: active"* ]]
	[[ "$output" == *"Memory: "*"max: 64.0M"* ]]
	[[ "$output" == *"sleep 1000"* ]]
}

@test "--systemd-cgroup on cgroup v1: the scope in the hierarchies systemd manages, runo's cgroups in the others, device rules as systemd properties that survive a reload" {
	requires_v1
	update_config '.linux.cgroupsPath = "system.slice:runo-test:'"$ID"'"
		| .linux.resources = {memory: {limit: 67108864}, pids: {limit: 50}, cpu: {shares: 2048, quota: 50000, period: 100000}}'
	set_args sleep 1000
	runo --systemd-cgroup run -d --bundle "$BUNDLE" "$ID"
	local unit=runo-test-$ID.scope rel=system.slice/runo-test-$ID.scope pid c
	pid=$(pid_of "$ID")
	systemctl is-active "$unit"
	[ "$(systemctl show -p Delegate --value "$unit")" = yes ]
	[ "$(systemctl show -p DevicePolicy --value "$unit")" = strict ]
	systemctl show -p DeviceAllow --value "$unit" | grep -q "/dev/char/1:3 rwm"
	[ "$(cat "/sys/fs/cgroup/memory/$rel/memory.limit_in_bytes")" = 67108864 ]
	[ "$(cat "/sys/fs/cgroup/pids/$rel/pids.max")" = 50 ]
	[ "$(cat "/sys/fs/cgroup/cpu,cpuacct/$rel/cpu.cfs_quota_us")" = 50000 ]
	for c in systemd memory pids cpu,cpuacct devices freezer cpuset; do
		grep -qx "$pid" "/sys/fs/cgroup/$c/$rel/cgroup.procs"
	done
	grep -qx "c 1:3 rwm" "/sys/fs/cgroup/devices/$rel/devices.list"
	! grep -q "^a " "/sys/fs/cgroup/devices/$rel/devices.list"
	# systemd rewrites the devices cgroup on a reload, from the properties.
	systemctl daemon-reload
	! grep -q "^a " "/sys/fs/cgroup/devices/$rel/devices.list"
	runo --systemd-cgroup pause "$ID"
	[ "$(cat "/sys/fs/cgroup/freezer/$rel/freezer.state")" = FROZEN ]
	runo --systemd-cgroup resume "$ID"
	run runo --systemd-cgroup exec "$ID" cat /proc/self/cgroup
	[[ "$output" == *":memory:/$rel"* ]]
	runo --systemd-cgroup update --memory 134217728 "$ID"
	[ "$(cat "/sys/fs/cgroup/memory/$rel/memory.limit_in_bytes")" = 134217728 ]
	runo --systemd-cgroup delete -f "$ID"
	run systemctl is-active "$unit"
	[ "$output" != active ]
	for c in systemd memory pids devices freezer cpuset; do
		[ ! -d "/sys/fs/cgroup/$c/$rel" ]
	done
}

@test "--systemd-cgroup keeps a CPU period without quota when systemd later rewrites the unit's files; idle wins over a weight" {
	update_config '.linux.cgroupsPath = "system.slice:runo-test:'"$ID"'"
		| .linux.resources = {pids: {limit: 30}, cpu: {period: 1000000}}'
	set_args sleep 1000
	runo --systemd-cgroup run -d --bundle "$BUNDLE" "$ID"
	local unit=runo-test-$ID.scope rel=system.slice/runo-test-$ID.scope
	# systemd rewrites the quota files, with its own period when there is
	# no quota, whenever a property changes: TasksMax after init runs, and
	# the memory limit of an update.
	period() {
		if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
			cut -d' ' -f2 "/sys/fs/cgroup/$rel/cpu.max"
		else
			cat "/sys/fs/cgroup/cpu,cpuacct/$rel/cpu.cfs_period_us"
		fi
	}
	[ "$(systemctl show -p TasksMax --value "$unit")" = 30 ]
	[ "$(systemctl show -p CPUQuotaPerSecUSec --value "$unit")" = infinity ]
	[ "$(period)" = 1000000 ]
	runo --systemd-cgroup update --memory 67108864 "$ID"
	[ "$(systemctl show -p MemoryLimit -p MemoryMax --value "$unit" | grep -c 67108864)" -ge 1 ]
	[ "$(period)" = 1000000 ]
	[ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ] || return 0
	# cpu.idle is CPUWeight=0 to systemd, which has one weight: a weight
	# asked with it is dropped (the kernel refuses one on an idle cgroup).
	run runo --systemd-cgroup update -r - "$ID" <<< '{"unified": {"cpu.idle": "1", "cpu.weight": "8"}}'
	[ "$status" -eq 0 ]
	[[ "$output" == *"unable to apply both CPUWeight and CpuIdle"* ]]
	[ "$(cat "/sys/fs/cgroup/$rel/cpu.idle")" = 1 ]
	run systemctl show -p CPUWeight --value "$unit"
	[[ "$output" == 0 || "$output" == idle ]]
	# A weight alone ends idleness.
	runo --systemd-cgroup update -r - "$ID" <<< '{"unified": {"cpu.weight": "8"}}'
	[ "$(cat "/sys/fs/cgroup/$rel/cpu.idle")" = 0 ]
	[ "$(cat "/sys/fs/cgroup/$rel/cpu.weight")" = 8 ]
	[ "$(systemctl show -p CPUWeight --value "$unit")" = 8 ]
	[ "$(period)" = 1000000 ]
}

@test "--systemd-cgroup: org.systemd.property annotations go to the unit; delete forgets a failed unit; a bad one is refused" {
	update_config '.linux.cgroupsPath = "system.slice:runo-test:'"$ID"'"
		| .annotations += {"org.systemd.property.RuntimeMaxSec": "2", "org.systemd.property.TimeoutStopSec": "1"}'
	set_args sleep 100
	runo --systemd-cgroup run -d --bundle "$BUNDLE" "$ID"
	local unit=runo-test-$ID.scope
	[ "$(systemctl show -p RuntimeMaxUSec --value "$unit")" = 2s ]
	# systemd stops the scope after 2 s: it failed, and stays loaded.
	wait_for_status "$ID" stopped || { sleep 5 && wait_for_status "$ID" stopped; }
	run systemctl status "$unit"
	[ "$status" -eq 3 ]
	runo --systemd-cgroup delete "$ID"
	run systemctl status "$unit"
	[ "$status" -eq 4 ]
	update_config '.annotations += {"org.systemd.property.RuntimeMaxSec": "'"'"'two'"'"'"}'
	run runo --systemd-cgroup create --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *'annotations[\"org.systemd.property.RuntimeMaxSec\"]: RuntimeMaxSec is in seconds'* ]]
	assert_no_leftovers "$ID"
}

@test "--systemd-cgroup delegates the scope to the container's root with its own user and cgroup namespaces and a writable cgroupfs" {
	requires_v2
	chown -R 100000:100000 "$BUNDLE/rootfs"
	searchable_by_all "$BUNDLE"
	update_config '.linux.cgroupsPath = "system.slice:runo-test:'"$ID"'"
		| .linux.namespaces += [{type: "user"}]
		| .linux.uidMappings = [{hostID: 100000, containerID: 0, size: 65536}]
		| .linux.gidMappings = [{hostID: 100000, containerID: 0, size: 65536}]
		| .mounts |= map(if .destination == "/sys/fs/cgroup" then .options -= ["ro"] else . end)'
	runo --systemd-cgroup run -d --bundle "$BUNDLE" "$ID"
	local dir=/sys/fs/cgroup/system.slice/runo-test-$ID.scope
	[ "$(stat -c %u "$dir")" = 100000 ]
	[ "$(stat -c %u "$dir/cgroup.procs")" = 100000 ]
	[ "$(stat -c %u "$dir/memory.max")" = 0 ]
	run runo --systemd-cgroup exec "$ID" sh -c 'stat -c %U /sys/fs/cgroup; mkdir /sys/fs/cgroup/sub && echo made'
	[[ "$output" == *root*made* ]]
	runo --systemd-cgroup delete -f "$ID"
	# Read-only, it stays root's.
	update_config '.mounts |= map(if .destination == "/sys/fs/cgroup" then .options += ["ro"] else . end)'
	runo --systemd-cgroup run -d --bundle "$BUNDLE" "$ID"
	[ "$(stat -c %u "$dir")" = 0 ]
}
