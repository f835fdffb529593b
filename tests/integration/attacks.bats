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

# deny_mkdir sets a profile that denies mkdir; allow_all one that denies
# nothing.
deny_mkdir() {
	update_config '.root.readonly = false | .linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO"}]}'
}
allow_all() {
	update_config '.root.readonly = false | .linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ALLOW"}]}'
}

# mkdir_denied runs a container that tries mkdir and checks the filter
# stopped it.
mkdir_denied() {
	set_args sh -c 'mkdir /tmp/d 2>&1; grep "^Seccomp:" /proc/self/status'
	run runo run --bundle "$BUNDLE" "$ID"
	[[ "$output" == *"Operation not permitted"*"Seccomp:	2"* ]]
}

@test "a seccomp cache another user can write is never trusted: a planted program is not loaded" {
	export RUNO_CACHE=$BATS_TEST_TMPDIR/cache
	allow_all
	set_args true
	runo run --bundle "$BUNDLE" "$ID"
	local allow deny
	allow=$(ls "$RUNO_CACHE/seccomp")
	deny_mkdir
	mkdir_denied
	deny=$(ls "$RUNO_CACHE/seccomp" | grep -vx "$allow")
	[ -n "$deny" ] && [ -n "$allow" ]
	# The cache passes to another user, who plants the allow-all program
	# under the key of the profile that denies.
	local how
	for how in "chown -R 65534:65534" "chmod -R go+w"; do
		$how "$RUNO_CACHE"
		jq -c --arg k "$deny" 'if has("key") then .key = $k else . end' "$RUNO_CACHE/seccomp/$allow" > "$RUNO_CACHE/seccomp/$deny"
		mkdir_denied
		chown -R 0:0 "$RUNO_CACHE" && chmod -R go-w "$RUNO_CACHE"
	done
	# An entry that is not a program is compiled again and replaced, not
	# a lasting failure.
	echo '{}' > "$RUNO_CACHE/seccomp/$deny"
	mkdir_denied
	[ "$(cat "$RUNO_CACHE/seccomp/$deny")" != '{}' ]
	mkdir_denied
}

@test "a seccomp cache with a symlink is never followed: nothing is evicted or written where it points" {
	local victim=$BATS_TEST_TMPDIR/victim i
	mkdir "$victim"
	for i in $(seq 70); do echo "$i" > "$victim/file$i"; done
	export RUNO_CACHE=$BATS_TEST_TMPDIR/cache
	mkdir -m 700 "$RUNO_CACHE"
	ln -s "$victim" "$RUNO_CACHE/seccomp"
	deny_mkdir
	mkdir_denied
	[ "$(ls "$victim" | wc -l)" = 70 ]
	# The cache itself reached through a symlink, or owned by another user.
	rm "$RUNO_CACHE/seccomp"
	mv "$RUNO_CACHE" "$RUNO_CACHE.real"
	ln -s "$RUNO_CACHE.real" "$RUNO_CACHE"
	mkdir_denied
	[ -z "$(ls -A "$RUNO_CACHE.real")" ]
	rm "$RUNO_CACHE" && mkdir "$RUNO_CACHE" && chown 65534:65534 "$RUNO_CACHE"
	mkdir_denied
	[ -z "$(ls -A "$RUNO_CACHE")" ]
}

@test "exec never runs under a weaker filter: a lost or damaged seccomp.json is compiled again from the saved config" {
	deny_mkdir
	runo run -d --bundle "$BUNDLE" "$ID"
	rm "$ROOT/$ID/seccomp.json"
	run runo exec "$ID" sh -c 'mkdir /tmp/x 2>&1; grep "^Seccomp:" /proc/self/status'
	[[ "$output" == *"Operation not permitted"*"Seccomp:	2"* ]]
	echo '{}' > "$ROOT/$ID/seccomp.json"
	run runo exec "$ID" sh -c 'mkdir /tmp/x 2>&1; grep "^Seccomp:" /proc/self/status'
	[[ "$output" == *"Operation not permitted"*"Seccomp:	2"* ]]
	# Neither the filter nor the config: refused, naming what is missing.
	rm "$ROOT/$ID/seccomp.json" "$ROOT/$ID/config.json"
	echo '{"args": ["true"], "cwd": "/"}' > "$BATS_TEST_TMPDIR/process.json"
	run runo exec --process "$BATS_TEST_TMPDIR/process.json" "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"cannot tell whether exec needs a seccomp filter: reading the container's config"*"$ROOT/$ID/config.json"* ]]
}

@test "a --root or container directory another user can write is refused, naming its owner and mode" {
	local other=$BATS_TEST_TMPDIR/other
	mkdir -m 755 "$other" && chown 65534:65534 "$other"
	set_args true
	run "$RUNO_BIN" --root "$other" run --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"state root: $other is owned by uid 65534 with mode 0755"* ]]
	[ -z "$(ls -A "$other")" ]
	chown 0:0 "$other" && chmod 1777 "$other"
	run "$RUNO_BIN" --root "$other" list
	[ "$status" -ne 0 ]
	[[ "$output" == *"$other is owned by uid 0 with mode 01777"* ]]
	# A container directory planted by another user, with a poststop hook:
	# delete does not run it.
	set_args sleep 100
	runo run -d --bundle "$BUNDLE" "$ID"
	runo kill "$ID" KILL
	wait_for_status "$ID" stopped
	mv "$ROOT/$ID" "$ROOT/.hidden"
	mkdir "$ROOT/$ID"
	jq --arg m "$BATS_TEST_TMPDIR/hook-ran" '.hooks = {poststop: [{path: "/bin/touch", args: ["touch", $m]}]}' \
		"$ROOT/.hidden/state.json" > "$ROOT/$ID/state.json"
	chown -R 65534:65534 "$ROOT/$ID"
	run runo delete "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"$ROOT/$ID is owned by uid 65534"* ]]
	[ ! -e "$BATS_TEST_TMPDIR/hook-ran" ]
	# list shows containers only: not the renamed directory, whose state is
	# another id's, nor the planted one.
	run runo list -q
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	rm -rf "${ROOT:?}/$ID"
	mv "$ROOT/.hidden" "$ROOT/$ID"
	runo delete "$ID"
}

@test "bind sources under /proc/self, /proc/thread-self or init's own /proc/PID are refused, naming the mount" {
	local src
	for src in /proc/self/fd/3 /proc/thread-self/fd /proc/self; do
		update_config --arg s "$src" '.mounts += [{"destination": "/leak", "type": "bind", "source": $s, "options": ["rbind"]}]'
		create_fails
		[[ "$output" == *"].source: "*"$src"*" is under /proc/self"* ]]
		assert_no_leftovers "$ID"
		update_config 'del(.mounts[-1])'
	done
	# The same through a symlink: refused where init resolves it.
	ln -s /proc/self "$BATS_TEST_TMPDIR/self"
	ln -s /proc "$BATS_TEST_TMPDIR/proc"
	for src in "$BATS_TEST_TMPDIR/self/fd" "$BATS_TEST_TMPDIR/proc/thread-self/fd/4" "$BATS_TEST_TMPDIR/proc/../proc/self/root"; do
		update_config --arg s "$src" '.mounts += [{"destination": "/leak", "type": "bind", "source": $s, "options": ["rbind"]}]'
		create_fails
		[[ "$output" == *"mounts["*"bind source "*"$src"*": /proc/"*"is a process directory of the runtime's or init's own"* ]]
		assert_no_leftovers "$ID"
		# And where the runtime resolves it, for a container with a user namespace.
		update_config '.linux.namespaces += [{"type": "user"}] | .linux.uidMappings = [{containerID: 0, hostID: 0, size: 65536}] | .linux.gidMappings = .linux.uidMappings'
		create_fails
		[[ "$output" == *"mounts["*"bind source "*"$src"*": /proc/"*"is a process directory of the runtime's or init's own"* ]]
		assert_no_leftovers "$ID"
		update_config 'del(.mounts[-1]) | del(.linux.namespaces[-1]) | del(.linux.uidMappings) | del(.linux.gidMappings)'
	done
	# Another process's files are not init's: they still bind.
	update_config '.mounts += [{"destination": "/leak", "type": "bind", "source": "/proc/1/comm", "options": ["bind"]}]'
	touch "$BUNDLE/rootfs/leak"
	run_in 'cat /leak'
	[ "$status" -eq 0 ]
	[ "$output" = "$(cat /proc/1/comm)" ]
}

@test "hooks: no runo variables without an env, a hook that exits has finished, a timeout kills the hook's group" {
	update_config --arg f "$BATS_TEST_TMPDIR/env" '.hooks = {createContainer: [{path: "/bin/sh", args: ["sh", "-c", ("env > " + $f)]}],
		createRuntime: [{path: "/bin/sh", args: ["sh", "-c", ("env >> " + $f)]}]}'
	set_args true
	runo run --bundle "$BUNDLE" "$ID"
	run grep -v '^PWD=\|^SHLVL=\|^_=' "$BATS_TEST_TMPDIR/env"
	[ -z "$output" ]
	# The hook exits 0 while a child it started holds its output.
	update_config '.hooks = {createRuntime: [{path: "/bin/sh", args: ["sh", "-c", "sleep 4 & exit 0"]}]}'
	local start=$SECONDS
	runo create --bundle "$BUNDLE" "$ID" > /dev/null
	[ $((SECONDS - start)) -lt 3 ]
	[ "$(status_of "$ID")" = created ]
	runo delete -f "$ID"
	# Past its timeout, the hook and its children are killed.
	update_config --arg f "$BATS_TEST_TMPDIR/child" '.hooks = {createRuntime: [{path: "/bin/sh", args: ["sh", "-c", ("sleep 100 & echo $! > " + $f + "; wait")], timeout: 1}]}'
	create_fails
	[[ "$output" == *"error running createRuntime hook #0: /bin/sh: timed out after 1s"* ]]
	wait_dead "$(cat "$BATS_TEST_TMPDIR/child")"
	assert_no_leftovers "$ID"
}

@test "an error about a huge list quotes a bounded part of it" {
	update_config '.process.user.additionalGids = [range(500000)]'
	set_args true
	run runo run --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"process.user.additionalGids"* ]]
	[ "${#output}" -lt 8192 ]
	assert_no_leftovers "$ID"
}
