#!/usr/bin/env bats
# runo under podman and conmon (--runtime), with private storage.

load helpers

bats_require_minimum_version 1.5.0

setup_file() {
	export E2E=$BATS_FILE_TMPDIR/podman
	mkdir -p "$E2E"
	make_wrapper
	# Root may not raise rlimits past this host's hard limits: podman's
	# defaults are lowered. No network is set up: containers get their own
	# empty network namespace unless asked for the host's.
	cat > "$E2E/containers.conf" <<-EOF2
		[containers]
		default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
		netns = "none"
		[engine]
		cgroup_manager = "cgroupfs"
		events_logger = "file"
		runtime = "runo"
		[engine.runtimes]
		runo = ["$E2E/runo"]
	EOF2
	"$REPO/tests/e2e/mkimage.sh" "$REPO/build/rootfs" "$E2E/image.tar" "$IMAGE"
	CONTAINERS_CONF=$E2E/containers.conf podman_ load -i "$E2E/image.tar" > /dev/null
}

teardown_file() {
	podman_ rm -af > /dev/null 2>&1 || true
	podman_ rmi -af > /dev/null 2>&1 || true
	grep " $E2E/" /proc/self/mountinfo | awk '{print $5}' | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
}

# Every scenario ran its containers with runo.
teardown() {
	[ -n "${SKIPPED:-}" ] || called_with "create --bundle"
}

setup() {
	: > "$E2E/calls"
	ID=t$BATS_TEST_NUMBER
	export CONTAINERS_CONF=$E2E/containers.conf
}

podman_() {
	CONTAINERS_CONF=$E2E/containers.conf podman --root "$E2E/storage" --runroot "$E2E/run" --storage-driver vfs --tmpdir "$E2E/tmp" "$@"
}

# container_id prints the full id podman gave the container named $1.
container_id() {
	podman_ inspect --format '{{.Id}}' "$1"
}

@test "podman: exit codes, 127 for a missing command, 126 for one that cannot run" {
	run podman_ run --rm --name "$ID" "$IMAGE" sh -c 'echo hello; exit 3'
	[ "$status" -eq 3 ]
	[ "$output" = hello ]
	called_with "create --bundle"
	run -127 podman_ run --rm "$IMAGE" nosuchcmd
	[ "$status" -eq 127 ]
	[[ "$output" == *'exec: \"nosuchcmd\": executable file not found in $PATH'* ]]
	run -126 podman_ run --rm "$IMAGE" /etc/passwd
	[ "$status" -eq 126 ]
}

@test "podman: env, workdir, user, read-only rootfs, volumes, tmpfs, -i, seccomp, capabilities" {
	mkdir -p "$E2E/share" && echo shared > "$E2E/share/f"
	run podman_ run --rm -e FOO=bar -w /tmp -u 1000:1000 --read-only -v "$E2E/share:/host:ro" --tmpfs /scratch "$IMAGE" \
		sh -c 'echo $FOO; pwd; id -u; cat /host/f; touch /x 2>&1; touch /scratch/y && echo tmpfs-ok'
	echo "$output"
	[ "${lines[0]}" = bar ]
	[ "${lines[1]}" = /tmp ]
	[ "${lines[2]}" = 1000 ]
	[ "${lines[3]}" = shared ]
	[[ "${lines[4]}" == *"Read-only file system"* ]]
	[ "${lines[5]}" = tmpfs-ok ]
	run podman_ run --rm -i "$IMAGE" sh -c 'tr a-z A-Z; grep "^Seccomp:" /proc/self/status' <<< "piped in"
	[ "$output" = $'PIPED IN\nSeccomp:\t2' ]
	run podman_ run --rm --cap-drop all --cap-add NET_ADMIN "$IMAGE" grep CapEff /proc/self/status
	[ "$output" = "CapEff:	0000000000001000" ]
	run podman_ run --rm --privileged "$IMAGE" grep CapEff /proc/self/status
	# Every capability but CAP_SYS_RESOURCE, which this host's bounding set lacks.
	[ "$output" = "CapEff:	000001fffeffffff" ]
}

@test "podman: memory, cpu and pids limits read back, OOM kill, update" {
	run podman_ run --rm -m 32m --cpu-quota 20000 --pids-limit 50 "$IMAGE" \
		sh -c 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/pids/pids.max'
	[ "$(echo $output)" = "33554432 20000 50" ]
	run podman_ run --rm -m 16m "$IMAGE" sh -c 'tail /dev/zero'
	[ "$status" -eq 137 ]
	podman_ run -d --name "$ID" -m 32m "$IMAGE" sleep 1000
	podman_ update --memory 64m "$ID"
	called_with "update"
	[ "$(podman_ exec "$ID" cat /sys/fs/cgroup/memory/memory.limit_in_bytes)" = 67108864 ]
}

@test "podman: detached run, exec (-t, --user), top, pause/unpause, stop of a trapping shell, forced removal" {
	podman_ run -d --name "$ID" "$IMAGE" sh -c 'trap "exit 42" TERM; while :; do sleep 0.1; done'
	run podman_ exec -u 1000 "$ID" sh -c 'id -u; exit 4'
	[ "$status" -eq 4 ]
	[ "$output" = 1000 ]
	run "$PEER" -rows 25 -cols 75 tty-run env CONTAINERS_CONF="$E2E/containers.conf" podman --root "$E2E/storage" \
		--runroot "$E2E/run" --storage-driver vfs --tmpdir "$E2E/tmp" exec -it "$ID" sh <<-'EOF2'
		@wait #
		tty; stty size
		@wait 25 75
		exit 6
	EOF2
	echo "$output"
	[[ "$output" == *$'\n/dev/pts/0\n25 75\n'* ]]
	run podman_ top "$ID"
	[[ "$output" == *"sleep"* || "$output" == *"sh -c"* ]]
	podman_ pause "$ID"
	[ "$(podman_ inspect --format '{{.State.Status}}' "$ID")" = paused ]
	called_with "pause"
	podman_ unpause "$ID"
	podman_ stop -t 5 "$ID"
	[ "$(podman_ inspect --format '{{.State.ExitCode}}' "$ID")" = 42 ]
	local full
	full=$(container_id "$ID")
	podman_ rm "$ID"
	no_leftovers "$full" "$(runo_root)"
	podman_ run -d --name "$ID" "$IMAGE" sleep 1000
	full=$(container_id "$ID")
	podman_ rm -f -t 0 "$ID"
	no_leftovers "$full" "$(runo_root)"
}

@test "podman: a terminal for run -it, host network, user namespace mappings" {
	run "$PEER" -rows 22 -cols 66 tty-run env CONTAINERS_CONF="$E2E/containers.conf" podman --root "$E2E/storage" \
		--runroot "$E2E/run" --storage-driver vfs --tmpdir "$E2E/tmp" run --rm -it "$IMAGE" sh <<-'EOF2'
		@wait #
		stty size
		@wait 22 66
		exit 7
	EOF2
	[[ "$output" == *$'\n22 66\n'* ]]
	called_with "--console-socket"
	run podman_ run --rm --network host "$IMAGE" readlink /proc/self/ns/net
	[ "$output" = "$(readlink /proc/self/ns/net)" ]
	run podman_ run --rm --uidmap 0:200000:65536 --gidmap 0:200000:65536 "$IMAGE" sh -c 'id -u; cat /proc/self/uid_map'
	echo "$output"
	[ "${lines[0]}" = 0 ]
	[ "$(echo ${lines[1]})" = "0 200000 65536" ]
}

@test "podman: container checkpoint and restore in place, memory and all, then exec (CRIU must work: make test-vm)" {
	if ! criu check > /dev/null 2>&1; then
		SKIPPED=1
		skip "CRIU does not work on this kernel ($(uname -r)): make test-vm runs this"
	fi
	podman_ run -d --name "$ID" "$IMAGE" sh -c 'i=0; while true; do i=$((i+1)); echo $i > /tmp/count; sleep 0.1; done'
	local before=0
	while [ "$before" -lt 15 ]; do sleep 0.2; before=$(podman_ exec "$ID" cat /tmp/count); done
	podman_ container checkpoint "$ID"
	[ "$(podman_ inspect --format '{{.State.Status}}' "$ID")" = exited ]
	called_with "checkpoint --image-path"
	podman_ container restore "$ID"
	called_with "restore"
	[ "$(podman_ inspect --format '{{.State.Status}}' "$ID")" = running ]
	# The shell counts on from where it was: its memory came back.
	local after
	after=$(podman_ exec "$ID" cat /tmp/count)
	echo "before $before, after $after"
	[ "$after" -ge "$before" ]
	podman_ rm -f "$ID" > /dev/null
}
