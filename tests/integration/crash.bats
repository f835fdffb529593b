#!/usr/bin/env bats
# Crash safety: a runo killed at any moment leaves nothing that delete
# --force cannot remove; runo processes working on one container are
# serialised; a full state filesystem leaves nothing half-written.

load helpers

# Delays after which a runo command is SIGKILLed, in seconds.
DELAYS=${CRASH_DELAYS:-0 0.001 0.002 0.005 0.01 0.02 0.05}

setup() {
	runo_setup
	# The container's process carries a mark, to find it on the host.
	MARK=$((RANDOM * 32768 + RANDOM + 100000))
	update_config --arg m "$MARK" '.process.args = ["sleep", $m]'
}

teardown() {
	runo_teardown
	if mountpoint -q "$BATS_TEST_TMPDIR/small"; then
		umount "$BATS_TEST_TMPDIR/small"
	fi
}

# kill_after starts runo with the given arguments, SIGKILLs it after $1
# seconds and reaps it.
kill_after() {
	local delay=$1 pid
	shift
	"$RUNO_BIN" --root "$ROOT" "$@" > /dev/null 2>&1 &
	pid=$!
	sleep "$delay"
	kill -9 "$pid" 2> /dev/null || true
	wait "$pid" 2> /dev/null || true
}

# assert_recoverable checks that state and list still answer about a
# container some runo was killed working on, then that delete --force
# removes every trace of it.
assert_recoverable() {
	local id=$1 st
	# A --root that a killed create never made is an error for list, as in
	# runc; any other answer must come.
	[ ! -d "$ROOT" ] || runo list > /dev/null
	if st=$(runo state "$id" 2> /dev/null); then
		[[ "$(jq -r .status <<< "$st")" =~ ^(creating|created|running|stopped)$ ]] || {
			echo "state of $id: $st" >&2
			return 1
		}
	fi
	runo delete --force "$id"
	assert_no_leftovers "$id"
	if pgrep -f "^sleep $MARK\$" > /dev/null || pgrep -x -f 'runo init' > /dev/null; then
		echo "a process of $id is left: $(pgrep -a -f "sleep $MARK|runo init")" >&2
		return 1
	fi
}

# kill_at_each_delay PREPARE ARGS... does, for each delay and a new id:
# PREPARE id (a function, or :), then runo ARGS with {} replaced by the id,
# SIGKILLed after the delay, then assert_recoverable.
kill_at_each_delay() {
	local prepare=$1 i=0 d id
	shift
	for d in $DELAYS; do
		i=$((i + 1))
		id=$ID-$i
		$prepare "$id"
		kill_after "$d" "${@//\{\}/$id}"
		assert_recoverable "$id"
	done
}

created() { runo create --bundle "$BUNDLE" "$1"; }
running() { runo run -d --bundle "$BUNDLE" "$1"; }

@test "create killed at any moment leaves nothing delete --force cannot remove" {
	kill_at_each_delay : create --bundle "$BUNDLE" {}
}

@test "start killed at any moment leaves nothing delete --force cannot remove" {
	kill_at_each_delay created start {}
}

@test "run killed at any moment leaves nothing delete --force cannot remove" {
	kill_at_each_delay : run --bundle "$BUNDLE" {}
}

@test "exec killed at any moment leaves nothing delete --force cannot remove" {
	kill_at_each_delay running exec {} sleep "$MARK"
}

@test "delete killed at any moment leaves nothing a second delete cannot remove" {
	kill_at_each_delay running delete --force {}
}

@test "a state directory without state.json is shown stopped and deleted" {
	mkdir -p "$ROOT/$ID"
	[ "$(status_of "$ID")" = stopped ]
	runo list | grep -q "^$ID "
	runo delete "$ID"
	assert_no_leftovers "$ID"
}

@test "two creates of one id: one wins, the other says the id exists" {
	runo create --bundle "$BUNDLE" "$ID" > "$BATS_TEST_TMPDIR/a" 2>&1 &
	local a=$!
	runo create --bundle "$BUNDLE" "$ID" > "$BATS_TEST_TMPDIR/b" 2>&1 &
	local b=$! ra=0 rb=0
	wait "$a" || ra=$?
	wait "$b" || rb=$?
	[ $((ra == 0)) -ne $((rb == 0)) ]
	cat "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/b" | grep -q "container with given ID already exists: $ID"
	[ "$(status_of "$ID")" = created ]
	runo start "$ID"
	[ "$(status_of "$ID")" = running ]
}

@test "create and delete --force of one id race and leave nothing" {
	local i
	for i in 1 2 3 4 5; do
		runo create --bundle "$BUNDLE" "$ID-$i" 2> /dev/null &
		local c=$!
		runo delete --force "$ID-$i"
		wait "$c" || true
		# Whichever ran last, a final delete finds a whole container or none.
		assert_recoverable "$ID-$i"
	done
}

@test "start and kill race and end stopped, each with a clear answer" {
	local i
	for i in 1 2 3 4 5; do
		runo create --bundle "$BUNDLE" "$ID-$i"
		runo start "$ID-$i" 2> "$BATS_TEST_TMPDIR/start" &
		local s=$! rs=0
		runo kill "$ID-$i" KILL 2> "$BATS_TEST_TMPDIR/kill" || grep -q "not running" "$BATS_TEST_TMPDIR/kill"
		wait "$s" || rs=$?
		[ "$rs" -eq 0 ] || grep -Eq "exited before the process could start|cannot start a container that has stopped" "$BATS_TEST_TMPDIR/start"
		wait_for_status "$ID-$i" stopped
		runo delete "$ID-$i"
		assert_no_leftovers "$ID-$i"
	done
}

@test "8 parallel loops of create, start and delete do not fail" {
	update_config '.process.args = ["true"]'
	local n=${CRASH_LOOPS:-5} j pids=()
	for j in 1 2 3 4 5 6 7 8; do
		(
			for i in $(seq "$n"); do
				runo create --bundle "$BUNDLE" "$ID-$j-$i" &&
					runo start "$ID-$j-$i" &&
					runo delete --force "$ID-$j-$i" || exit 1
			done
		) &
		pids+=($!)
	done
	for j in "${pids[@]}"; do
		wait "$j"
	done
	[ -z "$(ls -A "$ROOT")" ]
	[ -z "$(cgroup_dirs "$ID-*")" ]
}

@test "a full state filesystem fails create clearly at each step and leaves nothing" {
	# A tmpfs with room for n inodes fills up at a later step of create as n
	# grows: the state root and directory, state.json, exec.fifo, the config
	# copy, the ready state.
	local small=$BATS_TEST_TMPDIR/small n failed=0
	mkdir "$small"
	for n in 2 3 4 5 6 7; do
		mount -t tmpfs -o size=1m,nr_inodes=$n runo-test-small "$small"
		ROOT=$small/root
		# Not `run`: a created container would hold its output pipe open.
		if runo create --bundle "$BUNDLE" "$ID-$n" > /dev/null 2> "$BATS_TEST_TMPDIR/err"; then
			runo delete --force "$ID-$n"
		else
			failed=$((failed + 1))
			output=$(cat "$BATS_TEST_TMPDIR/err")
			[[ "$output" =~ (state directory|state.json|exec fifo|config.json).*": no space left on device" ]] || {
				echo "$output" >&2
				return 1
			}
			[[ "$output" != *.tmp* ]]
		fi
		# No temporary file, no half-made state, no cgroup, no process.
		[ -z "$(ls -A "$ROOT" 2> /dev/null)" ]
		assert_recoverable "$ID-$n"
		umount "$small"
	done
	[ "$failed" -eq 5 ]
}
