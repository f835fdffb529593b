#!/usr/bin/env bats
# Bad input gets one clear line naming the field, path or id, a non-zero
# exit, and leaves no state directory, cgroup, mount or process behind.

load helpers

# expect_failure runs `runo create` and checks that the error is one JSON
# log line whose msg holds $1, and that nothing of the container is left.
expect_failure() {
	run runo --log-format json create --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[ "$(echo "$output" | jq -r .level)" = error ]
	msg=$(echo "$output" | jq -r .msg)
	[[ "$msg" == *"$1"* ]] || { echo "msg: $msg"; return 1; }
	assert_no_leftovers "$ID"
}

# error_msg prints the msg of a JSON error line.
error_msg() {
	echo "$output" | jq -r .msg
}

@test "malformed config.json names the file, line and column" {
	printf '{\n  "ociVersion": "1.3.0",\n  "process": {,\n}\n' > "$BUNDLE/config.json"
	expect_failure "$BUNDLE/config.json: invalid JSON at line 3, column 15"
}

@test "a value of the wrong type names its JSON path" {
	update_config '.process.args = 5'
	expect_failure "process.args: cannot use a JSON number as []string"
}

@test "an unknown namespace type names its index" {
	update_config '.linux.namespaces[2].type = "foo"'
	expect_failure 'linux.namespaces[2].type: unknown "foo"'
}

@test "a duplicate namespace is refused" {
	update_config '.linux.namespaces += [{"type": "pid"}]'
	# runo spec adds a cgroup namespace on pure cgroup v2.
	expect_failure "linux.namespaces[$(jq '.linux.namespaces | length - 1' "$BUNDLE/config.json")].type: duplicate \"pid\""
}

@test "a missing rootfs names the path, relative or absolute" {
	update_config '.root.path = "nope"'
	expect_failure "root.path: stat $BUNDLE/nope: no such file or directory"
	update_config '.root.path = "/does/not/exist"'
	expect_failure "root.path: stat /does/not/exist: no such file or directory"
}

@test "empty process.args is refused" {
	update_config '.process.args = []'
	expect_failure "process.args: must not be empty"
}

@test "a relative process.cwd is refused" {
	update_config '.process.cwd = "tmp"'
	expect_failure 'process.cwd: "tmp" is not an absolute path'
}

@test "an environment entry without = or without a name is refused" {
	update_config '.process.env += ["NOVALUE"]'
	expect_failure 'is not NAME=VALUE'
	update_config '.process.env[-1] = "=x"'
	expect_failure 'process.env[2]: "=x" has an empty name'
}

@test "an unknown rlimit is refused" {
	update_config '.process.rlimits = [{"type": "RLIMIT_BOGUS", "soft": 1, "hard": 1}]'
	expect_failure 'process.rlimits[0].type: unknown "RLIMIT_BOGUS"'
}

@test "a hostname without a uts namespace is refused" {
	update_config '.linux.namespaces |= map(select(.type != "uts"))'
	expect_failure "hostname: setting it needs a uts namespace of the container's"
}

@test "a mount without a destination is refused" {
	update_config '.mounts += [{"type": "tmpfs", "source": "tmpfs"}]'
	expect_failure 'mounts[7].destination: must be set'
}

@test "a bind mount with filesystem options is refused, naming them" {
	update_config '.mounts += [{"destination": "/mnt", "source": "/tmp", "options": ["rbind", "ro", "mode=755"]}]'
	expect_failure '.options: "mode=755": a bind mount takes no filesystem options'
}

@test "a missing executable fails at create, with runc's wording" {
	set_args no-such-binary
	expect_failure 'exec: "no-such-binary": executable file not found in $PATH'
}

@test "a mount that fails names the mount and leaves nothing" {
	update_config '.mounts += [{"destination": "/mnt", "type": "no-such-fs", "source": "x"}]'
	expect_failure "mounts[7] (no-such-fs on /mnt): no such device"
}

@test "a joined namespace that does not exist names the path" {
	update_config '.linux.namespaces |= map(if .type == "network" then .path = "/nonexistent/netns" else . end)'
	expect_failure "opening network namespace /nonexistent/netns: no such file or directory"
}

@test "a joined path that is not a namespace names it" {
	update_config '.linux.namespaces |= map(if .type == "ipc" then .path = "/proc/self/ns/net" else . end)'
	expect_failure "joining ipc namespace /proc/self/ns/net: invalid argument"
}

@test "ids that are empty or hold / or .. are refused" {
	for id in "" "a/b" ".." "." "../x"; do
		run runo create --bundle "$BUNDLE" "$id"
		[ "$status" -ne 0 ]
		[[ "$output" == *"container id"* ]]
	done
	[ -z "$(ls "$ROOT" 2>/dev/null)" ]
}

@test "a duplicate id is refused and the first container is untouched" {
	runo create --bundle "$BUNDLE" "$ID"
	pid=$(pid_of "$ID")
	run runo create --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"container with given ID already exists: $ID"* ]]
	[ "$(status_of "$ID")" = created ]
	[ "$(pid_of "$ID")" = "$pid" ]
}

@test "an unknown signal is refused" {
	runo run -d --bundle "$BUNDLE" "$ID"
	for sig in FOO SIGFOO -1 99; do
		run runo --log-format json kill "$ID" "$sig"
		[ "$status" -ne 0 ]
		[ "$(error_msg)" = "unknown signal \"$sig\"" ]
	done
	[ "$(status_of "$ID")" = running ]
	# Signal 0 checks that the process is alive, as kill(1)'s.
	runo kill "$ID" 0
	runo kill "$ID" KILL
	wait_for_status "$ID" stopped
	run runo kill "$ID" 0
	[ "$status" -ne 0 ]
	[[ "$output" == *"container not running"* ]]
	# --all on a stopped container is no error, as in runc.
	runo kill --all "$ID" 0
}

@test "operations on a container that does not exist say so" {
	for cmd in start state kill delete; do
		run runo $cmd nothing-here
		[ "$status" -ne 0 ]
		[[ "$output" == *"container does not exist"* ]]
	done
}

@test "kill of a stopped container says it is not running" {
	set_args true
	runo run --keep --bundle "$BUNDLE" "$ID"
	run runo kill "$ID" KILL
	[ "$status" -ne 0 ]
	[[ "$output" == *"container not running"* ]]
}

@test "start of a stopped container fails" {
	set_args true
	runo run --keep --bundle "$BUNDLE" "$ID"
	run runo start "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"cannot start a container that has stopped"* ]]
}

@test "a subcommand with the wrong number of arguments says so" {
	run runo --log-format json start
	[ "$status" -ne 0 ]
	[ "$(error_msg)" = '"start" requires exactly 1 argument(s)' ]
	run runo kill
	[ "$status" -ne 0 ]
}

@test "an AppArmor profile or SELinux label this host cannot apply is refused, not dropped" {
	[ ! -e /sys/module/apparmor ] && [ ! -e /sys/fs/selinux/enforce ] || skip "this host has an LSM"
	update_config '.process.apparmorProfile = "runo-test"'
	expect_failure 'process.apparmorProfile "runo-test": AppArmor is not enabled on this host'
	update_config 'del(.process.apparmorProfile) | .process.selinuxLabel = "system_u:system_r:container_t:s0"'
	expect_failure 'process.selinuxLabel "system_u:system_r:container_t:s0": SELinux is not enabled on this host'
	update_config 'del(.process.selinuxLabel) | .linux.mountLabel = "system_u:object_r:container_file_t:s0"'
	expect_failure 'linux.mountLabel "system_u:object_r:container_file_t:s0": SELinux is not enabled on this host'
}
