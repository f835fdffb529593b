#!/usr/bin/env bats
# Rootless runo: run by an unprivileged user, with a map of that user alone
# or ranges from /etc/subuid through newuidmap, state under
# $XDG_RUNTIME_DIR, and cgroups skipped when not delegated.

load helpers

ROOTLESS_USER=runo-rootless

setup_file() {
	[ "$(id -u)" = 0 ] || return 0
	id "$ROOTLESS_USER" > /dev/null 2>&1 || useradd -M -s /bin/sh "$ROOTLESS_USER"
	local u
	u=$(id -u "$ROOTLESS_USER")
	grep -q "^$ROOTLESS_USER:" /etc/subuid || echo "$ROOTLESS_USER:300000:65536" >> /etc/subuid
	grep -q "^$ROOTLESS_USER:" /etc/subgid || echo "$ROOTLESS_USER:300000:65536" >> /etc/subgid
}

teardown_file() {
	[ "$(id -u)" = 0 ] || return 0
	userdel "$ROOTLESS_USER" 2> /dev/null || true
	sed -i "/^$ROOTLESS_USER:/d" /etc/subuid /etc/subgid
}

setup() {
	runo_setup
	RU=$(id -u "$ROOTLESS_USER")
	RG=$(id -g "$ROOTLESS_USER")
	SUB=$(awk -F: -v u="$ROOTLESS_USER" '$1 == u { print $2 }' /etc/subuid)
	export XDG=$BATS_TEST_TMPDIR/xdg
	mkdir -p "$XDG"
	rm "$BUNDLE/config.json"
	as_user_setup
}

teardown() {
	local c
	for c in $(as_user list -q 2> /dev/null); do
		as_user delete --force "$c" || true
	done
	runo_teardown
}

# as_user_setup gives the bundle and the state dir to the user, and the
# path to them.
as_user_setup() {
	chown -R "$RU:$RG" "$BUNDLE" "$XDG"
	searchable_by_all "$BUNDLE"
	(cd "$BUNDLE" && setpriv --reuid="$RU" --regid="$RG" --init-groups "$RUNO_BIN" spec --rootless)
	update_config '.process.terminal = false | .process.args = ["sleep", "1000"]'
	chown "$RU:$RG" "$BUNDLE/config.json"
}

# as_user runs runo as the unprivileged user, with its XDG_RUNTIME_DIR.
as_user() {
	setpriv --reuid="$RU" --regid="$RG" --init-groups env XDG_RUNTIME_DIR="$XDG" "$RUNO_BIN" "$@"
}

@test "spec --rootless runs unprivileged: root inside is the user outside, state under XDG_RUNTIME_DIR" {
	# As runc's: the cgroup mount stays, no mount keeps a uid= or gid=.
	[ "$(jq -r '.mounts[] | select(.destination == "/sys/fs/cgroup") | .type' "$BUNDLE/config.json")" = cgroup ]
	[ "$(jq '[.mounts[].options[]? | select(test("^[ug]id="))] | length' "$BUNDLE/config.json")" = 0 ]
	update_config '.process.args = ["sh", "-c", "id -u; cat /proc/self/uid_map; grep CapEff /proc/self/status; echo x > /dev/null && echo null-ok; sleep 1000"]'
	chown "$RU:$RG" "$BUNDLE/config.json"
	as_user run -d --bundle "$BUNDLE" "$ID" > "$BATS_TEST_TMPDIR/out" 2> "$BATS_TEST_TMPDIR/err"
	sleep 0.3
	run cat "$BATS_TEST_TMPDIR/out"
	[ "${lines[0]}" = 0 ]
	[ "$(echo ${lines[1]})" = "0 $RU 1" ]
	[ "${lines[2]}" = "CapEff:	0000000020000420" ]
	[ "${lines[3]}" = null-ok ]
	grep -q "rootless: cgroups skipped, .* is not delegated to uid $RU" "$BATS_TEST_TMPDIR/err"
	[ -d "$XDG/runo/$ID" ]
	local pid
	pid=$(as_user state "$ID" | jq -r .pid)
	grep -q "^Uid:	$RU	" "/proc/$pid/status"
	run as_user list
	[[ "$output" == *"$ID"*running*"$ROOTLESS_USER"* ]]
}

@test "rootless exec, kill and delete" {
	as_user run -d --bundle "$BUNDLE" "$ID" 2> /dev/null
	run as_user exec "$ID" sh -c 'id -u; cat /proc/self/uid_map'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0 ]
	[ "$(echo ${lines[1]})" = "0 $RU 1" ]
	as_user kill "$ID" KILL
	for i in $(seq 50); do
		[ "$(as_user state "$ID" | jq -r .status)" = stopped ] && break
		sleep 0.1
	done
	as_user delete "$ID"
	[ ! -e "$XDG/runo/$ID" ]
}

@test "rootless with ranges from /etc/subuid and /etc/subgid goes through newuidmap and newgidmap" {
	command -v newuidmap > /dev/null || skip "no newuidmap (package uidmap)"
	update_config --argjson u "$RU" --argjson g "$RG" --argjson s "$SUB" '
		.linux.uidMappings = [{"containerID": 0, "hostID": $u, "size": 1}, {"containerID": 1, "hostID": $s, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": $g, "size": 1}, {"containerID": 1, "hostID": $s, "size": 65536}]
		| .process.user = {"uid": 1000, "gid": 1000}
		| .process.args = ["sh", "-c", "id -u; id -g; wc -l < /proc/self/uid_map; sleep 1000"]'
	chown "$RU:$RG" "$BUNDLE/config.json"
	as_user run -d --bundle "$BUNDLE" "$ID" > "$BATS_TEST_TMPDIR/out" 2> /dev/null
	sleep 0.3
	run cat "$BATS_TEST_TMPDIR/out"
	[ "$(echo $output)" = "1000 1000 2" ]
	local pid
	pid=$(as_user state "$ID" | jq -r .pid)
	grep -q "^Uid:	$((SUB + 999))	" "/proc/$pid/status"
}

@test "rootless errors: no user namespace, ids the user may not map, a bad --rootless" {
	update_config '.linux.namespaces |= map(select(.type != "user")) | del(.linux.uidMappings, .linux.gidMappings)'
	run as_user run --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"rootless: the container needs a user namespace (runo spec --rootless writes one)"* ]]
	update_config '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 0, "size": 1}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 0, "size": 1}]'
	run as_user run --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.gidMappings: newgidmap"* ]]
	[ ! -e "$XDG/runo/$ID" ]
	# The systemd driver goes to the user's own instance: none here.
	rm "$BUNDLE/config.json"
	as_user_setup
	run as_user --systemd-cgroup run --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"--systemd-cgroup: rootless"* ]]
	[ ! -e "$XDG/runo/$ID" ]
	run as_user --rootless maybe list
	[ "$status" -ne 0 ]
	[[ "$output" == *'--rootless: unknown \"maybe\" (auto, true or false)'* ]]
}

@test "limits a user namespace imposes are reported clearly: devices, sysctls" {
	update_config '.linux.devices = [{"path": "/dev/runo-nope", "type": "c", "major": 10, "minor": 250}]'
	chown "$RU:$RG" "$BUNDLE/config.json"
	run as_user run --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"creating device /dev/runo-nope (linux.devices[0]): the host's /dev/runo-nope: no such file or directory"* ]]
	update_config 'del(.linux.devices) | .linux.sysctl = {"net.ipv4.ip_forward": "1"}'
	chown "$RU:$RG" "$BUNDLE/config.json"
	run as_user run --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *'linux.sysctl[\"net.ipv4.ip_forward\"]'* ]]
	update_config '.linux.sysctl = {"kernel.shmmax": "4096"} | .process.args = ["cat", "/proc/sys/kernel/shmmax"]'
	chown "$RU:$RG" "$BUNDLE/config.json"
	run as_user run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = 4096 ]
	[ ! -e "$XDG/runo/$ID" ]
}

@test "rootless runo keeps no seccomp cache: its directories are reachable by the user's own containers" {
	update_config '.root.readonly = false | .linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO"}]}
		| .process.args = ["sh", "-c", "mkdir /tmp/d 2>&1; grep ^Seccomp: /proc/self/status"]'
	chown "$RU:$RG" "$BUNDLE/config.json"
	mkdir "$XDG/cache" && chown "$RU:$RG" "$XDG/cache"
	run setpriv --reuid="$RU" --regid="$RG" --init-groups env XDG_RUNTIME_DIR="$XDG" RUNO_CACHE="$XDG/cache" "$RUNO_BIN" run --bundle "$BUNDLE" "$ID"
	[[ "$output" == *"Operation not permitted"*"Seccomp:	2"* ]]
	[ -z "$(ls -A "$XDG/cache")" ]
	[ ! -e "$XDG/runo-cache" ]
}

# in_userns runs runo as the user inside a user namespace of its own where
# it is root, as podman runs its runtime: euid 0 without host privilege.
in_userns() {
	setpriv --reuid="$RU" --regid="$RG" --init-groups env XDG_RUNTIME_DIR="$XDG" USER="$ROOTLESS_USER" \
		unshare --user --map-root-user --mount "$RUNO_BIN" "$@"
}

@test "euid 0 in a user namespace is rootless, as in podman's: state under XDG_RUNTIME_DIR, no host-only steps" {
	# podman's config: no user namespace of the container's own.
	update_config '.linux.namespaces |= map(select(.type != "user")) | del(.linux.uidMappings, .linux.gidMappings)
		| .process.args = ["sh", "-c", "id -u; cat /proc/self/uid_map; ls -l /dev/null"]'
	chown "$RU:$RG" "$BUNDLE/config.json"
	in_userns run --bundle "$BUNDLE" "$ID" > "$BATS_TEST_TMPDIR/out" 2> "$BATS_TEST_TMPDIR/err"
	run cat "$BATS_TEST_TMPDIR/out"
	[ "${lines[0]}" = 0 ]
	[ "$(echo ${lines[1]})" = "0 $RU 1" ]
	# Devices are bound from the host, not made.
	[[ "${lines[2]}" == "crw-rw-rw-"*" 1, "*"3 "* ]]
	grep -q "rootless: cgroups skipped, .* is not delegated to uid $RU" "$BATS_TEST_TMPDIR/err"
	# No seccomp cache, and no state but under XDG_RUNTIME_DIR.
	[ ! -e "$XDG/runo-cache" ]
	[ -d "$XDG/runo" ] && [ -z "$(ls -A "$XDG/runo")" ]
	# A limit outside a delegated cgroup is an error naming it; none is not.
	update_config '.linux.resources = {memory: {limit: 67108864}}'
	chown "$RU:$RG" "$BUNDLE/config.json"
	run in_userns run --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"rootless: linux.resources.memory cannot be applied: the cgroup "*" is not delegated to uid $RU"* ]]
	[ -z "$(ls -A "$XDG/runo")" ]
	# USER=root keeps /run/runo, as runc's rule says.
	update_config 'del(.linux.resources)'
	chown "$RU:$RG" "$BUNDLE/config.json"
	run setpriv --reuid="$RU" --regid="$RG" --init-groups env XDG_RUNTIME_DIR="$XDG" USER=root \
		unshare --user --map-root-user --mount "$RUNO_BIN" run --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"state root"*"/run/runo"* ]]
}
