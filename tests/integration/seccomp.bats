#!/usr/bin/env bats
# linux.seccomp: profiles that block one syscall each way, every action,
# argument comparisons, flags, a Docker-like default profile, the filter in
# exec'd processes, and a listener handed to an agent (SCMP_ACT_NOTIFY).

load helpers

PROFILE=$REPO/tests/seccomp/default.json

teardown() {
	[ -z "${AGENT_PID:-}" ] || kill "$AGENT_PID" 2>/dev/null || true
	runo_teardown
}

# block sets a profile that allows everything but gives $2 (an action) to
# the syscalls $1 (comma-separated), with extra jq for the rule in $3.
block() {
	update_config --arg names "$1" --arg act "$2" \
		".linux.seccomp = {defaultAction: \"SCMP_ACT_ALLOW\", syscalls: [{names: (\$names | split(\",\")), action: \$act} ${3:-}]}"
}

@test "a filter blocks one syscall with errnoRet, for init and exec, and shows in /proc/PID/status" {
	block mkdir,mkdirat SCMP_ACT_ERRNO '| .errnoRet = 13'
	update_config '.root.readonly = false'
	set_args sh -c 'mkdir /tmp/x; grep "^Seccomp:" /proc/self/status; sleep 1000'
	runo run -d --bundle "$BUNDLE" "$ID" > "$BATS_TEST_TMPDIR/out" 2>&1
	sleep 0.3
	run cat "$BATS_TEST_TMPDIR/out"
	[[ "$output" == *"mkdir: can't create directory '/tmp/x': Permission denied"* ]]
	[[ "$output" == *"Seccomp:	2"* ]]
	grep -q '^Seccomp:	2' "/proc/$(pid_of "$ID")/status"
	run runo exec "$ID" sh -c 'mkdir /tmp/y; grep "^Seccomp:" /proc/self/status'
	[[ "$output" == *"mkdir: can't create directory '/tmp/y': Permission denied"* ]]
	[[ "$output" == *"Seccomp:	2"* ]]
	# The other way round: allowed by the rule, denied by default.
	update_config '.linux.seccomp = {defaultAction: "SCMP_ACT_ERRNO", defaultErrnoRet: 38, syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO", errnoRet: 1}]}'
	update_config '.linux.seccomp.syscalls += [{names: ["execve", "exit_group", "write", "brk", "arch_prctl", "set_tid_address", "set_robust_list", "rseq", "prlimit64", "mprotect", "readlink", "getrandom", "uname", "mmap", "munmap"], action: "SCMP_ACT_ALLOW"}]'
	set_args /bin/busybox echo still-runs
	run runo run --bundle "$BUNDLE" "$ID-2"
	[ "$output" = still-runs ]
}

@test "every action: ALLOW, LOG, ERRNO, TRACE without a tracer, TRAP, KILL, KILL_THREAD, KILL_PROCESS" {
	update_config '.root.readonly = false'
	set_args sh -c 'mkdir /tmp/d; echo status=$?; rmdir /tmp/d 2>/dev/null'
	local act
	for act in SCMP_ACT_ALLOW SCMP_ACT_LOG; do
		block mkdir,mkdirat $act
		run runo run --bundle "$BUNDLE" "$ID"
		[ "$status" -eq 0 ]
		[ "$output" = status=0 ]
	done
	block mkdir,mkdirat SCMP_ACT_ERRNO '| .errnoRet = 38'
	run runo run --bundle "$BUNDLE" "$ID"
	[ "$output" = $'mkdir: can\'t create directory \'/tmp/d\': Function not implemented\nstatus=1' ]
	# Without a tracer, TRACE fails the call with ENOSYS.
	block mkdir,mkdirat SCMP_ACT_TRACE
	run runo run --bundle "$BUNDLE" "$ID"
	[ "$output" = $'mkdir: can\'t create directory \'/tmp/d\': Function not implemented\nstatus=1' ]
	# The others end the process with SIGSYS (31): 128+31.
	set_args mkdir /tmp/d
	for act in SCMP_ACT_TRAP SCMP_ACT_KILL SCMP_ACT_KILL_THREAD SCMP_ACT_KILL_PROCESS; do
		block mkdir,mkdirat $act
		run runo run --bundle "$BUNDLE" "$ID"
		[ "$status" -eq 159 ]
	done
}

@test "argument comparisons: one argument's alternatives, and several arguments together" {
	update_config '.root.readonly = false'
	# chmod(path, mode): the setuid bit (04000) masked in is refused.
	block chmod,fchmodat SCMP_ACT_ERRNO '| .args = [{index: 1, value: 2048, valueTwo: 2048, op: "SCMP_CMP_MASKED_EQ"}]'
	update_config '.linux.seccomp.syscalls[0].names = ["chmod"] | .linux.seccomp.syscalls += [{names: ["fchmodat"], action: "SCMP_ACT_ERRNO", args: [{index: 2, value: 2048, valueTwo: 2048, op: "SCMP_CMP_MASKED_EQ"}]}]'
	set_args sh -c 'touch /tmp/f; chmod 755 /tmp/f && echo plain-ok; chmod 4755 /tmp/f || echo setuid-refused'
	run runo run --bundle "$BUNDLE" "$ID"
	[ "$output" = $'plain-ok\nchmod: /tmp/f: Operation not permitted\nsetuid-refused' ]
	# kill(pid, sig): sig 10 or sig 12 refused (same argument: either).
	block kill SCMP_ACT_ERRNO '| .args = [{index: 1, value: 10, op: "SCMP_CMP_EQ"}, {index: 1, value: 12, op: "SCMP_CMP_EQ"}]'
	set_args sh -c 'trap "" USR1 USR2 HUP; kill -USR1 $$ || echo usr1-refused; kill -USR2 $$ || echo usr2-refused; kill -HUP $$ && echo hup-ok'
	run runo run --bundle "$BUNDLE" "$ID"
	[[ "$output" == *usr1-refused*usr2-refused*hup-ok* ]]
	# Two arguments: only pid 1 with signal 0 (both must hold).
	block kill SCMP_ACT_ERRNO '| .args = [{index: 0, value: 1, op: "SCMP_CMP_EQ"}, {index: 1, value: 0, op: "SCMP_CMP_EQ"}]'
	set_args sh -c 'kill -0 1 || echo refused; sleep 10 & kill -0 $! && echo other-pid-ok; kill $!; trap "" HUP; kill -HUP 1 && echo other-sig-ok'
	run runo run --bundle "$BUNDLE" "$ID"
	[[ "$output" == *refused*other-pid-ok*other-sig-ok* ]]
}

@test "the Docker-like default profile: ordinary commands work, namespaces and mounts do not, even with CAP_SYS_ADMIN" {
	update_config '.process.capabilities.bounding += ["CAP_SYS_ADMIN"] | .process.capabilities.effective += ["CAP_SYS_ADMIN"] | .process.capabilities.permitted += ["CAP_SYS_ADMIN"]'
	set_args sh -c 'unshare -n true && echo unshare-ok'
	run runo run --bundle "$BUNDLE" "$ID"
	[ "$output" = unshare-ok ]
	update_config --slurpfile p "$PROFILE" '.linux.seccomp = $p[0]'
	set_args sh -c 'ls /bin | grep -c . >/dev/null && echo ls-ok; (sleep 0.1 &); wait; echo fork-ok; ps -o pid >/dev/null && echo ps-ok; unshare -n true || echo unshare-refused; mount -t tmpfs t /mnt || echo mount-refused'
	run runo run --bundle "$BUNDLE" "$ID"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *ls-ok*fork-ok*ps-ok*"Operation not permitted"*unshare-refused*mount-refused* ]]
}

@test "flags LOG and SPEC_ALLOW are applied, TSYNC accepted, no flags at all mean SPEC_ALLOW; --debug logs their value" {
	block mkdir SCMP_ACT_ERRNO
	set_args grep -E '^(Seccomp|Speculation_Store_Bypass):' /proc/self/status
	update_config '.linux.seccomp.flags = []'
	run runo --debug run --bundle "$BUNDLE" "$ID"
	local without=$output
	[[ "$output" == *"Seccomp:	2"* ]]
	[[ "$output" == *'"seccomp filter flags: 0"'* ]]
	update_config '.linux.seccomp.flags = ["SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"]'
	run runo --debug run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Seccomp:	2"* ]]
	[[ "$output" == *'"seccomp filter flags: 6"'* ]]
	local with=$output
	update_config 'del(.linux.seccomp.flags)'
	run runo --debug run --bundle "$BUNDLE" "$ID"
	[[ "$output" == *'"seccomp filter flags: 4"'* ]]
	# Without SPEC_ALLOW a filter forces the store-bypass mitigation on,
	# where the CPU has the flaw.
	if [[ "$without" == *"thread force mitigated"* ]]; then
		[[ "$with" != *"force mitigated"* ]]
		[[ "$output" != *"force mitigated"* ]]
	fi
}

@test "a profile that denies by default answers ENOSYS for syscalls newer than any it names, so that programs fall back" {
	update_config --slurpfile p "$PROFILE" '.linux.seccomp = $p[0]'
	cp "$PEER" "$BUNDLE/rootfs/bin/peer"
	# 1000 is above every syscall; kexec_load (246) is older than most
	# the profile names, and denied with its default errno (EPERM).
	set_args sh -c 'peer syscall 1000; peer syscall 246'
	run runo run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ "$output" = $'errno 38\nerrno 1' ]
	# A profile that allows by default leaves the kernel to answer.
	block kexec_load SCMP_ACT_ERRNO
	run runo run --bundle "$BUNDLE" "$ID"
	[ "$output" = $'errno 38\nerrno 1' ]
}

@test "SCMP_ACT_NOTIFY hands the listener and the state to the agent at listenerPath, at create and exec" {
	local sock=$BATS_TEST_TMPDIR/agent.sock
	"$PEER" seccomp-agent "$sock" > "$BATS_TEST_TMPDIR/agent.out" 2>&1 &
	AGENT_PID=$!
	wait_for_socket "$sock"
	block mkdir,mkdirat SCMP_ACT_NOTIFY
	update_config --arg s "$sock" '.root.readonly = false | .linux.seccomp.listenerPath = $s | .linux.seccomp.listenerMetadata = "meta-42"'
	# The agent answers success without making the directory.
	set_args sh -c 'mkdir /tmp/x && echo mkdir-ok; ls -d /tmp/x 2>&1; sleep 1000'
	runo create --bundle "$BUNDLE" "$ID" > "$BATS_TEST_TMPDIR/out" 2>&1
	runo start "$ID"
	sleep 0.3
	run cat "$BATS_TEST_TMPDIR/out"
	[[ "$output" == *"mkdir-ok"*"ls: /tmp/x: No such file or directory"* ]]
	run sed -n 's/^state //p' "$BATS_TEST_TMPDIR/agent.out"
	[ "$(jq -r .fds[0] <<< "$output")" = seccompFd ]
	[ "$(jq -r .metadata <<< "$output")" = meta-42 ]
	[ "$(jq -r .state.status <<< "$output")" = creating ]
	[ "$(jq -r .pid <<< "$output")" = "$(pid_of "$ID")" ]
	[ "$(jq -r .state.id <<< "$output")" = "$ID" ]
	grep -q '^notified syscall 83$' "$BATS_TEST_TMPDIR/agent.out"
	# exec's process has a listener of its own, sent the same way: the
	# first agent took one connection, and removed its socket.
	rm -f "$sock"
	"$PEER" seccomp-agent "$sock" > "$BATS_TEST_TMPDIR/agent2.out" 2>&1 &
	AGENT_PID=$!
	wait_for_socket "$sock"
	run runo exec "$ID" sh -c 'mkdir /tmp/y && echo mkdir-ok; ls -d /tmp/y'
	[[ "$output" == *"mkdir-ok"*"No such file or directory"* ]]
	run sed -n 's/^state //p' "$BATS_TEST_TMPDIR/agent2.out"
	[ "$(jq -r .state.status <<< "$output")" = running ]
}

@test "seccomp errors name the field and leave nothing; a listenerPath nobody listens on fails create" {
	block mkdir SCMP_ACT_NOPE
	create_fails
	[[ "$output" == *'linux.seccomp.syscalls[0].action: unknown \"SCMP_ACT_NOPE\"'* ]]
	assert_no_leftovers "$ID"
	block mkdir SCMP_ACT_NOTIFY
	create_fails
	[[ "$output" == *"linux.seccomp.listenerPath: must be set"* ]]
	assert_no_leftovers "$ID"
	update_config --arg s "$BATS_TEST_TMPDIR/none.sock" '.linux.seccomp.listenerPath = $s'
	create_fails
	[[ "$output" == *"linux.seccomp.listenerPath: failed to connect with seccomp agent: dial unix $BATS_TEST_TMPDIR/none.sock: connect: no such file or directory"* ]]
	assert_no_leftovers "$ID"
	# The runtime's own writes to init would wait for the agent.
	block mkdir,write SCMP_ACT_NOTIFY
	update_config '.linux.seccomp.listenerPath = "/run/agent.sock"'
	create_fails
	[[ "$output" == *"linux.seccomp.syscalls[0]: SCMP_ACT_NOTIFY cannot be used for the write syscall"* ]]
	assert_no_leftovers "$ID"
}

@test "compiled profiles are kept outside --root for the next container; a broken entry is compiled again" {
	export RUNO_CACHE=$BATS_TEST_TMPDIR/cache
	block mkdir,mkdirat SCMP_ACT_ERRNO
	update_config '.root.readonly = false'
	set_args sh -c 'mkdir /tmp/d 2>&1; grep "^Seccomp:" /proc/self/status'
	run runo run --bundle "$BUNDLE" "$ID"
	[[ "$output" == *"Operation not permitted"*"Seccomp:	2"* ]]
	[ "$(ls "$RUNO_CACHE/seccomp" | wc -l)" = 1 ]
	run runo run --bundle "$BUNDLE" "$ID"
	[[ "$output" == *"Operation not permitted"*"Seccomp:	2"* ]]
	[ "$(ls "$RUNO_CACHE/seccomp" | wc -l)" = 1 ]
	# Another profile is another entry.
	block mkdir,mkdirat SCMP_ACT_ERRNO '| .errnoRet = 13'
	run runo run --bundle "$BUNDLE" "$ID"
	[[ "$output" == *"Permission denied"* ]]
	[ "$(ls "$RUNO_CACHE/seccomp" | wc -l)" = 2 ]
	# The state root holds containers only.
	[ -z "$(ls -A "$ROOT")" ]
	local f
	for f in "$RUNO_CACHE"/seccomp/*; do echo garbage > "$f"; done
	run runo run --bundle "$BUNDLE" "$ID"
	[[ "$output" == *"Permission denied"*"Seccomp:	2"* ]]
}
