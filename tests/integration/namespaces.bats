#!/usr/bin/env bats
# Namespaces made new or joined by path, checked from inside and outside.

load helpers

teardown() {
	netdev_cleanup
	runo_teardown
}

@test "the process is pid 1 in a new pid namespace" {
	run_in 'echo $$; grep NSpid /proc/self/status'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1 ]
}

@test "new namespaces differ from the host's" {
	update_config '.linux.namespaces += [{"type": "time"}] | .linux.namespaces |= (map(select(.type != "cgroup")) + [{"type": "cgroup"}])'
	runo run -d --bundle "$BUNDLE" "$ID"
	pid=$(pid_of "$ID")
	for ns in pid net ipc uts mnt cgroup time; do
		inside=$(readlink /proc/$pid/ns/$ns)
		[ "$inside" != "$(readlink /proc/self/ns/$ns)" ] || { echo "$ns is the host's"; return 1; }
	done
}

@test "hostname and domainname are set in the new uts namespace" {
	update_config '.hostname = "box" | .domainname = "example.org"'
	run_in 'hostname; cat /proc/sys/kernel/domainname'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = box ]
	[ "${lines[1]}" = example.org ]
	[ "$(hostname)" != box ]
}

@test "a namespace given by path is joined" {
	# A holder container whose network and uts namespaces the test joins.
	update_config '.hostname = "holder"'
	runo run -d --bundle "$BUNDLE" "$ID-holder"
	holder=$(pid_of "$ID-holder")
	update_config --arg net /proc/$holder/ns/net --arg uts /proc/$holder/ns/uts \
		'del(.hostname) | .linux.namespaces |= map(if .type == "network" then .path = $net elif .type == "uts" then .path = $uts else . end)'
	runo run -d --bundle "$BUNDLE" "$ID"
	pid=$(pid_of "$ID")
	[ "$(readlink /proc/$pid/ns/net)" = "$(readlink /proc/$holder/ns/net)" ]
	[ "$(readlink /proc/$pid/ns/uts)" = "$(readlink /proc/$holder/ns/uts)" ]
	[ "$(readlink /proc/$pid/ns/ipc)" != "$(readlink /proc/$holder/ns/ipc)" ]
}

@test "a network namespace made with ip netns is joined" {
	name=runo-test-$$
	ip netns add "$name"
	update_config --arg p /var/run/netns/$name '.linux.namespaces |= map(if .type == "network" then .path = $p else . end)'
	run_in 'readlink /proc/self/ns/net'
	want=$(ip netns exec "$name" readlink /proc/self/ns/net)
	ip netns delete "$name"
	[ "$status" -eq 0 ]
	[ "$output" = "$want" ]
}

@test "linux.timeOffsets shift the clocks in a new time namespace" {
	update_config '.linux.namespaces += [{"type": "time"}] | .linux.timeOffsets = {"boottime": {"secs": 86400}, "monotonic": {"secs": 3600}}'
	run_in 'cut -d. -f1 /proc/uptime'
	[ "$status" -eq 0 ]
	host=$(cut -d. -f1 /proc/uptime)
	[ $((output - host)) -ge 86390 ]
	[ $((output - host)) -le 86410 ]
}

@test "timeOffsets without a time namespace are refused" {
	update_config '.linux.timeOffsets = {"boottime": {"secs": 1}}'
	run runo create --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.timeOffsets: needs a new time namespace"* ]]
	assert_no_leftovers "$ID"
}

@test "without a pid namespace the process shares the host's" {
	update_config '.linux.namespaces |= map(select(.type != "pid"))'
	runo run -d --bundle "$BUNDLE" "$ID"
	pid=$(pid_of "$ID")
	[ "$(readlink /proc/$pid/ns/pid)" = "$(readlink /proc/self/ns/pid)" ]
}

# netdev_cleanup removes the veth pair and network namespace a test made.
netdev_cleanup() {
	[ -z "${DEV:-}" ] || ip link del "$DEV" 2>/dev/null || true
	[ -z "${NETNS:-}" ] || ip netns del "$NETNS" 2>/dev/null || true
}

@test "linux.netDevices moves a host interface into a new network namespace: renamed, up, with its mtu, mac and permanent global addresses" {
	DEV=rn$$a
	# The address given at creation, which udev's MACAddressPolicy (systemd
	# hosts) leaves alone; one set after may race with udev's own.
	ip link add "$DEV" mtu 1789 address 00:11:22:33:44:55 type veth peer name "${DEV}p"
	! command -v udevadm > /dev/null || udevadm settle
	[[ "$(ip link show dev "$DEV")" == *"ether 00:11:22:33:44:55 "* ]]
	ip address add 169.254.169.77/32 dev "$DEV"
	ip address add 127.0.0.33/8 dev "$DEV"
	update_config --arg d "$DEV" '.linux.netDevices = {($d): {name: "eth9"}}'
	set_args sh -c 'ip address show dev eth9; sleep 1000'
	runo run -d --bundle "$BUNDLE" "$ID" > "$BATS_TEST_TMPDIR/out"
	sleep 0.3
	run cat "$BATS_TEST_TMPDIR/out"
	[[ "$output" == *"eth9@"*",UP"*"mtu 1789 "* ]]
	[[ "$output" == *"ether 00:11:22:33:44:55 "* ]]
	[[ "$output" == *"inet 169.254.169.77/32 scope global eth9"* ]]
	[[ "$output" != *127.0.0.33* ]]
	# Gone from the host while the container has it.
	! ip link show "$DEV" 2>/dev/null
	[ "$(runo features | jq .linux.netDevices.enabled)" = true ]
	# Never moved back: a veth dies with the namespace, and its peer.
	runo delete -f "$ID"
	local i
	for i in $(seq 50); do ip link show "${DEV}p" >/dev/null 2>&1 || break; sleep 0.1; done
	! ip link show "${DEV}p" 2>/dev/null
}

@test "linux.netDevices into a joined network namespace: the device stays there after the container" {
	DEV=rn$$b NETNS=runo-test-$$
	ip netns add "$NETNS"
	ip link add "$DEV" type veth peer name "${DEV}p"
	update_config --arg d "$DEV" --arg ns "/run/netns/$NETNS" '.linux.netDevices = {($d): {}}
		| .linux.namespaces |= map(if .type == "network" then .path = $ns else . end)'
	set_args sh -c "ip -o link show dev $DEV"
	run runo run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[[ "$output" == *"$DEV@"* ]]
	ip netns exec "$NETNS" ip link show "$DEV"
	netdev_cleanup
}

@test "linux.netDevices errors name the device: missing, a name taken inside, no network namespace, a bad name" {
	DEV=rn$$c
	ip link add "$DEV" type veth peer name "${DEV}p"
	update_config '.linux.netDevices = {"runo-none0": {}}'
	create_fails
	[[ "$output" == *'linux.netDevices[\"runo-none0\"]: no such device on the host'* ]]
	assert_no_leftovers "$ID"
	update_config --arg d "$DEV" '.linux.netDevices = {($d): {name: "lo"}}'
	create_fails
	[[ "$output" == *"linux.netDevices[\\\"$DEV\\\"]: the container has a device named \\\"lo\\\" already"* ]]
	assert_no_leftovers "$ID"
	update_config --arg d "$DEV" '.linux.netDevices = {($d): {name: "a/b"}}'
	create_fails
	[[ "$output" == *"linux.netDevices[\\\"$DEV\\\"].name: \\\"a/b\\\" is not a valid interface name"* ]]
	update_config --arg d "$DEV" '.linux.netDevices = {($d): {}} | .linux.namespaces |= map(select(.type != "network"))'
	create_fails
	[[ "$output" == *"linux.netDevices: moving devices needs a network namespace of the container's"* ]]
	# The device stayed on the host through all of it.
	ip link show "$DEV"
	netdev_cleanup
}

@test "hostname with a joined uts namespace is set there; a time namespace needs no offsets; a redundant /dev/ptmx device is accepted" {
	update_config '.linux.namespaces += [{"type": "time"}] | .linux.devices = [{"path": "/dev/ptmx", "type": "c", "major": 5, "minor": 2}]'
	set_args sleep 1000
	runo run -d --bundle "$BUNDLE" "$ID"
	local pid
	pid=$(pid_of "$ID")
	[ "$(readlink "/proc/$pid/ns/time")" != "$(readlink /proc/self/ns/time)" ]
	# A second container in the first's uts namespace names it anew.
	update_config --arg p "/proc/$pid/ns/uts" '.hostname = "joined-host"
		| .linux.namespaces |= map(if .type == "uts" then .path = $p else . end)
		| .linux.namespaces |= map(select(.type != "time"))'
	set_args hostname
	run runo run --bundle "$BUNDLE" "$ID-2"
	[ "$status" -eq 0 ]
	[ "$output" = joined-host ]
	[ "$(nsenter -u -t "$pid" hostname)" = joined-host ]
	[ "$(hostname)" != joined-host ]
}
