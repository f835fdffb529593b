#!/usr/bin/env bats
# Attacks on the runtime that must fail.

load helpers

setup() {
	runo_setup
	# A copy of runo: the attack must not be able to damage the one under test.
	cp "$RUNO_BIN" "$BATS_TEST_TMPDIR/runo"
	RUNO_BIN=$BATS_TEST_TMPDIR/runo
}

@test "CVE-2019-5736: the runo binary cannot be reopened for writing through /proc/PID/exe" {
	local before pid
	before=$(sha256sum < "$RUNO_BIN")
	runo create --bundle "$BUNDLE" "$ID"
	pid=$(pid_of "$ID")
	# Hold the file init executes, as a process in the container could, and
	# write through it once no runo executes any more.
	exec 9< "/proc/$pid/exe"
	runo start "$ID"
	run sh -c 'echo overwritten >> /proc/self/fd/9'
	exec 9<&-
	[ "$status" -ne 0 ]
	[[ "$output" == *"Read-only file system"* ]]
	[ "$(sha256sum < "$RUNO_BIN")" = "$before" ]
}

@test "CVE-2019-5736: a process in the container cannot write runo init's binary during exec" {
	local before pid shm i
	before=$(sha256sum < "$RUNO_BIN")
	runo run -d --bundle "$BUNDLE" "$ID"
	pid=$(pid_of "$ID")
	shm=/proc/$pid/root/dev/shm
	# In the container: catch the runo init of an exec, hold its binary, and
	# write through it when told (once no runo runs any more).
	runo exec -d "$ID" sh -c '
		attack() {
			touch /dev/shm/caught
			until [ -e /dev/shm/go ]; do sleep 0.05; done
			{ echo overwritten >> /proc/self/fd/9; } 2> /dev/shm/err || touch /dev/shm/refused
			touch /dev/shm/done
		}
		while :; do
			for p in /proc/[0-9]*; do
				# The process may be gone by the time its exe is opened.
				[ "$(cat $p/comm 2>/dev/null)" = runo ] && attack 9< $p/exe 2> /dev/null && exit
			done
		done'
	for i in $(seq 100); do
		[ -e "$shm/caught" ] && break
		runo exec "$ID" true
	done
	[ -e "$shm/caught" ]
	touch "$shm/go"
	for i in $(seq 100); do
		[ -e "$shm/done" ] && break
		sleep 0.05
	done
	cat "$shm/err"
	[ -e "$shm/refused" ]
	grep -q "Read-only file system" "$shm/err"
	[ "$(sha256sum < "$RUNO_BIN")" = "$before" ]
}

@test "CVE-2024-21626: a cwd through /proc/self/fd of the runtime is refused, in create and exec" {
	local n
	for n in 3 4 5 6 7 8 9 10 11 12; do
		update_config --arg c "/proc/self/fd/$n" '.process.cwd = $c'
		run runo create --bundle "$BUNDLE" "$ID"
		[ "$status" -ne 0 ]
		[[ "$output" == *"process.cwd /proc/self/fd/$n: "* ]]
		assert_no_leftovers "$ID"
	done
	update_config '.process.cwd = "/"'
	runo run -d --bundle "$BUNDLE" "$ID"
	for n in 3 4 5 6 7 8 9 10 11 12; do
		run runo exec --cwd "/proc/self/fd/$n" "$ID" pwd
		[ "$status" -ne 0 ]
		[[ "$output" == *"process.cwd /proc/self/fd/$n: "* ]]
	done
}

@test "CVE-2025-31133: maskedPaths are not masked with a /dev/null that is not the null device" {
	local fake
	for fake in '{"path": "/dev/null", "type": "c", "major": 1, "minor": 5}' \
		'{"path": "/dev/null", "type": "p"}'; do
		update_config --argjson d "$fake" '.linux.devices = [$d]'
		run runo create --bundle "$BUNDLE" "$ID"
		[ "$status" -ne 0 ]
		[[ "$output" == *"linux.maskedPaths: /dev/null is not the null device (char 1:3)"* ]]
		assert_no_leftovers "$ID"
	done
	# A /dev/null bound from a host file, as a symlinked one would resolve,
	# is refused too (here already when the device is made).
	update_config '.linux.devices = [] | .mounts += [{"destination": "/dev/null", "type": "bind", "source": "/etc/hostname", "options": ["bind"]}]'
	run runo create --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"/dev/null"* ]]
	assert_no_leftovers "$ID"
}

@test "only sysctls of the container's own namespaces are set" {
	update_config '.linux.sysctl = {"net.ipv4.ip_forward": "1", "kernel.shmmax": "123456789", "fs.mqueue.msg_max": "20"}'
	set_args sh -c 'cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmax /proc/sys/fs/mqueue/msg_max'
	run runo run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ "$(echo $output)" = "1 123456789 20" ]
	# A sysctl of no namespace, or of one the container shares with the host, would change the host.
	update_config '.linux.sysctl = {"kernel.panic": "5"}'
	run runo create --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *'linux.sysctl[\"kernel.panic\"]: not in a namespace of the container'* ]]
	update_config '.linux.sysctl = {"net.ipv4.ip_forward": "1"} | .linux.namespaces |= map(select(.type != "network"))'
	run runo create --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *'linux.sysctl[\"net.ipv4.ip_forward\"]: needs a network namespace'* ]]
	update_config --arg p "/proc/$$/ns/net" '.linux.namespaces += [{"type": "network", "path": $p}]'
	run runo create --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"needs a network namespace of the container's own"* ]]
	assert_no_leftovers "$ID"
}
