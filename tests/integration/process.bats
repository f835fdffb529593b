#!/usr/bin/env bats
# process.args, env, cwd, user and rlimits, checked from inside.

load helpers

@test "args and env reach the process, with HOME from /etc/passwd" {
	update_config '.process.env = ["PATH=/bin", "FOO=bar baz"]'
	set_args sh -c 'echo "$0|$1|$FOO|$HOME|$PATH"' first second
	run runo run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ "$output" = "first|second|bar baz|/root|/bin" ]
}

@test "process.cwd is the working directory, created when missing" {
	update_config '.process.cwd = "/var/lib/work"'
	run_in 'pwd'
	[ "$status" -eq 0 ]
	[ "$output" = /var/lib/work ]
}

@test "process.user sets uid, gid, additional gids and umask" {
	update_config '.root.readonly = false'
	update_config '.process.user = {"uid": 1000, "gid": 1000, "additionalGids": [5, 65534], "umask": 63}'
	run_in 'grep -E "^(Uid|Gid|Groups):" /proc/self/status; umask; echo $HOME; touch /tmp/f; stat -c %a /tmp/f'
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^Uid:[[:space:]]+1000[[:space:]]+1000[[:space:]]+1000[[:space:]]+1000$ ]]
	[[ "${lines[1]}" =~ ^Gid:[[:space:]]+1000[[:space:]]+1000[[:space:]]+1000[[:space:]]+1000$ ]]
	[[ "${lines[2]}" =~ ^Groups:[[:space:]]+5[[:space:]]65534 ]]
	[ "${lines[3]}" = 0077 ]
	[ "${lines[4]}" = /home/user ]
	[ "${lines[5]}" = 600 ]
}

@test "a non-root user gets no capabilities" {
	update_config '.process.user = {"uid": 1000, "gid": 1000}'
	run_in 'grep -E "^Cap(Eff|Prm)" /proc/self/status'
	[ "${lines[0]}" = "CapPrm:	0000000000000000" ]
	[ "${lines[1]}" = "CapEff:	0000000000000000" ]
}

@test "process.capabilities are applied exactly; the default set cannot do what it lacks" {
	run_in 'grep ^Cap /proc/self/status; hostname other 2>&1; mknod /dev/shm/x c 1 3 2>&1'
	# runc's default: CAP_AUDIT_WRITE, CAP_KILL, CAP_NET_BIND_SERVICE.
	[ "${lines[0]}" = "CapInh:	0000000000000000" ]
	[ "${lines[1]}" = "CapPrm:	0000000020000420" ]
	[ "${lines[2]}" = "CapEff:	0000000020000420" ]
	[ "${lines[3]}" = "CapBnd:	0000000020000420" ]
	[ "${lines[4]}" = "CapAmb:	0000000000000000" ]
	[[ "${lines[5]}" == *"Operation not permitted"* ]]
	[[ "${lines[6]}" == *"Operation not permitted"* ]]
	# A non-root user keeps what is ambient; the sets are as asked.
	update_config '.process.user = {"uid": 1000, "gid": 1000} | .process.capabilities = {
		"bounding": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_RAW", "CAP_SETUID"],
		"effective": ["CAP_CHOWN", "CAP_KILL"], "permitted": ["CAP_CHOWN", "CAP_KILL"],
		"inheritable": ["CAP_KILL"], "ambient": ["CAP_KILL"]}'
	run_in 'grep ^Cap /proc/self/status'
	[ "$(echo "$output" | tr -d '\t' | tr '\n' ' ')" = \
		"CapInh:0000000000000020 CapPrm:0000000000000020 CapEff:0000000000000020 CapBnd:00000000000020a1 CapAmb:0000000000000020 " ]
}

@test "exec gets the container's capabilities" {
	runo run -d --bundle "$BUNDLE" "$ID"
	run runo exec "$ID" grep CapEff /proc/self/status
	[ "$output" = "CapEff:	0000000020000420" ]
}

@test "capabilities that cannot be granted are skipped with a warning, as the runtime-spec asks" {
	# An unknown name, and ambient ones without inheritable (every runc 1.1
	# spec has those).
	update_config '.process.capabilities.effective += ["CAP_NO_SUCH"]
		| .process.capabilities.inheritable = ["CAP_KILL"] | .process.capabilities.ambient = ["CAP_KILL", "CAP_CHOWN"]'
	set_args sh -c 'grep -E "^Cap(Eff|Amb)" /proc/self/status'
	run runo run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[[ "$output" == *'level=warning'*'CAP_NO_SUCH is unknown, and skipped'* ]]
	[[ "$output" == *"can't raise ambient capability CAP_CHOWN: it is not inheritable and permitted"* ]]
	[[ "$output" == *"CapAmb:	0000000000000020"* ]]
	[[ "$output" == *"CapEff:	0000000020000420"* ]]
}

@test "process.rlimits are applied" {
	update_config '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 512, "hard": 777}, {"type": "RLIMIT_NPROC", "soft": 300, "hard": 400}]'
	run_in 'ulimit -n; ulimit -Hn; grep "Max processes" /proc/self/limits'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 512 ]
	[ "${lines[1]}" = 777 ]
	[[ "${lines[2]}" =~ Max\ processes\ +300\ +400 ]]
}

@test "an rlimit above the hard limit fails at create, naming it" {
	update_config '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 100, "hard": 4000000}]'
	run runo --log-format json create --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ "$(echo "$output" | jq -r .msg)" == "process.rlimits RLIMIT_NOFILE (soft 100, hard 4000000): operation not permitted" ]]
	assert_no_leftovers "$ID"
}

@test "noNewPrivileges sets no_new_privs" {
	run_in 'grep NoNewPrivs /proc/self/status'
	[ "$output" = "NoNewPrivs:	1" ]
	update_config '.process.noNewPrivileges = false'
	run_in 'grep NoNewPrivs /proc/self/status'
	[ "$output" = "NoNewPrivs:	0" ]
}

@test "only stdio and preserved fds reach the process" {
	set_args sh -c 'ls /proc/self/fd'
	run runo run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	# 0, 1, 2 and the fd ls opened for the directory.
	[ "$(echo "$output" | tr '\n' ' ')" = "0 1 2 3 " ]
	exec 5> "$BATS_TEST_TMPDIR/preserved"
	set_args sh -c 'echo through-fd-4 >&4; ls /proc/self/fd'
	run runo run --preserve-fds 2 --bundle "$BUNDLE" "$ID" 3</dev/null 4>&5
	exec 5>&-
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | tr '\n' ' ')" = "0 1 2 3 4 5 " ]
	[ "$(cat "$BATS_TEST_TMPDIR/preserved")" = through-fd-4 ]
}

@test "a new session keyring is joined unless --no-new-keyring" {
	update_config '.linux.maskedPaths -= ["/proc/keys"]'
	run_in 'cat /proc/keys'
	[[ "$output" == *"_ses.$ID"* ]]
	run runo run --no-new-keyring --bundle "$BUNDLE" "$ID-nk"
	[ "$status" -eq 0 ]
	[[ "$output" != *"_ses.$ID-nk"* ]]
}

@test "linux.personality, process.ioPriority and process.scheduler are applied" {
	update_config '.linux.personality = {"domain": "LINUX32"}
		| .process.ioPriority = {"class": "IOPRIO_CLASS_BE", "priority": 3}
		| .process.scheduler = {"policy": "SCHED_BATCH", "nice": 7}'
	# /proc/self/stat: field 19 is the nice value, 41 the policy (3: SCHED_BATCH).
	run_in 'uname -m; ionice -p $$; cut -d" " -f19,41 /proc/self/stat'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = i686 ]
	[ "${lines[1]}" = "best-effort: prio 3" ]
	[ "${lines[2]}" = "7 3" ]
}

@test "bad personality, ioPriority and scheduler values are refused, naming them" {
	update_config '.linux.personality = {"domain": "LINUX64"}'
	create_fails
	[[ "$output" == *'linux.personality.domain: unknown \"LINUX64\"'* ]]
	update_config 'del(.linux.personality) | .process.ioPriority = {"class": "IOPRIO_CLASS_BE", "priority": 9}'
	create_fails
	[[ "$output" == *"process.ioPriority.priority: 9 is outside 0..7"* ]]
	update_config 'del(.process.ioPriority) | .process.scheduler = {"policy": "SCHED_ISO"}'
	create_fails
	[[ "$output" == *'process.scheduler.policy: unknown \"SCHED_ISO\"'* ]]
	assert_no_leftovers "$ID"
}

@test "linux.memoryPolicy sets the NUMA policy the process runs with; bad ones are refused, naming the field" {
	set_args sh -c 'grep -m1 -o -E "(bind|interleave|prefer)[^ ]*" /proc/self/numa_maps'
	update_config '.linux.memoryPolicy = {"mode": "MPOL_INTERLEAVE", "nodes": "0", "flags": ["MPOL_F_STATIC_NODES"]}'
	run runo run --bundle "$BUNDLE" "$ID"
	[ "$output" = interleave=static:0 ]
	update_config '.linux.memoryPolicy = {"mode": "MPOL_BIND", "nodes": "0"}'
	run runo run --bundle "$BUNDLE" "$ID"
	[ "$output" = bind:0 ]
	update_config '.linux.memoryPolicy = {"mode": "MPOL_SOMEWHERE", "nodes": "0"}'
	create_fails
	[[ "$output" == *'linux.memoryPolicy.mode: invalid memory policy mode \"MPOL_SOMEWHERE\"'* ]]
	update_config '.linux.memoryPolicy = {"mode": "MPOL_BIND", "nodes": "0-x"}'
	create_fails
	[[ "$output" == *'linux.memoryPolicy.nodes: invalid memory policy node list \"0-x\"'* ]]
	update_config '.linux.memoryPolicy = {"mode": "MPOL_LOCAL", "nodes": "0"}'
	create_fails
	[[ "$output" == *"linux.memoryPolicy.nodes: invalid memory policy: MPOL_LOCAL mode requires 0 nodes but got 1"* ]]
	# Node 7 does not exist here: the kernel's refusal, from init.
	update_config '.linux.memoryPolicy = {"mode": "MPOL_BIND", "nodes": "7"}'
	create_fails
	[[ "$output" == *"linux.memoryPolicy: the kernel refuses"* ]]
	assert_no_leftovers "$ID"
}

@test "a capability outside runo's own bounding set is skipped with a warning, not a failure" {
	local bnd
	bnd=$(awk '/^CapBnd/ {print $2}' /proc/self/status)
	(( (0x$bnd >> 24 & 1) == 0 )) || skip "this host's bounding set has CAP_SYS_RESOURCE"
	update_config '.process.capabilities |= (.bounding += ["CAP_SYS_RESOURCE"] | .effective += ["CAP_SYS_RESOURCE"] | .permitted += ["CAP_SYS_RESOURCE"])'
	set_args grep CapEff /proc/self/status
	run runo --log-format json run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *'"level":"warning","msg":"process.capabilities: CAP_SYS_RESOURCE is not in runo'\''s bounding set, and skipped"'* ]]
	[ "${lines[1]}" = "CapEff:	0000000020000420" ]
}

@test "init and exec processes lead sessions of their own, and stdio that is the host's /dev/null becomes the container's, as in runc" {
	set_args sh -c 'cut -d" " -f5-6 /proc/self/stat; d=$(grep " /dev " /proc/self/mountinfo | cut -d" " -f1); grep -qx "mnt_id:	$d" /proc/self/fdinfo/0 && echo "stdin is the container'"'"'s /dev/null"; sleep 1000'
	runo run -d --bundle "$BUNDLE" "$ID" < /dev/null > "$BATS_TEST_TMPDIR/out" 2>&1
	for i in $(seq 50); do [ -s "$BATS_TEST_TMPDIR/out" ] && grep -q stdin "$BATS_TEST_TMPDIR/out" && break; sleep 0.1; done
	run cat "$BATS_TEST_TMPDIR/out"
	echo "$output"
	[ "${lines[0]}" = "1 1" ]
	[ "${lines[1]}" = "stdin is the container's /dev/null" ]
	run runo exec "$ID" sh -c 'read -r _ _ _ _ pgid sid _ < /proc/self/stat; [ "$pgid" = "$sid" ] && [ "$sid" = $$ ] && echo leader'
	[ "$output" = leader ]
}
