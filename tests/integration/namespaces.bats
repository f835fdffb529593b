#!/usr/bin/env bats
# Namespaces made new or joined by path, checked from inside and outside.

load helpers

@test "the process is pid 1 in a new pid namespace" {
	run_in 'echo $$; grep NSpid /proc/self/status'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1 ]
}

@test "new namespaces differ from the host's" {
	update_config '.linux.namespaces += [{"type": "time"}, {"type": "cgroup"}]'
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
