#!/usr/bin/env bats
# The container lifecycle as runc users drive it.

load helpers

@test "create leaves init waiting; start runs the process; state follows" {
	runo create --bundle "$BUNDLE" --pid-file "$BATS_TEST_TMPDIR/pid" "$ID"
	[ "$(status_of "$ID")" = created ]
	pid=$(pid_of "$ID")
	[ "$(cat "$BATS_TEST_TMPDIR/pid")" = "$pid" ]
	# Before start, the process is still runo's init.
	[ "$(cat /proc/$pid/comm)" = runo ]
	runo start "$ID"
	wait_for_status "$ID" running
	[ "$(cat /proc/$pid/comm)" = sleep ]
	runo kill "$ID" KILL
	wait_for_status "$ID" stopped
	[ "$(pid_of "$ID")" = 0 ]
	runo delete "$ID"
	assert_no_leftovers "$ID" "$pid"
}

@test "state prints runc's fields in runc's order" {
	update_config '.annotations = {"org.example.key": "value"}'
	runo create --bundle "$BUNDLE" "$ID"
	run runo state "$ID"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r 'keys_unsorted | join(",")')" = "ociVersion,id,pid,status,bundle,rootfs,created,owner,annotations" ]
	[ "$(echo "$output" | jq -r .ociVersion)" = 1.3.0 ]
	[ "$(echo "$output" | jq -r .id)" = "$ID" ]
	[ "$(echo "$output" | jq -r .bundle)" = "$BUNDLE" ]
	[ "$(echo "$output" | jq -r .rootfs)" = "$BUNDLE/rootfs" ]
	[ "$(echo "$output" | jq -r .owner)" = root ]
	[ "$(echo "$output" | jq -r '.annotations["org.example.key"]')" = value ]
	echo "$output" | jq -r .created | grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T'
}

@test "run returns the process's exit status" {
	set_args sh -c "exit 42"
	run runo run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 42 ]
	assert_no_leftovers "$ID"
}

@test "run returns 128+N when the process is killed by signal N" {
	# Outside a pid namespace: the init of one ignores its own SIGKILL.
	update_config '.linux.namespaces |= map(select(.type != "pid"))'
	set_args sh -c 'kill -9 $$'
	run runo run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 137 ]
}

@test "run forwards signals to the process" {
	set_args sh -c 'trap "echo got USR1; exit 7" USR1; while :; do sleep 0.1; done'
	# The binary itself, not the runo shell function, so $! is runo.
	"$RUNO_BIN" --root "$ROOT" run --bundle "$BUNDLE" "$ID" > "$BATS_TEST_TMPDIR/out" &
	runpid=$!
	wait_for_status "$ID" running
	sleep 0.2
	kill -USR1 $runpid
	rc=0
	wait $runpid || rc=$?
	[ "$rc" -eq 7 ]
	grep -q "got USR1" "$BATS_TEST_TMPDIR/out"
	assert_no_leftovers "$ID"
}

@test "run reaps orphans as a subreaper unless -no-subreaper" {
	# Without a pid namespace, the orphaned grandchild comes back to runo.
	update_config '.linux.namespaces |= map(select(.type != "pid"))'
	set_args sh -c 'sleep 0.2 & exit 0'
	run runo run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	run runo run -no-subreaper --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
}

@test "run -d detaches and --keep keeps a stopped container" {
	runo run -d --bundle "$BUNDLE" "$ID"
	[ "$(status_of "$ID")" = running ]
	runo delete --force "$ID"
	assert_no_leftovers "$ID"

	set_args true
	runo run --keep --bundle "$BUNDLE" "$ID"
	[ "$(status_of "$ID")" = stopped ]
	runo delete "$ID"
	assert_no_leftovers "$ID"
}

@test "delete refuses a running container without --force" {
	runo run -d --bundle "$BUNDLE" "$ID"
	pid=$(pid_of "$ID")
	run runo delete "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"cannot delete container $ID that is not stopped: running"* ]]
	runo delete --force "$ID"
	assert_no_leftovers "$ID" "$pid"
}

@test "delete removes a created container and its init" {
	runo create --bundle "$BUNDLE" "$ID"
	pid=$(pid_of "$ID")
	runo delete "$ID"
	assert_no_leftovers "$ID" "$pid"
}

@test "delete --force of a container that does not exist succeeds, as in runc" {
	run runo delete --force nothing-here
	[ "$status" -eq 0 ]
	run runo delete nothing-here
	[ "$status" -ne 0 ]
	[[ "$output" == *"container does not exist"* ]]
}

@test "kill takes signal names with or without SIG, numbers, and defaults to TERM" {
	update_config '.root.readonly = false'
	set_args sh -c 'trap "echo USR1 >> /tmp/got" USR1; trap "echo USR2 >> /tmp/got" USR2; trap "echo HUP >> /tmp/got" HUP; trap "echo TERM >> /tmp/got; exit 0" TERM; while :; do sleep 0.05; done'
	runo run -d --bundle "$BUNDLE" "$ID"
	sleep 0.3
	runo kill "$ID" USR1
	sleep 0.2
	runo kill "$ID" SIGUSR2
	sleep 0.2
	runo kill "$ID" 1
	sleep 0.2
	runo kill "$ID"
	wait_for_status "$ID" stopped
	[ "$(tr '\n' ' ' < "$BUNDLE/rootfs/tmp/got")" = "USR1 USR2 HUP TERM " ]
}

@test "kill --all signals every process in the container" {
	update_config '.linux.namespaces |= map(select(.type != "pid"))'
	set_args sh -c 'sleep 1000 & sleep 1000 & wait'
	runo run -d --bundle "$BUNDLE" "$ID"
	sleep 0.3
	procs=$(cat "$(procs_dir "$ID")/cgroup.procs")
	[ "$(echo "$procs" | wc -l)" -eq 3 ]
	runo kill --all "$ID" KILL
	wait_for_status "$ID" stopped
	for p in $procs; do
		! [ -d /proc/$p ] || grep -q '^State:.*Z' /proc/$p/status
	done
}

@test "start of a running container fails and says why" {
	runo run -d --bundle "$BUNDLE" "$ID"
	run runo start "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"cannot start an already running container"* ]]
}

@test "list shows containers as a table, as json and as ids" {
	# A --root that does not exist is an error, as in runc; an empty one not.
	run runo list
	[ "$status" -ne 0 ]
	[[ "$output" == *"$ROOT: no such file or directory"* ]]
	mkdir -p "$ROOT"
	run runo list -f json
	[ "$output" = null ]
	runo create --bundle "$BUNDLE" "$ID"
	runo run -d --bundle "$BUNDLE" "$ID-b"
	run runo list
	[[ "${lines[0]}" =~ ^ID\ +PID\ +STATUS\ +BUNDLE\ +CREATED\ +OWNER$ ]]
	[[ "${lines[1]}" =~ ^$ID\ +[0-9]+\ +created\ +$BUNDLE ]]
	[[ "${lines[2]}" =~ ^$ID-b\ +[0-9]+\ +running\ +$BUNDLE ]]
	run runo list --format=json
	[ "$(echo "$output" | jq -r 'map(.id + ":" + .status) | join(" ")')" = "$ID:created $ID-b:running" ]
	run runo list -q
	[ "$output" = "$ID
$ID-b" ]
}

@test "a reused pid is not mistaken for the container" {
	runo run -d --bundle "$BUNDLE" "$ID"
	pid=$(pid_of "$ID")
	# Pretend init started at another time: the pid now belongs to something else.
	state=$ROOT/$ID/state.json
	jq '.pid_start_time += 1' "$state" > "$state.new" && mv "$state.new" "$state"
	[ "$(status_of "$ID")" = stopped ]
	run runo kill "$ID" KILL
	[ "$status" -ne 0 ]
	[[ "$output" == *"container not running"* ]]
	[ -d /proc/$pid ]
	kill -9 "$pid"
}
