#!/usr/bin/env bats
# What runc's own suite checks of the process, exec, init and the command
# line, as runo's own contract.

load helpers

@test "HOME comes from the container's /etc/passwd when missing or empty; a variable given twice keeps the last" {
	update_config '.process.env = ["A=1", "HOME=", "B=2", "A=3"] | .process.user.uid = 1000'
	set_args sh -c 'env | grep -E "^(A|B|HOME)=" | sort'
	run runo run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'A=3\nB=2\nHOME=/home/user')" ]
	update_config '.process.env = ["PATH=/bin"] | .process.user.uid = 0'
	set_args sh -c 'echo $HOME'
	run runo run --bundle "$BUNDLE" "$ID"
	[ "$output" = /root ]
}

@test "a terminal's output lines end in \\n alone (ONLCR off), as with runc" {
	update_config '.process.terminal = true'
	set_args stty -a
	run script -qec "$RUNO_BIN --root $ROOT run --bundle $BUNDLE $ID" /dev/null < /dev/null
	[ "$status" -eq 0 ]
	[[ "$output" == *" -onlcr"* ]]
}

@test "run and exec reset the cpu affinity of the runo that started them to the container's cpus" {
	[ "$(nproc --all)" -ge 2 ] || skip "needs two cpus"
	local all
	all=$(sed -n 's/^Cpus_allowed_list:\t//p' /proc/self/status)
	set_args sh -c 'sed -n "s/^Cpus_allowed_list:\t//p" /proc/self/status'
	run taskset -c 0 "$RUNO_BIN" --root "$ROOT" run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ "$output" = "$all" ]
	# With a cpuset, its cpus.
	update_config '.linux.resources.cpu = {"cpus": "1", "mems": "0"}'
	run taskset -c 0 "$RUNO_BIN" --root "$ROOT" run --bundle "$BUNDLE" "$ID"
	[ "$output" = 1 ]
	update_config 'del(.linux.resources.cpu) | .process.args = ["sleep", "1000"]'
	runo run -d --bundle "$BUNDLE" "$ID"
	run taskset -c 0 "$RUNO_BIN" --root "$ROOT" exec "$ID" sh -c 'sed -n "s/^Cpus_allowed_list:\t//p" /proc/self/status'
	[ "$output" = "$all" ]
	# --debug says what execCPUAffinity set first, as runc's nsexec does.
	run runo --debug exec --process <(echo '{"args": ["true"], "cwd": "/", "execCPUAffinity": {"initial": "1"}}') "$ID"
	[[ "$output" == *"nsexec: affinity: 0x2"* ]]
}

@test "exec applies linux.personality as the container's process has it" {
	update_config '.linux.personality = {"domain": "LINUX32"} | .process.args = ["sleep", "1000"]'
	runo run -d --bundle "$BUNDLE" "$ID"
	run runo exec "$ID" uname -m
	[ "$status" -eq 0 ]
	[ "$output" = i686 ]
}

@test "exec that does not happen exits 255 with runc's words: missing binary, paused or missing container" {
	runo run -d --bundle "$BUNDLE" "$ID"
	run runo exec "$ID" no-such-binary
	[ "$status" -eq 255 ]
	[[ "$output" == *'exec failed: exec: \"no-such-binary\": executable file not found in $PATH'* ]]
	run runo exec "no-such-$ID" true
	[ "$status" -eq 255 ]
	runo pause "$ID"
	run runo exec "$ID" true
	[ "$status" -eq 255 ]
	[[ "$output" == *"cannot exec in a paused container"* ]]
	runo resume "$ID"
}

@test "ps of a stopped container is an empty list" {
	runo run -d --bundle "$BUNDLE" "$ID"
	runo kill "$ID" KILL
	wait_for_status "$ID" stopped
	run runo ps --format json "$ID"
	[ "$status" -eq 0 ]
	[ "$output" = "[]" ]
	run runo ps "$ID"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
}

@test "--debug logs each stage of create, exec and init, in the words runc's users grep for" {
	set_args true
	run runo --debug run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[[ "$output" == *"level=debug"*"nsexec container setup"* ]]
	[[ "$output" == *"child process in init()"* ]]
	[[ "$output" == *"init: closing the pipe to signal completion"* ]]
	runo --log "$BATS_TEST_TMPDIR/log" --log-format json --debug run --bundle "$BUNDLE" "$ID"
	grep -q '"level":"debug".*child process in init()' "$BATS_TEST_TMPDIR/log"
	update_config '.process.args = ["sleep", "1000"]'
	runo run -d --bundle "$BUNDLE" "$ID"
	run runo --debug exec "$ID" true
	[[ "$output" == *"child process in init()"*"setns_init: about to exec /bin/true"* ]]
}

@test "runtime hooks run in the bundle, createContainer hooks in the rootfs; startContainer hooks get the process's environment" {
	update_config '.process.env = ["ONE=two"] | .root.readonly = false
		| .hooks = {"createRuntime": [{"path": "/bin/sh", "args": ["sh", "-c", "pwd > \"$0\"", "'"$BATS_TEST_TMPDIR/cwd"'"]}],
		            "createContainer": [{"path": "/bin/sh", "args": ["sh", "-c", "pwd > \"$0\"", "'"$BATS_TEST_TMPDIR/cwd2"'"]}],
		            "startContainer": [{"path": "/bin/sh", "args": ["sh", "-c", "echo $ONE $HOME > /hook.out"]}]}'
	set_args cat /hook.out
	run runo run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ "$output" = "two /root" ]
	[ "$(cat "$BATS_TEST_TMPDIR/cwd")" = "$BUNDLE" ]
	[ "$(cat "$BATS_TEST_TMPDIR/cwd2")" = "$BUNDLE/rootfs" ]
}

@test "a cgroup that is frozen already is refused, not joined" {
	local dir=/sys/fs/cgroup/freezer/runo-frozen-$$ file=freezer.state frozen=FROZEN thawed=THAWED
	if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
		dir=/sys/fs/cgroup/runo-frozen-$$ file=cgroup.freeze frozen=1 thawed=0
	fi
	mkdir "$dir"
	echo $frozen > "$dir/$file"
	update_config --arg p "/runo-frozen-$$" '.linux.cgroupsPath = $p'
	# Not `run`: a process frozen at birth would hold its output open.
	local status=0
	timeout 20 "$RUNO_BIN" --root "$ROOT" create --bundle "$BUNDLE" "$ID" > "$BATS_TEST_TMPDIR/out" 2>&1 || status=$?
	echo $thawed > "$dir/$file"
	runo delete --force "$ID" 2> /dev/null || true
	rmdir "$dir"
	output=$(cat "$BATS_TEST_TMPDIR/out")
	[ "$status" -eq 1 ]
	[[ "$output" == *"container's cgroup unexpectedly frozen"* ]]
	[ ! -e "$ROOT/$ID" ]
}

@test "init survives a strict seccomp profile without no_new_privs: descriptors are closed before the filter" {
	# Default deny; close_range is not allowed, and neither is much else.
	local allowed
	allowed=$(jq -c '[.syscalls[] | select(.action == "SCMP_ACT_ALLOW") | .names[]] - ["close_range"]' "$REPO/tests/seccomp/default.json")
	update_config --argjson a "$allowed" '.process.noNewPrivileges = false
		| .linux.seccomp = {"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64"],
		                    "syscalls": [{"names": $a, "action": "SCMP_ACT_ALLOW"}]}'
	set_args sh -c 'echo alive; grep "^Seccomp:" /proc/self/status'
	run runo run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'alive\nSeccomp:\t2')" ]
}

@test "a process whose execve fails says why on its own stderr, in one line, and exits 255, as with runc" {
	update_config '.root.readonly = false'
	echo 'not a program' > "$BUNDLE/rootfs/bad"
	chmod +x "$BUNDLE/rootfs/bad"
	set_args /bad
	run runo run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 255 ]
	[ "$output" = "exec /bad: exec format error" ]
	# start itself succeeded: the process ran and failed.
	runo create --bundle "$BUNDLE" "$ID" 2> "$BATS_TEST_TMPDIR/err"
	runo start "$ID"
	wait_for_status "$ID" stopped
	[ "$(cat "$BATS_TEST_TMPDIR/err")" = "exec /bad: exec format error" ]
	printf '#!/mmnnttbb\n' > "$BUNDLE/rootfs/bad2"
	chmod +x "$BUNDLE/rootfs/bad2"
	set_args sleep 100
	runo run -d --bundle "$BUNDLE" "$ID-2"
	run runo exec "$ID-2" /bad2
	[ "$status" -eq 255 ]
	[ "$output" = "exec /bad2: no such file or directory" ]
	runo delete -f "$ID-2"
}

@test "the created init holds stdio and runo's own descriptors, not those its caller left open" {
	set_args sleep 1000
	# Left open, without close-on-exec, as shells and test runners do.
	exec 7> "$BATS_TEST_TMPDIR/leak" 8< /dev/null
	runo create --bundle "$BUNDLE" "$ID"
	exec 7>&- 8<&-
	local pid fd target
	pid=$(pid_of "$ID")
	for fd in /proc/"$pid"/fd/*; do
		target=$(readlink "$fd")
		echo "${fd##*/} $target"
		[ "${fd##*/}" -gt 2 ] || continue
		# What is left: stdio, exec.fifo, init's own procfs and the Go
		# runtime's cpu.cfs_* and poller descriptors.
		[[ "$target" =~ ^(/dev/.*|pipe:.*|socket:.*|anon_inode:.*|/|/1/task/1/fd|.*/exec\.fifo|.*/cpu\.cfs_(quota|period)_us)$ ]]
	done
	# --preserve-fds still passes the caller's first ones.
	runo create --preserve-fds 1 --bundle "$BUNDLE" "$ID-2" 3< /dev/null
	[ "$(readlink "/proc/$(pid_of "$ID-2")/fd/3")" = /dev/null ]
	runo delete -f "$ID-2"
}

@test "config.json and exec --process are read as runc reads them: names in any case, escapes, a repeated name's last value" {
	update_config '.hostname = "first" | .process.env += ["E=x"] | .process.args = ["sh", "-c", "hostname; echo \"$E\""] | .process.terminal = false'
	# Written past jq, which would tidy away what this test is about.
	sed -i -e 's/"hostname": "first"/"hostname": "first", "HOSTNAME": "box-\\u00e9"/' \
		-e 's|"E=x"|"E=\\u00e9\\"\\t\\/x"|' -e 's/"args":/"Args":/' "$BUNDLE/config.json"
	grep -q '"HOSTNAME": "box-\\u00e9"' "$BUNDLE/config.json"
	run runo run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'box-\303\251\n\303\251"\t/x')" ]
	update_config '.process.args = ["sleep", "1000"]'
	runo run -d --bundle "$BUNDLE" "$ID"
	run runo exec --process <(printf '%s' '{"ARGS": ["sh", "-c", "pwd; echo \"$F\""], "cwd": "/", "Cwd": "/etc", "env": ["F=\ud83d\ude00"]}') "$ID"
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '/etc\n\360\237\230\200')" ]
	# A value json refuses is still an error that says where.
	run runo exec --process <(echo '{"args": ["true"], "cwd": "/", "user": {"uid": -1}}') "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"user.uid"* ]]
}
