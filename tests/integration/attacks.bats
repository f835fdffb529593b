#!/usr/bin/env bats
# Attacks by a config author, a careless caller or a damaged state
# directory. Each test performs the attack and checks that it fails and
# that nothing of the host was harmed.

load helpers

# proc_links makes a host directory of symlinks named like descriptors,
# each to a file of the host's choosing: mounted over /proc/1/fd, it would
# turn init's /proc/self/fd/N look-ups into these files.
proc_links() {
	local dir=$BATS_TEST_TMPDIR/links i
	mkdir -p "$dir"
	for i in $(seq 0 64); do
		ln -s /proc/sys/kernel/core_pattern "$dir/$i"
	done
	echo "$dir"
}

@test "mounts over the container's /proc are refused, also through a symlink of the image; lxcfs files are allowed" {
	local links core
	links=$(proc_links)
	core=$(cat /proc/sys/kernel/core_pattern)
	update_config --arg s "$links" '.mounts += [{"destination": "/proc/1/fd", "type": "bind", "source": $s, "options": ["rbind"]}]'
	create_fails
	[[ "$output" == *'].destination: \"/proc/1/fd\" cannot be mounted because it is inside /proc'* ]]
	assert_no_leftovers "$ID"
	# The same place reached through a symlink the image ships.
	ln -s /proc/1 "$BUNDLE/rootfs/evil"
	update_config --arg s "$links" '.mounts[-1].destination = "/evil/fd"'
	create_fails
	[[ "$output" == *'\"/proc/1/fd\" cannot be mounted because it is inside /proc'* ]]
	assert_no_leftovers "$ID"
	# /proc itself only takes a procfs.
	update_config '.mounts[-1] = {"destination": "/proc", "type": "tmpfs", "source": "tmpfs"}'
	create_fails
	[[ "$output" == *'\"/proc\" cannot be mounted because it is not of type proc'* ]]
	[ "$(cat /proc/sys/kernel/core_pattern)" = "$core" ]
	# An lxcfs-style file is fine.
	echo "fake cpuinfo" > "$BATS_TEST_TMPDIR/cpuinfo"
	update_config --arg s "$BATS_TEST_TMPDIR/cpuinfo" '.mounts[-1] = {"destination": "/proc/cpuinfo", "type": "bind", "source": $s, "options": ["bind", "ro"]}'
	run_in 'cat /proc/cpuinfo; stat -c %t:%T /proc/timer_list'
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'fake cpuinfo\n1:3')" ]
}

@test "a root.path that is a symlink is refused" {
	mv "$BUNDLE/rootfs" "$BUNDLE/real"
	ln -s real "$BUNDLE/rootfs"
	create_fails
	[[ "$output" == *"root.path: invalid rootfs $BUNDLE/rootfs: not an absolute path, or a symlink"* ]]
	assert_no_leftovers "$ID"
	# An absolute root.path with a symlink in it, too.
	ln -s "$BUNDLE" "$BATS_TEST_TMPDIR/link"
	update_config --arg r "$BATS_TEST_TMPDIR/link/real" '.root.path = $r'
	create_fails
	[[ "$output" == *"root.path: invalid rootfs"* ]]
	# A bundle reached through a symlink, with a relative root.path, is fine.
	mv "$BUNDLE/real" "$BUNDLE/rootfs2"
	update_config '.root.path = "rootfs2"'
	set_args true
	runo run --bundle "$BATS_TEST_TMPDIR/link" "$ID"
}

# without_fds runs runo with descriptors 3 to 9 closed, as a caller that
# opened none would.
without_fds() {
	(
		exec 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-
		"$RUNO_BIN" --root "$ROOT" "$@"
	)
}

@test "--preserve-fds and LISTEN_FDS pass only descriptors the caller opened, never runo's own" {
	set_args sh -c 'ls -l /proc/self/fd/; cat /proc/self/fd/3/state.json'
	run without_fds run --preserve-fds 3 --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"--preserve-fds 3: descriptor 3 is not open in runo's caller"* ]]
	[[ "$output" != *'"id"'* ]]
	assert_no_leftovers "$ID"
	run without_fds create --preserve-fds 1 --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"descriptor 3 is not open"* ]]
	assert_no_leftovers "$ID"
	run env LISTEN_FDS=2 bash -c 'exec 3>&- 4>&-; export LISTEN_PID=$$; exec "$0" --root "$1" run --bundle "$2" "$3"' \
		"$RUNO_BIN" "$ROOT" "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"LISTEN_FDS=2: descriptor 3 is not open in runo's caller"* ]]
	# exec too.
	update_config '.process.args = ["sleep", "1000"]'
	runo run -d --bundle "$BUNDLE" "$ID"
	run without_fds exec --preserve-fds 2 "$ID" sh -c 'ls -l /proc/self/fd/'
	[ "$status" -ne 0 ]
	[[ "$output" == *"--preserve-fds 2: descriptor 3 is not open in runo's caller"* ]]
	# What the caller did open passes.
	echo mine > "$BATS_TEST_TMPDIR/mine"
	run runo exec --preserve-fds 1 "$ID" cat /proc/self/fd/3 3< "$BATS_TEST_TMPDIR/mine"
	[ "$status" -eq 0 ]
	[ "$output" = mine ]
}

@test "a device never replaces a file: an existing path is kept, out-of-range numbers are refused" {
	local host=$BATS_TEST_TMPDIR/hostdir
	mkdir "$host"
	echo precious > "$host/victim"
	update_config --arg s "$host" '.mounts += [{"destination": "/hostdir", "type": "bind", "source": $s, "options": ["rbind"]}]
		| .linux.devices = [{"path": "/hostdir/victim", "type": "c", "major": 1, "minor": 3}]'
	run_in 'cat /hostdir/victim'
	[ "$status" -eq 0 ]
	[ "$output" = precious ]
	[ -f "$host/victim" ]
	[ "$(cat "$host/victim")" = precious ]
	update_config '.linux.devices = [{"path": "/dev/evil", "type": "c", "major": -1, "minor": 3}]'
	create_fails
	[[ "$output" == *"linux.devices[0].major: -1 is out of range (0 to 4095)"* ]]
	update_config '.linux.devices = [{"path": "/dev/evil", "type": "b", "major": 8, "minor": 1048576}]'
	create_fails
	[[ "$output" == *"linux.devices[0].minor: 1048576 is out of range (0 to 1048575)"* ]]
	assert_no_leftovers "$ID"
}

# damage_state runs a container, damages its state.json with the shell
# command $1 (run in the state directory), and leaves its init pid in PID.
damage_state() {
	runo run -d --bundle "$BUNDLE" "$ID"
	PID=$(pid_of "$ID")
	(cd "$ROOT/$ID" && eval "$1")
}

@test "delete --force finds a container whose state.json is damaged, kills it and removes everything" {
	local how
	for how in ': > state.json' 'head -c 30 state.json > s && mv s state.json' 'echo garbage > state.json' \
		'rm state.json && mkdir state.json' 'rm state.json' 'ln -sf /dev/zero state.json'; do
		ID=damaged-$BATS_TEST_NUMBER-$$-${#how}
		damage_state "$how"
		# Not called stopped: its process runs.
		[ "$(status_of "$ID")" = running ]
		run runo kill "$ID" KILL
		[ "$status" -ne 0 ]
		[[ "$output" == *"its state is damaged"* ]]
		run runo delete "$ID"
		[ "$status" -ne 0 ]
		[[ "$output" == *"is not stopped: running"* ]]
		runo delete --force "$ID"
		# The process is gone with its state and cgroups.
		local i
		for i in $(seq 50); do
			{ [ -d "/proc/$PID" ] && ! grep -q '^State:.*Z' "/proc/$PID/status"; } || break
			sleep 0.1
		done
		assert_no_leftovers "$ID" "$PID"
	done
}

@test "a damaged state that leads to no process stays, with an error that says why" {
	damage_state 'echo garbage > state.json && rm config.json'
	run runo delete --force "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"the state of container $ID is damaged"* ]]
	[[ "$output" == *"stays until they are gone"* ]]
	[ -d "$ROOT/$ID" ]
	[ -d "/proc/$PID" ]
	kill -9 "$PID"
	cgroup_dirs "$ID" | xargs -r rmdir 2>/dev/null || true
	rm -rf "${ROOT:?}/$ID"
}

# bounded runs runo with an address space of 2 GiB, so that an unbounded
# read fails the test rather than the host.
bounded() {
	(ulimit -v 2097152; timeout 60 "$RUNO_BIN" --root "$ROOT" "$@")
}

@test "inputs are bounded: config.json, exec --process and update -r on /dev/zero, a hook's endless output" {
	mv "$BUNDLE/config.json" "$BUNDLE/config.real"
	ln -s /dev/zero "$BUNDLE/config.json"
	run bounded create --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"reading bundle config: $BUNDLE/config.json: not a regular file"* ]]
	assert_no_leftovers "$ID"
	rm "$BUNDLE/config.json"
	head -c $((9 << 20)) /dev/zero | tr '\0' ' ' > "$BUNDLE/config.json"
	run bounded create --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"config.json: larger than 8 MiB"* ]]
	mv "$BUNDLE/config.real" "$BUNDLE/config.json"
	runo run -d --bundle "$BUNDLE" "$ID"
	run bounded exec --process /dev/zero "$ID"
	[ "$status" -eq 255 ]
	[[ "$output" == *"/dev/zero: larger than 8 MiB"* ]]
	run bounded update -r /dev/zero "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"--resources: /dev/zero: larger than 8 MiB"* ]]
	runo delete -f "$ID"
	# A hook that writes 64 MiB before failing: its output is cut short.
	update_config '.hooks = {"createRuntime": [{"path": "/bin/sh", "args": ["sh", "-c", "head -c 67108864 /dev/zero | tr \"\\0\" x; exit 3"]}]}'
	run bounded create --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"error running createRuntime hook #0: /bin/sh: exit status 3: xxx"* ]]
	[ "${#output}" -lt $((1 << 20)) ]
	assert_no_leftovers "$ID"
}

@test "a failed exec or update leaves nothing changed: no process, no new limit" {
	runo run -d --bundle "$BUNDLE" "$ID"
	# Not `run`: a process left running would hold its output open.
	! runo exec -d --pid-file /no/such/dir/pid "$ID" sleep 4242 > /dev/null 2>&1
	! runo exec --pid-file /no/such/dir/pid "$ID" sleep 4243 > /dev/null 2>&1
	local p
	for p in $(runo ps --format json "$ID" | jq -r '.[]'); do
		! grep -q 424 "/proc/$p/cmdline"
	done
	[ "$(runo ps --format json "$ID" | jq length)" -eq 1 ]
	local limit before
	# memory.limit_in_bytes on v1, memory.max on pure v2.
	limit=$(cgroup_dir memory "$ID")/memory.limit_in_bytes
	[ "$(stat -fc %T /sys/fs/cgroup)" != cgroup2fs ] || limit=$(procs_dir "$ID")/memory.max
	before=$(cat "$limit")
	run runo update --memory 100m --cpuset-cpus 999 "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"cpu.cpus"* ]]
	[ "$(cat "$limit")" = "$before" ]
}

@test "NUL bytes in args, env, cwd and hostname are refused at create, naming the field" {
	update_config '.process.args = ["sh", "-c", "echo a\u0000b"]'
	create_fails
	[[ "$output" == *'process.args[2]: \"echo a\\x00b\" holds a NUL byte'* ]]
	update_config '.process.args = ["true"] | .process.env += ["X=a\u0000b"]'
	create_fails
	[[ "$output" == *'process.env[2]: \"X=a\\x00b\" holds a NUL byte'* ]]
	update_config '.process.env = ["X=1"] | .hostname = "a\u0000b"'
	create_fails
	[[ "$output" == *'hostname: \"a\\x00b\" holds a NUL byte'* ]]
	assert_no_leftovers "$ID"
}

@test "a sysctl the kernel does not have is reported as such" {
	update_config '.linux.sysctl = {"net.ipv4.no_such_setting": "1"}'
	create_fails
	[[ "$output" == *"linux.sysctl net.ipv4.no_such_setting: the kernel has no such setting (no /proc/sys/net/ipv4/no_such_setting)"* ]]
	assert_no_leftovers "$ID"
}

@test "an exec that loses the race with delete --force says the container went" {
	runo run -d --bundle "$BUNDLE" "$ID"
	# In a frozen container the exec'd process stops at birth: the delete
	# wins the race every time.
	runo pause "$ID"
	timeout 20 "$RUNO_BIN" --root "$ROOT" exec --ignore-paused "$ID" true 2> "$BATS_TEST_TMPDIR/exec.err" &
	local exec=$!
	sleep 0.5
	runo delete -f "$ID"
	! wait "$exec"
	cat "$BATS_TEST_TMPDIR/exec.err"
	grep -Eq "exec: container $ID (was deleted|stopped) while the process started" "$BATS_TEST_TMPDIR/exec.err"
}
