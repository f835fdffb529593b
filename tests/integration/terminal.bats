#!/usr/bin/env bats
# Terminals: process.terminal with --console-socket (as containerd and
# conmon receive the pty), run and exec -t proxying the pty in the
# foreground, and the pty's checks (CVE-2025-52565).

load helpers

setup() {
	runo_setup
	update_config '.process.terminal = true | .process.args = ["sh"]'
	SOCK=$BATS_TEST_TMPDIR/console.sock
}

teardown() {
	[ -z "${DRIVER_PID:-}" ] || kill "$DRIVER_PID" 2>/dev/null || true
	runo_teardown
}

# receive_console starts a terminal user receiving on $SOCK with the script on its
# stdin; its output goes to $BATS_TEST_TMPDIR/tty.out.
receive_console() {
	# A background job's stdin would be /dev/null.
	cat > "$BATS_TEST_TMPDIR/tty.script"
	"$PEER" tty-recv "$SOCK" < "$BATS_TEST_TMPDIR/tty.script" > "$BATS_TEST_TMPDIR/tty.out" 2>&1 &
	DRIVER_PID=$!
	wait_for_socket "$SOCK"
}

@test "create --console-socket sends the pty master, named, and the pty is the process's terminal and /dev/console" {
	update_config '.process.consoleSize = {"height": 40, "width": 120}'
	receive_console <<-'EOF2'
		@wait #
		tty; stty size; stat -c 'console %t:%T' /dev/console; stat -L -c 'stdin %t:%T' /proc/self/fd/0; ls -1 /proc/self/fd
		exit 3
	EOF2
	runo create --console-socket "$SOCK" --bundle "$BUNDLE" "$ID" < /dev/null
	runo start "$ID"
	wait "$DRIVER_PID"
	run cat "$BATS_TEST_TMPDIR/tty.out"
	echo "$output"
	[ "${lines[0]}" = "name /dev/pts/0" ]
	[[ "$output" == *$'\n/dev/pts/0\n40 120\n'* ]]
	# /dev/console is the same pty as stdin (devpts major 136).
	[[ "$output" == *$'\nconsole 88:0\nstdin 88:0\n'* ]]
	# stdio, the shell's /dev/tty, and ls's directory: no runtime descriptor.
	[[ "$output" == *$'\n0\n1\n10\n2\n3\n'* ]]
	wait_for_status "$ID" stopped
}

@test "run in the foreground proxies the pty: raw mode, size, SIGWINCH, ^C, job control, exit status, modes restored" {
	run "$PEER" -rows 24 -cols 80 tty-run "$RUNO_BIN" --root "$ROOT" run --bundle "$BUNDLE" "$ID" <<-'EOF2'
		@wait #
		@mode
		tty; stty size
		@wait 24 80
		@resize 30 100
		stty size
		@wait 30 100
		sleep 100
		@pause 300
		@intr
		echo after=$?
		@wait after=
		sleep 100 &
		jobs
		@wait Running
		kill %1
		exit 7
	EOF2
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "mode raw=true" ]
	[[ "$output" == *$'\n/dev/pts/0\n24 80\n'* ]]
	[[ "$output" == *$'\n30 100\n'* ]]
	[[ "$output" == *$'\nafter=130\n'* ]]
	[[ "$output" == *"[1]+  Running"*"sleep 100"* ]]
	[[ "$output" != *"job control turned off"* ]]
	[[ "$output" == *$'\nexit 7\nterminal modes restored' ]]
	assert_no_leftovers "$ID"
}

@test "run with a terminal but no terminal of its own still proxies the pty" {
	set_args sh -c 'tty; echo out; echo err >&2; exit 5'
	run runo run --bundle "$BUNDLE" "$ID" < /dev/null
	[ "$status" -eq 5 ]
	[ "$(tr -d '\r' <<< "$output")" = $'/dev/pts/0\nout\nerr' ]
}

@test "exec -t proxies a pty owned by the process's user; exec -d -t sends it to --console-socket" {
	update_config '.process.terminal = false | .process.args = ["sleep", "1000"]'
	runo run -d --bundle "$BUNDLE" "$ID"
	run "$PEER" -rows 33 -cols 99 tty-run "$RUNO_BIN" --root "$ROOT" exec -t -u 1000 "$ID" sh <<-'EOF2'
		@wait $
		tty; stty size; stat -c 'owner %u' $(tty)
		exit 4
	EOF2
	echo "$output"
	[[ "$output" == *$'\n/dev/pts/0\n33 99\nowner 1000\n'* ]]
	[[ "$output" == *$'\nexit 4\nterminal modes restored' ]]
	receive_console <<-'EOF2'
		echo detached-$((6*7)); exit
	EOF2
	runo exec -d -t --console-socket "$SOCK" "$ID" sh
	wait "$DRIVER_PID"
	run cat "$BATS_TEST_TMPDIR/tty.out"
	[[ "$output" == *$'\ndetached-42'* ]]
}

@test "terminal errors: detached without a socket, a socket without a terminal, a socket nobody listens on" {
	create_fails
	[[ "$output" == *"cannot allocate tty if runo will detach without setting console socket"* ]]
	assert_no_leftovers "$ID"
	run runo run -d --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"cannot allocate tty if runo will detach without setting console socket"* ]]
	assert_no_leftovers "$ID"
	create_fails --console-socket "$SOCK"
	[[ "$output" == *"--console-socket: dial unix $SOCK: connect: no such file or directory"* ]]
	assert_no_leftovers "$ID"
	update_config '.process.terminal = false'
	create_fails --console-socket "$SOCK"
	[[ "$output" == *"cannot use console socket if runo will not detach or allocate tty"* ]]
	assert_no_leftovers "$ID"
}

@test "CVE-2025-52565: a /dev/ptmx not on devpts, or a /dev/console symlink, is refused" {
	# A regular file bound over /dev/ptmx: a runtime that trusted the path
	# would hand it to the receiver as the terminal.
	touch "$BATS_TEST_TMPDIR/fake-ptmx"
	update_config --arg src "$BATS_TEST_TMPDIR/fake-ptmx" \
		'.mounts += [{"destination": "/dev/ptmx", "type": "bind", "source": $src, "options": ["bind"]}]'
	receive_console < /dev/null
	create_fails --console-socket "$SOCK"
	[[ "$output" == *"process.terminal: /dev/ptmx: not on a devpts file system"* ]]
	assert_no_leftovers "$ID"
	kill "$DRIVER_PID" 2>/dev/null || true
	rm -f "$SOCK"

	# The image's own /dev, with /dev/console a symlink to a file the pty
	# would be bound over.
	update_config '.mounts |= map(select(.destination | startswith("/dev") | not))'
	mkdir -p "$BUNDLE/rootfs/dev/pts"
	update_config '.mounts += [{"destination": "/dev/pts", "type": "devpts", "source": "devpts", "options": ["newinstance", "ptmxmode=0666"]}]'
	echo victim > "$BUNDLE/rootfs/victim"
	rm -f "$BUNDLE/rootfs/dev/console"
	ln -s ../victim "$BUNDLE/rootfs/dev/console"
	receive_console < /dev/null
	create_fails --console-socket "$SOCK"
	[[ "$output" == *"binding /dev/pts/0 to /dev/console: /dev/console is neither a file nor a device"* ]]
	assert_no_leftovers "$ID"
	[ "$(cat "$BUNDLE/rootfs/victim")" = victim ]
}
