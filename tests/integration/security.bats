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

@test "CVE-2019-5736: an image whose program is #!/proc/self/exe cannot write the runo binary" {
	local before
	before=$(sha256sum < "$RUNO_BIN")
	update_config '.root.readonly = false'
	# Executed by runo init, the script's interpreter is init's own binary:
	# runo runs in the container, blocked opening its --log, a fifo.
	printf '#!/proc/self/exe --log=/tmp/logfifo\n' > "$BUNDLE/rootfs/evil"
	chmod +x "$BUNDLE/rootfs/evil"
	mkfifo "$BUNDLE/rootfs/tmp/logfifo"
	runo run -d --bundle "$BUNDLE" "$ID"
	runo exec -d "$ID" /evil state x
	# The attacker runs detached, so that once that runo has exited no runo
	# process executes the binary and only the mount can stop the write.
	runo exec -d "$ID" sh -c '
		exec > /tmp/attack.out 2>&1
		for i in $(seq 50); do
			for p in /proc/[0-9]*; do
				case $(tr "\0" " " < $p/cmdline) in "/proc/self/exe "*) pid=${p#/proc/} ;; esac
			done
			[ -n "$pid" ] && break
			sleep 0.1
		done
		echo "runo binary runs as $pid"
		# Hold the binary, let that runo exit, then write through the hold.
		exec 3< /proc/$pid/exe
		cat /tmp/logfifo > /dev/null
		while [ -e /proc/$pid ]; do sleep 0.05; done
		sleep 0.5
		echo overwritten >> /proc/self/fd/3 && echo WROTE
		echo done'
	local i
	for i in $(seq 50); do
		grep -q '^done' "$BUNDLE/rootfs/tmp/attack.out" 2>/dev/null && break
		sleep 0.1
	done
	run cat "$BUNDLE/rootfs/tmp/attack.out"
	echo "$output"
	[[ "$output" == *"runo binary runs as "[0-9]* ]]
	[[ "$output" == *"Read-only file system"* ]]
	[[ "$output" != *WROTE* ]]
	[ "$(sha256sum < "$RUNO_BIN")" = "$before" ]
}

@test "CVE-2019-5736: a process in the container cannot open runo init's binary" {
	local before
	before=$(sha256sum < "$RUNO_BIN")
	runo create --bundle "$BUNDLE" "$ID"
	# pid 1 is runo init, waiting for start; runo exec's init is the same.
	run runo exec "$ID" sh -c 'cat /proc/1/comm; cat /proc/1/exe > /dev/null; echo x >> /proc/1/exe'
	[ "$status" -ne 0 ]
	[ "${lines[0]}" = runo ]
	[[ "${lines[1]}" == *"/proc/1/exe"*"Permission denied"* ]]
	[[ "${lines[2]}" == *"/proc/1/exe"*"Permission denied"* ]]
	[ "$(sha256sum < "$RUNO_BIN")" = "$before" ]
}

@test "CVE-2024-21626: a cwd through /proc/self/fd of the runtime is refused, in create and exec" {
	local n
	for n in 3 4 5 6 7 8 9 10 11 12; do
		update_config --arg c "/proc/self/fd/$n" '.process.cwd = $c'
		create_fails
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
		create_fails
		[[ "$output" == *"linux.maskedPaths: /dev/null is not the null device (char 1:3)"* ]]
		assert_no_leftovers "$ID"
	done
	# A /dev/null bound from a host file, as a symlinked one would resolve,
	# is refused too (here already when the device is made).
	update_config '.linux.devices = [] | .mounts += [{"destination": "/dev/null", "type": "bind", "source": "/etc/hostname", "options": ["bind"]}]'
	create_fails
	[[ "$output" == *"/dev/null"* ]]
	assert_no_leftovers "$ID"
}

@test "only sysctls of the container's own namespaces are set" {
	update_config '.linux.sysctl = {"net.ipv4.ip_forward": "1", "kernel.shmmax": "123456789", "fs.mqueue.msg_max": "20"}'
	set_args sh -c 'cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmax /proc/sys/fs/mqueue/msg_max'
	run runo run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ "$(echo $output)" = "1 123456789 20" ]
	# sysctl(8)'s other form, with slashes, names the same settings.
	update_config '.linux.sysctl = {"net/ipv4/conf/lo/rp_filter": "2", "kernel/msgmax": "9000"}'
	set_args sh -c 'cat /proc/sys/net/ipv4/conf/lo/rp_filter /proc/sys/kernel/msgmax'
	run runo run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ "$(echo $output)" = "2 9000" ]
	update_config '.linux.sysctl = {"kernel/panic": "5"}'
	create_fails
	[[ "$output" == *'linux.sysctl[\"kernel/panic\"]: not in a namespace of the container'* ]]
	# A sysctl of no namespace, or of one the container shares with the host, would change the host.
	update_config '.linux.sysctl = {"kernel.panic": "5"}'
	create_fails
	[[ "$output" == *'linux.sysctl[\"kernel.panic\"]: not in a namespace of the container'* ]]
	update_config '.linux.sysctl = {"net.ipv4.ip_forward": "1"} | .linux.namespaces |= map(select(.type != "network"))'
	create_fails
	[[ "$output" == *'linux.sysctl[\"net.ipv4.ip_forward\"]: needs a network namespace'* ]]
	update_config --arg p "/proc/$$/ns/net" '.linux.namespaces += [{"type": "network", "path": $p}]'
	create_fails
	[[ "$output" == *"needs a network namespace of the container's own"* ]]
	assert_no_leftovers "$ID"
}

@test "CVE-2016-9962: the container cannot read or trace init before it executes the process" {
	runo create --bundle "$BUNDLE" "$ID"
	run runo exec "$ID" cat /proc/1/environ
	[ "$status" -ne 0 ]
	[[ "$output" == *"Permission denied"* ]]
	# Once init has become the process, the process is the container's own.
	runo start "$ID"
	run runo exec "$ID" sh -c 'tr "\0" "\n" < /proc/1/environ | grep -c PATH'
	[ "$status" -eq 0 ]
	[ "$output" = 1 ]
}

@test "CVE-2019-16884: a /proc or /sys that is a symlink in the image is refused" {
	local dir
	for dir in proc sys; do
		rm -rf "$BUNDLE/rootfs/$dir" "$BUNDLE/rootfs/elsewhere"
		mkdir "$BUNDLE/rootfs/elsewhere"
		ln -s /elsewhere "$BUNDLE/rootfs/$dir"
		create_fails
		[[ "$output" == *"on /$dir): the destination is a symlink in the image"* ]]
		assert_no_leftovers "$ID"
		rm "$BUNDLE/rootfs/$dir"
		mkdir "$BUNDLE/rootfs/$dir"
	done
}

@test "CVE-2025-52881: settings go to the real procfs, whatever the container's /proc holds" {
	# No proc mount; the image ships its own /proc/sys and /proc/self files.
	update_config 'del(.mounts[] | select(.type == "proc")) | .linux.maskedPaths = [] | .linux.readonlyPaths = [] | .root.readonly = false'
	mkdir -p "$BUNDLE/rootfs/proc/sys/kernel" "$BUNDLE/rootfs/proc/self"
	touch "$BUNDLE/rootfs/proc/sys/kernel/shmmax" "$BUNDLE/rootfs/proc/self/oom_score_adj"
	update_config '.linux.sysctl = {"kernel.shmmax": "4096"} | .process.oomScoreAdj = 100'
	runo run -d --bundle "$BUNDLE" "$ID"
	local pid
	pid=$(pid_of "$ID")
	[ "$(cat "/proc/$pid/oom_score_adj")" = 100 ]
	[ "$(nsenter --ipc -t "$pid" cat /proc/sys/kernel/shmmax)" = 4096 ]
	[ ! -s "$BUNDLE/rootfs/proc/sys/kernel/shmmax" ]
	[ ! -s "$BUNDLE/rootfs/proc/self/oom_score_adj" ]
	# A fake cap_last_cap would keep the capabilities above it in exec's
	# bounding set.
	echo 0 > "$BUNDLE/rootfs/proc/sys/kernel/cap_last_cap"
	run runo exec "$ID" true
	[ "$status" -ne 0 ]
	[[ "$output" == *"the container's /proc/sys/kernel/cap_last_cap is not the kernel's"* ]]
	runo delete --force "$ID"

	# A procfs file of another process bound over init's own (still
	# procfs, so a check of the file system alone would let the write
	# through) cannot even be mounted: /proc takes no mounts but lxcfs's.
	sleep 1000 &
	HOLDER_PID=$!
	update_config --arg src "/proc/$HOLDER_PID/oom_score_adj" \
		'del(.linux.sysctl) | .mounts += [{"destination": "/proc", "type": "proc", "source": "proc"},
		  {"destination": "/proc/1/oom_score_adj", "type": "bind", "source": $src, "options": ["bind"]}]'
	create_fails
	[[ "$output" == *'/proc/1/oom_score_adj\" cannot be mounted because it is inside /proc'* ]]
	[ "$(cat "/proc/$HOLDER_PID/oom_score_adj")" = 0 ]
}

@test "CVE-2022-29162: the inheritable set is empty unless config.json asks for it" {
	# runo itself runs with CAP_KILL inheritable; it is not passed on, to
	# root or another user.
	set_args sh -c 'grep CapInh /proc/self/status'
	run setpriv --inh-caps +kill "$RUNO_BIN" --root "$ROOT" run --bundle "$BUNDLE" "$ID"
	[ "$output" = "CapInh:	0000000000000000" ]
	update_config '.process.user = {"uid": 1000, "gid": 1000}'
	run setpriv --inh-caps +kill "$RUNO_BIN" --root "$ROOT" run --bundle "$BUNDLE" "$ID"
	[ "$output" = "CapInh:	0000000000000000" ]
	update_config '.process.capabilities.inheritable = ["CAP_KILL"]'
	run runo run --bundle "$BUNDLE" "$ID"
	[ "$output" = "CapInh:	0000000000000020" ]
}
