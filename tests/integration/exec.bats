#!/usr/bin/env bats
# runo exec: a new process in every namespace and cgroup of a container.

load helpers

setup() {
	runo_setup
	runo run -d --bundle "$BUNDLE" "$ID"
	PID=$(pid_of "$ID")
}

@test "exec runs in every namespace of the container and returns the exit status" {
	run runo exec "$ID" sh -c 'for n in ipc mnt net pid uts cgroup; do readlink /proc/self/ns/$n; done; exit 7'
	[ "$status" -eq 7 ]
	local want n
	want=$(for n in ipc mnt net pid uts cgroup; do readlink /proc/$PID/ns/$n; done)
	[ "$output" = "$want" ]
	# And not in the host's.
	[ "$(readlink /proc/self/ns/mnt)" != "$(readlink /proc/$PID/ns/mnt)" ]
}

@test "exec sees the container's root, hostname and processes" {
	update_config '.hostname = "exec-host"'
	runo delete --force "$ID"
	runo run -d --bundle "$BUNDLE" "$ID"
	run runo exec "$ID" sh -c 'hostname; ps -o pid,args | grep -c "[s]leep 1000"; ls /'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = exec-host ]
	[ "${lines[1]}" = 1 ]
	[[ "$output" != *"work"* ]]
}

@test "exec -d starts the process in the container's cgroups and writes --pid-file" {
	runo exec -d --pid-file "$BATS_TEST_TMPDIR/pid" "$ID" sleep 321
	local pid dir
	pid=$(cat "$BATS_TEST_TMPDIR/pid")
	[ "$(tr '\0' ' ' < "/proc/$pid/cmdline")" = "sleep 321 " ]
	for dir in $(cgroup_dirs "$ID"); do
		grep -qx "$pid" "$dir/cgroup.procs"
	done
	runo delete --force "$ID"
	assert_no_leftovers "$ID" "$pid"
}

@test "exec flags set env, user, groups, cwd and no_new_privs; the command keeps its own flags" {
	run runo exec -e FOO=bar,baz -e PATH=/bin -u 1000:100 -g 5 -g 6 --cwd /tmp --no-new-privs "$ID" \
		sh -c 'echo $FOO $PATH; id -u; id -g; id -G; pwd; grep NoNewPrivs /proc/self/status' -x
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "bar,baz /bin" ]
	[ "${lines[1]}" = 1000 ]
	[ "${lines[2]}" = 100 ]
	[ "${lines[3]}" = "100 5 6" ]
	[ "${lines[4]}" = /tmp ]
	[[ "${lines[5]}" == *1 ]]
	run runo exec "$ID" ls -d /tmp
	[ "$output" = /tmp ]
}

@test "exec --process runs a runtime-spec process file" {
	cat > "$BATS_TEST_TMPDIR/p.json" <<-'EOF'
		{"args": ["sh", "-c", "echo $X; pwd; id -u"], "env": ["X=from-file", "PATH=/bin"],
		 "cwd": "/etc", "user": {"uid": 1000, "gid": 1000}}
	EOF
	run runo exec --process "$BATS_TEST_TMPDIR/p.json" "$ID"
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'from-file\n/etc\n1000')" ]
}

@test "exec forwards signals and returns 128+N when the process is killed" {
	run runo exec "$ID" sh -c 'kill -TERM $$'
	[ "$status" -eq 143 ]
	"$RUNO_BIN" --root "$ROOT" exec "$ID" \
		sh -c 'trap "echo got USR1; exit 0" USR1; touch /dev/shm/ready; while :; do sleep 0.05; done' \
		> "$BATS_TEST_TMPDIR/out" &
	local exec=$!
	until runo exec "$ID" test -e /dev/shm/ready; do sleep 0.05; done
	kill -USR1 "$exec"
	wait "$exec"
	[ "$(cat "$BATS_TEST_TMPDIR/out")" = "got USR1" ]
}

@test "exec passes --preserve-fds and no other descriptor" {
	run runo exec --preserve-fds 1 "$ID" ls /proc/self/fd 3< /dev/null 4< /dev/null
	[ "$status" -eq 0 ]
	# ls's own directory fd is the one past the preserved ones.
	[ "$(echo $output)" = "0 1 2 3 4" ]
	run runo exec "$ID" ls /proc/self/fd 3< /dev/null
	[ "$(echo $output)" = "0 1 2 3" ]
}

@test "exec into a paused container needs --ignore-paused" {
	# Frozen behind runo's back: v1's freezer.state, or cgroup2's cgroup.freeze.
	local file frozen=FROZEN thawed=THAWED
	if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
		file=$(procs_dir "$ID")/cgroup.freeze frozen=1 thawed=0
	else
		file=$(cgroup_dir freezer "$ID")/freezer.state
	fi
	echo $frozen > "$file"
	[ "$(status_of "$ID")" = paused ]
	run runo exec "$ID" true
	echo $thawed > "$file"
	[ "$status" -ne 0 ]
	[[ "$output" == *"cannot exec in a paused container (use --ignore-paused to override)"* ]]
	# The new process joins the frozen cgroup and goes on once thawed.
	echo $frozen > "$file"
	(sleep 0.3 && echo $thawed > "$file") &
	run runo exec --ignore-paused "$ID" echo thawed
	[ "$status" -eq 0 ]
	[ "$output" = thawed ]
}

@test "exec errors: stopped or missing container, no command, bad process file, bad flags" {
	run runo --log-format json exec "$ID" nonexistent
	[ "$status" -ne 0 ]
	[ "$status" -eq 255 ]
	[ "$(jq -r .msg <<< "$output")" = 'exec failed: exec: "nonexistent": executable file not found in $PATH' ]
	# As runc: every exec that did not happen exits 255, "exec failed: ...".
	run runo exec "$ID"
	[ "$status" -eq 255 ]
	[[ "$output" == *"exec failed: exec: a command, or --process, is required"* ]]
	printf '{"args": ["true"],\n "cwd": 5}\n' > "$BATS_TEST_TMPDIR/bad.json"
	run runo exec --process "$BATS_TEST_TMPDIR/bad.json" "$ID"
	[ "$status" -eq 255 ]
	[[ "$output" == *"$BATS_TEST_TMPDIR/bad.json: cwd: cannot use a JSON number as string (line 2, column"* ]]
	run runo exec -t -d "$ID" true
	[ "$status" -ne 0 ]
	[[ "$output" == *"cannot allocate tty if runo will detach without setting console socket"* ]]
	run runo exec --console-socket "$BATS_TEST_TMPDIR/none" "$ID" true
	[ "$status" -ne 0 ]
	[[ "$output" == *"cannot use console socket if runo will not detach or allocate tty"* ]]
	run runo exec -d -t --console-socket "$BATS_TEST_TMPDIR/none" "$ID" true
	[ "$status" -ne 0 ]
	[[ "$output" == *"--console-socket: dial unix $BATS_TEST_TMPDIR/none: connect: no such file or directory"* ]]
	if [ ! -e /sys/module/apparmor ]; then
		run runo exec --apparmor unconfined "$ID" true
		[ "$status" -ne 0 ]
		[[ "$output" == *'process.apparmorProfile \"unconfined\": AppArmor is not enabled on this host'* ]]
	fi
	if [ ! -e /sys/fs/selinux/enforce ]; then
		run runo exec --process-label system_u:system_r:container_t:s0 "$ID" true
		[ "$status" -ne 0 ]
		[[ "$output" == *'process.selinuxLabel \"system_u:system_r:container_t:s0\": SELinux is not enabled on this host'* ]]
	fi
	# A capability this build does not know is skipped with a warning.
	run runo exec --cap CAP_NOPE "$ID" true
	[ "$status" -eq 0 ]
	[[ "$output" == *'level=warning'*'CAP_NOPE is unknown, and skipped'* ]]
	run runo exec nonexistent-$ID true
	[ "$status" -ne 0 ]
	[[ "$output" == *"container does not exist"* ]]
	runo kill "$ID" KILL
	wait_for_status "$ID" stopped
	run runo exec "$ID" true
	[ "$status" -ne 0 ]
	[[ "$output" == *"cannot exec in a stopped container"* ]]
}

@test "exec pins the process to process.execCPUAffinity" {
	[ "$(nproc)" -ge 2 ] || skip "needs two cpus"
	cat > "$BATS_TEST_TMPDIR/p.json" <<-'EOF2'
		{"args": ["grep", "Cpus_allowed_list", "/proc/self/status"], "cwd": "/",
		 "execCPUAffinity": {"initial": "0", "final": "1"}}
	EOF2
	run runo exec --process "$BATS_TEST_TMPDIR/p.json" "$ID"
	[ "$output" = "Cpus_allowed_list:	1" ]
	# Without a final set, the initial one stays.
	jq 'del(.execCPUAffinity.final)' "$BATS_TEST_TMPDIR/p.json" > "$BATS_TEST_TMPDIR/q.json"
	run runo exec --process "$BATS_TEST_TMPDIR/q.json" "$ID"
	[ "$output" = "Cpus_allowed_list:	0" ]
	jq '.execCPUAffinity.final = "1-x"' "$BATS_TEST_TMPDIR/p.json" > "$BATS_TEST_TMPDIR/r.json"
	run runo exec --process "$BATS_TEST_TMPDIR/r.json" "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *'process.execCPUAffinity.final: \"1-x\" is not a list of cpus'* ]]
}

@test "exec --cap adds a capability to the bounding, effective and permitted sets" {
	# CAP_SYS_ADMIN is bit 21; the default spec does not grant it.
	run runo exec "$ID" grep CapEff /proc/self/status
	(( (0x${output##*$'\t'} >> 21 & 1) == 0 ))
	run runo exec --cap CAP_SYS_ADMIN "$ID" sh -c 'grep -E "Cap(Eff|Prm|Bnd|Amb)" /proc/self/status'
	[ "$status" -eq 0 ]
	local line
	for line in "${lines[@]}"; do
		case $line in
		CapAmb*) [ "${line##*$'\t'}" = 0000000000000000 ] ;;
		*) (( (0x${line##*$'\t'} >> 21 & 1) == 1 )) ;;
		esac
	done
}

@test "exec --cgroup runs the process in an existing sub-cgroup of the container's" {
	requires_v1
	local mem pids
	mem=/sys/fs/cgroup/memory$(sed -n 's/^[0-9]*:memory://p' "/proc/$PID/cgroup")
	pids=/sys/fs/cgroup/pids$(sed -n 's/^[0-9]*:pids://p' "/proc/$PID/cgroup")
	mkdir "$mem/sub" "$pids/sub"
	run runo exec --cgroup memory,pids:sub "$ID" sh -c 'cat /proc/self/cgroup; sleep 0.2'
	[ "$status" -eq 0 ]
	[[ "$output" == *":memory:${mem#/sys/fs/cgroup/memory}/sub"* ]]
	[[ "$output" == *":pids:${pids#/sys/fs/cgroup/pids}/sub"* ]]
	[[ "$output" != *":cpu:"*"/sub"* ]]
	run runo exec --cgroup memory:nosuch "$ID" true
	[ "$status" -ne 0 ]
	[[ "$output" == *'--cgroup \"memory:nosuch\": adding pid to cgroup '"$mem/nosuch"*"no such file or directory"* ]]
	run runo exec --cgroup ../sub "$ID" true
	[ "$status" -ne 0 ]
	[[ "$output" == *"the path must name a sub-cgroup of the container's"* ]]
	run runo exec --cgroup nope:sub "$ID" true
	[ "$status" -ne 0 ]
	[[ "$output" == *'unknown controller \"nope\"'* ]]
	# "/" is the container's own cgroup.
	run runo exec --cgroup / "$ID" cat /proc/self/cgroup
	[ "$status" -eq 0 ]
	grep -qx "[0-9]*:memory:${mem#/sys/fs/cgroup/memory}" <<< "$output"
	rmdir "$mem/sub" "$pids/sub"
}
