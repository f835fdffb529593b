#!/usr/bin/env bats
# pause, resume and ps.

load helpers

@test "pause freezes every process, resume thaws them, state follows" {
	requires_v1
	runo run -d --bundle "$BUNDLE" "$ID"
	runo exec -d --pid-file "$BATS_TEST_TMPDIR/pid" "$ID" sh -c 'while :; do echo x > /dev/null; done'
	local busy
	busy=$(cat "$BATS_TEST_TMPDIR/pid")
	runo pause "$ID"
	[ "$(status_of "$ID")" = paused ]
	grep -qx FROZEN "$(cgroup_dirs "$ID" | grep freezer)/freezer.state"
	# A frozen process uses no CPU.
	local before after
	before=$(cut -d' ' -f14 "/proc/$busy/stat")
	sleep 0.3
	after=$(cut -d' ' -f14 "/proc/$busy/stat")
	[ "$before" = "$after" ]
	runo resume "$ID"
	[ "$(status_of "$ID")" = running ]
	sleep 0.3
	[ "$(cut -d' ' -f14 "/proc/$busy/stat")" != "$after" ]
}

@test "kill KILL of a paused container stops it: its cgroup is thawed, as runc does" {
	runo run -d --bundle "$BUNDLE" "$ID"
	local pid
	pid=$(pid_of "$ID")
	runo pause "$ID"
	runo kill "$ID" KILL
	wait_for_status "$ID" stopped
	[ ! -e "/proc/$pid" ] || [ "$(awk '{print $3}' "/proc/$pid/stat")" = Z ]
	run runo resume "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"container not paused"* ]]
	runo delete "$ID"
	assert_no_leftovers "$ID"
}

@test "pause and resume refuse the wrong state" {
	runo create --bundle "$BUNDLE" "$ID"
	run runo pause "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"container not running"* ]]
	runo start "$ID"
	run runo resume "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"container not paused"* ]]
	run runo pause "no-such-$ID"
	[[ "$output" == *"container does not exist"* ]]
}

@test "ps lists the container's processes as json pids or as ps prints them" {
	runo run -d --bundle "$BUNDLE" "$ID"
	runo exec -d --pid-file "$BATS_TEST_TMPDIR/pid" "$ID" sleep 321
	local init exec
	init=$(pid_of "$ID")
	exec=$(cat "$BATS_TEST_TMPDIR/pid")
	run runo ps --format json "$ID"
	[ "$(jq -c 'sort' <<< "$output")" = "$(jq -cn --argjson a "$init" --argjson b "$exec" '[$a, $b] | sort')" ]
	run runo ps "$ID"
	[[ "${lines[0]}" == *PID*CMD* ]]
	[ "${#lines[@]}" -eq 3 ]
	[[ "$output" == *"sleep 321"* ]]
	run runo ps "$ID" -o pid,args
	[ "${lines[0]}" = "    PID COMMAND" ] || [[ "${lines[0]}" == *PID*COMMAND* ]]
	[ "${#lines[@]}" -eq 3 ]
	runo kill "$ID" KILL
	wait_for_status "$ID" stopped
	# As runc: a stopped container lists no process.
	run runo ps "$ID"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
}
