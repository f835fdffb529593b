#!/usr/bin/env bats
# User namespaces: a new one with id maps written by runo while nsenter's
# child waits, joined ones, exec into them.

load helpers

setup() {
	runo_setup
	# The container's root is host uid 100000: the rootfs is its.
	chown -R 100000:100000 "$BUNDLE/rootfs"
	# ... and the path to it must be searchable by that uid.
	searchable_by_all "$BUNDLE"
	update_config '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .root.readonly = false'
}

@test "a new user namespace: root inside is the mapped uid outside, with its capabilities and devices" {
	set_args sh -c 'id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map; grep CapEff /proc/self/status; echo x > /dev/null && echo null-ok; touch /made-inside; hostname; sleep 1000'
	runo run -d --bundle "$BUNDLE" "$ID" > "$BATS_TEST_TMPDIR/out"
	sleep 0.3
	run cat "$BATS_TEST_TMPDIR/out"
	echo "$output"
	[ "${lines[0]}" = 0 ]
	[ "${lines[1]}" = 0 ]
	[ "$(echo ${lines[2]})" = "0 100000 65536" ]
	[ "$(echo ${lines[3]})" = "0 100000 65536" ]
	[ "${lines[4]}" = "CapEff:	0000000020000420" ]
	[ "${lines[5]}" = null-ok ]
	[ "${lines[6]}" = runo ]
	local pid
	pid=$(pid_of "$ID")
	grep -q '^Uid:	100000	100000	100000	100000' "/proc/$pid/status"
	[ "$(stat -c %u:%g "$BUNDLE/rootfs/made-inside")" = 100000:100000 ]
	[ "$(readlink "/proc/$pid/ns/user")" != "$(readlink /proc/self/ns/user)" ]
}

@test "exec joins the container's user namespace; -u maps through it" {
	runo run -d --bundle "$BUNDLE" "$ID"
	run runo exec "$ID" sh -c 'id -u; cat /proc/self/uid_map'
	[ "${lines[0]}" = 0 ]
	[ "$(echo ${lines[1]})" = "0 100000 65536" ]
	runo exec -d --pid-file "$BATS_TEST_TMPDIR/pid" -u 1000:1000 "$ID" sleep 100
	grep -q '^Uid:	101000	' "/proc/$(cat "$BATS_TEST_TMPDIR/pid")/status"
}

@test "a second container joins the first's user and network namespaces by path, as a pod's" {
	runo run -d --bundle "$BUNDLE" "$ID"
	local pid
	pid=$(pid_of "$ID")
	update_config --arg u "/proc/$pid/ns/user" --arg n "/proc/$pid/ns/net" '
		del(.linux.uidMappings, .linux.gidMappings)
		| .linux.namespaces |= map(if .type == "user" then .path = $u elif .type == "network" then .path = $n else . end)'
	set_args sh -c 'id -u; readlink /proc/self/ns/user; readlink /proc/self/ns/net'
	run runo run --bundle "$BUNDLE" "$ID-2"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0 ]
	[ "${lines[1]}" = "$(readlink "/proc/$pid/ns/user")" ]
	[ "${lines[2]}" = "$(readlink "/proc/$pid/ns/net")" ]
}

@test "a joined user namespace with its own mappings given too, as containerd and CRI-O send them; other mappings are refused" {
	runo run -d --bundle "$BUNDLE" "$ID"
	local pid
	pid=$(pid_of "$ID")
	update_config --arg u "/proc/$pid/ns/user" '.linux.namespaces |= map(if .type == "user" then .path = $u else . end)'
	set_args sh -c 'id -u; cat /proc/self/uid_map; readlink /proc/self/ns/user'
	run runo run --bundle "$BUNDLE" "$ID-2"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0 ]
	[ "$(echo ${lines[1]})" = "0 100000 65536" ]
	[ "${lines[2]}" = "$(readlink "/proc/$pid/ns/user")" ]
	update_config '.linux.gidMappings[0].hostID = 200000'
	run runo create --bundle "$BUNDLE" "$ID-3"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *'linux.gidMappings: [{0 200000 65536}] are not the mappings of the user namespace joined, [{0 100000 65536}]'* ]]
	assert_no_leftovers "$ID-3"
}

@test "id maps without a user namespace are not used, as runc does not use them" {
	update_config '.linux.namespaces |= map(select(.type != "user"))'
	set_args sh -c 'id -u; cat /proc/self/uid_map'
	run runo run --bundle "$BUNDLE" "$ID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0 ]
	[ "$(echo ${lines[1]})" = "0 0 4294967295" ]
}

@test "id maps: missing, or without root mapped, are refused clearly" {
	update_config 'del(.linux.uidMappings)'
	create_fails
	[[ "$output" == *"linux.uidMappings: a new user namespace needs them"* ]]
	assert_no_leftovers "$ID"
	update_config '.linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 0}]'
	create_fails
	[[ "$output" == *"linux.uidMappings[0].size: must not be 0"* ]]
	update_config '.linux.uidMappings = [{"containerID": 1, "hostID": 100000, "size": 10}]'
	create_fails
	[[ "$output" == *"becoming root in the user namespace (are uid and gid 0 mapped?)"* ]]
	assert_no_leftovers "$ID"
}

@test "idmapped mounts: host files show as the container's root, and its files land as the host's" {
	local shared=$BATS_TEST_TMPDIR/shared
	mkdir -p "$shared/sub"
	echo host > "$shared/f"
	update_config --arg s "$shared" '.mounts += [
		{"destination": "/idmapped", "type": "bind", "source": $s, "options": ["rbind", "ridmap"]},
		{"destination": "/plain", "type": "bind", "source": $s, "options": ["bind"]}]'
	set_args sh -c 'stat -c "%u:%g" /idmapped/f /plain/f; echo new > /idmapped/new && echo created'
	run runo run --bundle "$BUNDLE" "$ID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0:0 ]
	[ "${lines[1]}" = 65534:65534 ]
	[ "${lines[2]}" = created ]
	[ "$(stat -c %u:%g "$shared/new")" = 0:0 ]
}

@test "idmapped mounts take mappings of their own, also without a user namespace" {
	local shared=$BATS_TEST_TMPDIR/shared
	mkdir -p "$shared"
	echo host > "$shared/f"
	update_config --arg s "$shared" '.linux.namespaces |= map(select(.type != "user")) | del(.linux.uidMappings, .linux.gidMappings)
		| .mounts += [{"destination": "/idmapped", "type": "bind", "source": $s, "options": ["bind"],
			"uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}],
			"gidMappings": [{"containerID": 0, "hostID": 2000, "size": 1}]}]'
	set_args stat -c %u:%g /idmapped/f
	run runo run --bundle "$BUNDLE" "$ID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = 1000:2000 ]
}

@test "idmapped mount errors: not a bind mount, no mappings at all, uid maps without gid maps" {
	update_config '.mounts += [{"destination": "/t", "type": "tmpfs", "source": "tmpfs", "options": ["idmap"]}]'
	create_fails
	[[ "$output" == *"mounts[7] (/t): idmapped mounts must be bind mounts"* ]]
	update_config '.mounts[7] = {"destination": "/t", "type": "bind", "source": "/tmp", "options": ["bind", "idmap"]}
		| .linux.namespaces |= map(select(.type != "user")) | del(.linux.uidMappings, .linux.gidMappings)'
	create_fails
	[[ "$output" == *"mounts[7] (/t): idmap without mappings, in a container without a user namespace"* ]]
	update_config '.mounts[7].uidMappings = [{"containerID": 0, "hostID": 1000, "size": 1}]'
	create_fails
	[[ "$output" == *"mounts[7] (/t): uidMappings and gidMappings go together"* ]]
	assert_no_leftovers "$ID"
}

@test "what runo makes for the container belongs to its root: mount points, /dev; time offsets apply too" {
	update_config '.mounts += [{"destination": "/made/by/runo", "type": "tmpfs", "source": "tmpfs"}]
		| .linux.namespaces += [{"type": "time"}] | .linux.timeOffsets = {"boottime": {"secs": 86400}}'
	set_args sh -c 'stat -c %u:%g /dev /dev/pts /made/by/runo; cut -d. -f1 /proc/uptime'
	run runo run --bundle "$BUNDLE" "$ID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(echo ${lines[@]:0:3})" = "0:0 0:0 0:0" ]
	[ "$(stat -c %u:%g "$BUNDLE/rootfs/made/by")" = 100000:100000 ]
	(( ${lines[3]} >= $(cut -d. -f1 /proc/uptime) + 86400 - 5 ))
}

@test "a joined user namespace with a network namespace the host owns, and an idmapped mount through the joined user namespace" {
	runo run -d --bundle "$BUNDLE" "$ID"
	local pid netns=$BATS_TEST_TMPDIR/netns
	pid=$(pid_of "$ID")
	# A network namespace of the host's user namespace: only the host's
	# root may join it, before entering the container's user namespace.
	touch "$netns"
	unshare --net="$netns" true
	local ino
	ino=$(stat -c %i "$netns")
	mkdir -p "$BATS_TEST_TMPDIR/src"
	echo data > "$BATS_TEST_TMPDIR/src/file"
	update_config --arg u "/proc/$pid/ns/user" --arg n "$netns" --arg s "$BATS_TEST_TMPDIR/src" '
		del(.linux.uidMappings, .linux.gidMappings)
		| .linux.namespaces |= map(if .type == "user" then .path = $u elif .type == "network" then .path = $n else . end)
		| .mounts = [.mounts[] | if .type == "sysfs" then {destination: "/sys", type: "bind", source: "/sys", options: ["rbind", "ro"]} else . end]
		| .mounts += [{destination: "/idm", source: $s, type: "bind", options: ["bind", "idmap"]}]'
	set_args sh -c 'readlink /proc/self/ns/net; stat -c %u /idm/file'
	run runo run --bundle "$BUNDLE" "$ID-2"
	umount "$netns"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "net:[$ino]" ]
	# The host's root (0) owns the file: through the container's maps it
	# is the container's root too.
	[ "${lines[1]}" = 0 ]
}
