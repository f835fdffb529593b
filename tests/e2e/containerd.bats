#!/usr/bin/env bats
# runo under containerd's runc v2 shim (BinaryName = runo), driven by ctr.

load helpers

setup_file() {
	export E2E=$BATS_FILE_TMPDIR/containerd
	mkdir -p "$E2E"
	# A user namespace's root must reach the bundles below.
	searchable_by_all "$E2E"
	cat > "$E2E/config.toml" <<-EOF2
		version = 2
		root = "$E2E/root"
		state = "$E2E/state"
		disabled_plugins = ["io.containerd.grpc.v1.cri"]
		[grpc]
		  address = "$E2E/containerd.sock"
		[ttrpc]
		  address = "$E2E/containerd.sock.ttrpc"
	EOF2
	# ctr run --uidmap calls the shim's default binary, runc, whatever
	# --runc-binary says: this containerd finds runo under that name.
	mkdir -p "$E2E/bin"
	make_wrapper
	ln -sf "$E2E/runo" "$E2E/bin/runc"
	PATH=$E2E/bin:$PATH containerd --config "$E2E/config.toml" > "$E2E/containerd.log" 2>&1 &
	echo $! > "$E2E/containerd.pid"
	local i
	for i in $(seq 100); do
		[ -S "$E2E/containerd.sock" ] && break
		sleep 0.05
	done
	"$REPO/tests/e2e/mkimage.sh" "$REPO/build/rootfs" "$E2E/image.tar" "$IMAGE"
	ctr -a "$E2E/containerd.sock" -n e2e images import "$E2E/image.tar" > /dev/null
}

teardown_file() {
	local pid
	for c in $(ctr -a "$E2E/containerd.sock" -n e2e containers ls -q 2>/dev/null); do
		ctr -a "$E2E/containerd.sock" -n e2e task kill -s KILL "$c" 2>/dev/null || true
		ctr -a "$E2E/containerd.sock" -n e2e task delete --force "$c" 2>/dev/null || true
		ctr -a "$E2E/containerd.sock" -n e2e containers delete "$c" 2>/dev/null || true
	done
	kill "$(cat "$E2E/containerd.pid")" 2>/dev/null || true
	# The shims of the tasks above exit with them; a killed test may
	# leave one, which serves this instance's address only.
	pkill -f "containerd-shim-runc-v2 .*-address $E2E/containerd.sock" 2>/dev/null || true
	sleep 0.2
	grep " $E2E/" /proc/self/mountinfo | awk '{print $5}' | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
	# The --uidmap test's state dir: that path ignores --runc-root too.
	rmdir /run/containerd/runc/e2e 2>/dev/null || true
}

# Every scenario ran its containers with runo.
teardown() {
	called_with "create --bundle"
}

setup() {
	: > "$E2E/calls"
	ID=t$BATS_TEST_NUMBER
	ROOT=$E2E/runo-root
}

ctr_() {
	ctr -a "$E2E/containerd.sock" -n e2e "$@"
}

# ctr_run runs a container with runo, removed after.
ctr_run() {
	ctr_ run --rm --runc-binary "$E2E/runo" --runc-root "$ROOT" "$@"
}

ctr_detached() {
	ctr_ run -d --runc-binary "$E2E/runo" --runc-root "$ROOT" "$@"
}

@test "containerd: exit codes, and runc's wording for a command that is not there" {
	run ctr_run "$IMAGE" "$ID" sh -c 'echo hello; exit 3'
	[ "$status" -eq 3 ]
	[ "$output" = hello ]
	called_with "--log $E2E/state/io.containerd.runtime.v2.task/e2e/$ID/log.json --log-format json create --bundle"
	called_with "start $ID"
	run ctr_run "$IMAGE" "$ID" true
	[ "$status" -eq 0 ]
	run ctr_run "$IMAGE" "$ID" nosuchcmd
	[ "$status" -ne 0 ]
	[[ "$output" == *'OCI runtime create failed: exec: "nosuchcmd": executable file not found in $PATH'* ]]
	no_leftovers "$ID" "$ROOT/e2e"
}

@test "containerd: env, cwd, read-only rootfs, bind mounts, privileged, host network" {
	mkdir -p "$E2E/share" && echo shared > "$E2E/share/f"
	run ctr_run --env FOO=bar --cwd /tmp --read-only --mount "type=bind,src=$E2E/share,dst=/host,options=rbind:ro" "$IMAGE" "$ID" \
		sh -c 'echo $FOO; pwd; cat /host/f; touch /x 2>&1; touch /host/y 2>&1; grep CapEff /proc/self/status'
	[ "${lines[0]}" = bar ]
	[ "${lines[1]}" = /tmp ]
	[ "${lines[2]}" = shared ]
	[[ "${lines[3]}" == *"Read-only file system"* ]]
	[[ "${lines[4]}" == *"Read-only file system"* ]]
	[ "${lines[5]}" = "CapEff:	00000000a80425fb" ]
	run ctr_run --privileged --net-host "$IMAGE" "$ID" sh -c 'grep CapEff /proc/self/status; readlink /proc/self/ns/net'
	[ "${lines[0]}" = "CapEff:	000001fffeffffff" ]
	[ "${lines[1]}" = "$(readlink /proc/self/ns/net)" ]
}

@test "containerd: memory and cpu limits in the cgroup, OOM kill" {
	ctr_detached --memory-limit 33554432 --cpu-quota 20000 --cpu-period 100000 "$IMAGE" "$ID" sleep 100
	[ "$(cat /sys/fs/cgroup/memory/e2e/$ID/memory.limit_in_bytes)" = 33554432 ]
	[ "$(cat /sys/fs/cgroup/cpu/e2e/$ID/cpu.cfs_quota_us)" = 20000 ]
	ctr_ task kill -s KILL "$ID"
	ctr_ task delete "$ID" || true
	ctr_ containers delete "$ID"
	run ctr_run --memory-limit 16777216 "$IMAGE" "$ID" sh -c 'tail /dev/zero'
	[ "$status" -eq 137 ]
	no_leftovers "$ID" "$ROOT/e2e"
}

@test "containerd: detached task with exec, ps, pause and resume, SIGTERM to a trapping shell" {
	ctr_detached "$IMAGE" "$ID" sh -c 'trap "exit 42" TERM; while :; do sleep 0.1; done'
	run ctr_ task exec --exec-id e1 "$ID" sh -c 'echo in-exec; exit 4'
	[ "$status" -eq 4 ]
	[ "$output" = in-exec ]
	called_with "exec --process"
	run ctr_ task ps "$ID"
	[ "${#lines[@]}" -ge 2 ]
	ctr_ task pause "$ID"
	[ "$(ctr_ task ls | awk -v id="$ID" '$1 == id {print $3}')" = PAUSED ]
	called_with "pause $ID"
	ctr_ task resume "$ID"
	[ "$(ctr_ task ls | awk -v id="$ID" '$1 == id {print $3}')" = RUNNING ]
	ctr_ task kill "$ID"
	local i
	for i in $(seq 50); do
		[ "$(ctr_ task ls | awk -v id="$ID" '$1 == id {print $3}')" = STOPPED ] && break
		sleep 0.1
	done
	# ctr reports the exit status as it deletes the task.
	run ctr_ task delete "$ID"
	[[ "$output" == *"exit code 42"* ]]
	ctr_ containers delete "$ID"
	no_leftovers "$ID" "$ROOT/e2e"
}

@test "containerd: forced removal of a running task" {
	ctr_detached "$IMAGE" "$ID" sleep 1000
	ctr_ task delete --force "$ID"
	ctr_ containers delete "$ID"
	called_with "delete --force $ID"
	no_leftovers "$ID" "$ROOT/e2e"
}

@test "containerd: a terminal (-t) through the console socket, for run and exec" {
	run "$PEER" -rows 30 -cols 90 tty-run ctr -a "$E2E/containerd.sock" -n e2e run --rm -t --runc-binary "$E2E/runo" --runc-root "$ROOT" "$IMAGE" "$ID" sh <<-'EOF2'
		@wait #
		tty; stty size
		@wait 30 90
		exit 5
	EOF2
	echo "$output"
	[[ "$output" == *$'\n/dev/pts/0\n30 90\n'* ]]
	[[ "$output" == *"exit 5"* ]]
	called_with "--console-socket"
	ctr_detached "$IMAGE" "$ID" sleep 1000
	run "$PEER" -rows 20 -cols 70 tty-run ctr -a "$E2E/containerd.sock" -n e2e task exec -t --exec-id e1 "$ID" sh <<-'EOF2'
		@wait #
		tty; stty size
		@wait 20 70
		exit 6
	EOF2
	echo "$output"
	[[ "$output" == *$'
/dev/pts/0
20 70
'* ]]
	called_with "exec --process .* --tty\|exec .*--console-socket"
	ctr_ task delete --force "$ID"
	ctr_ containers delete "$ID"
}

@test "containerd: user namespace mappings (ctr --uidmap, through the shim's default binary)" {
	run ctr_ run --rm --uidmap 0:300000:65536 --gidmap 0:300000:65536 "$IMAGE" "$ID" sh -c 'id -u; cat /proc/self/uid_map; touch /x && echo writable'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0 ]
	[ "$(echo ${lines[1]})" = "0 300000 65536" ]
	[ "${lines[2]}" = writable ]
	called_with "create --bundle"
}
