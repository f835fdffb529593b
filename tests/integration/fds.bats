#!/usr/bin/env bats
# Descriptors handed to the container or about it: socket activation
# (LISTEN_FDS) and --pidfd-socket.

load helpers

# with_listen_fd runs runo with fd 3 open on $1 and LISTEN_FDS=1 meant for
# it: env executes runo in the same process, so LISTEN_PID is runo's pid.
with_listen_fd() {
	local file=$1
	shift
	(
		export LISTEN_FDS=1
		exec env LISTEN_PID="$BASHPID" "$RUNO_BIN" --root "$ROOT" "$@" 3< "$file"
	)
}

@test "socket-activation descriptors are passed on with LISTEN_FDS, before the preserved ones" {
	echo activated > "$BATS_TEST_TMPDIR/sock"
	echo preserved > "$BATS_TEST_TMPDIR/extra"
	set_args sh -c 'echo $LISTEN_FDS $LISTEN_PID; cat <&3; cat <&4'
	run with_listen_fd "$BATS_TEST_TMPDIR/sock" run --preserve-fds 1 --bundle "$BUNDLE" "$ID" 4< "$BATS_TEST_TMPDIR/extra"
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '1 1\nactivated\npreserved')" ]
	# Meant for another process (LISTEN_PID is not runo's), they are not passed.
	set_args sh -c 'echo "[$LISTEN_FDS]"; ls /proc/self/fd'
	run env LISTEN_FDS=1 LISTEN_PID=1 "$RUNO_BIN" --root "$ROOT" run --bundle "$BUNDLE" "$ID" 3< "$BATS_TEST_TMPDIR/sock"
	[ "${lines[0]}" = "[]" ]
	[ "$(echo ${lines[@]:1})" = "0 1 2 3" ]
}

@test "exec passes socket-activation descriptors too" {
	echo activated > "$BATS_TEST_TMPDIR/sock"
	runo run -d --bundle "$BUNDLE" "$ID"
	run with_listen_fd "$BATS_TEST_TMPDIR/sock" exec "$ID" sh -c 'echo $LISTEN_FDS; cat <&3'
	[ "$output" = "$(printf '1\nactivated')" ]
}

# receive starts a receiver of descriptors on a socket.
receive() {
	SOCK=$BATS_TEST_TMPDIR/pidfd.sock
	"$PEER" fds "$SOCK" > "$BATS_TEST_TMPDIR/received" &
	RECV_PID=$!
	wait_for_socket "$SOCK"
}

@test "--pidfd-socket receives a pidfd of init at create and of the process at exec" {
	receive
	runo create --pidfd-socket "$SOCK" --bundle "$BUNDLE" "$ID"
	wait "$RECV_PID"
	[ "$(sed -n 1p "$BATS_TEST_TMPDIR/received")" = "data pidfd" ]
	[ "$(sed -n 2p "$BATS_TEST_TMPDIR/received")" = "fd anon_inode:[pidfd] pid $(pid_of "$ID")" ]
	runo start "$ID"
	receive
	runo exec -d --pid-file "$BATS_TEST_TMPDIR/pid" --pidfd-socket "$SOCK" "$ID" sleep 100
	wait "$RECV_PID"
	[ "$(sed -n 2p "$BATS_TEST_TMPDIR/received")" = "fd anon_inode:[pidfd] pid $(cat "$BATS_TEST_TMPDIR/pid")" ]
}

@test "a --pidfd-socket nobody listens on fails create and leaves nothing" {
	create_fails --pidfd-socket "$BATS_TEST_TMPDIR/none.sock"
	[[ "$output" == *"--pidfd-socket: dial unix $BATS_TEST_TMPDIR/none.sock: connect: no such file or directory"* ]]
	assert_no_leftovers "$ID"
}

@test "stdio pipes are given to the process's user, who can reopen them as /dev/stdout" {
	update_config '.process.user = {"uid": 1000, "gid": 1000}'
	set_args sh -c 'echo reopened > /dev/stdout; stat -L -c %u /proc/self/fd/1'
	run runo run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ "$output" = $'reopened\n1000' ]
}
