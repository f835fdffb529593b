#!/usr/bin/env bats
# runo under a private dockerd (--add-runtime runo=...), its own data-root,
# exec-root and socket, no iptables and no bridge.

load helpers

bats_require_minimum_version 1.5.0

setup_file() {
	export E2E=$BATS_FILE_TMPDIR/docker
	mkdir -p "$E2E"
	make_wrapper
	dockerd --data-root "$E2E/data" --exec-root "$E2E/exec" --pidfile "$E2E/docker.pid" \
		-H "unix://$E2E/docker.sock" --iptables=false --ip6tables=false --bridge=none \
		--add-runtime runo="$E2E/runo" --default-runtime runo > "$E2E/dockerd.log" 2>&1 &
	local i
	for i in $(seq 100); do
		docker_ version > /dev/null 2>&1 && break
		sleep 0.1
	done
	"$REPO/tests/e2e/mkimage.sh" "$REPO/build/rootfs" "$E2E/image.tar" "$IMAGE"
	docker_ load -i "$E2E/image.tar" > /dev/null
}

teardown_file() {
	docker_ rm -f $(docker_ ps -aq) > /dev/null 2>&1 || true
	kill "$(cat "$E2E/docker.pid")" 2> /dev/null || true
	local i
	for i in $(seq 100); do
		[ -e "$E2E/docker.pid" ] || break
		sleep 0.1
	done
	grep " $E2E/" /proc/self/mountinfo | awk '{print $5}' | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
}

# Every scenario ran its containers with runo.
teardown() {
	called_with "create --bundle"
}

setup() {
	: > "$E2E/calls"
	ID=t$BATS_TEST_NUMBER
}

# docker_ is Debian's docker client (/usr/local/bin/docker may be another).
docker_() {
	/usr/bin/docker -H "unix://$E2E/docker.sock" "$@"
}

IMG=busybox:runo

@test "docker: exit codes 0, 3, 127 and 126 from runc's wording" {
	run docker_ run --rm "$IMG" sh -c 'echo hello; exit 3'
	[ "$status" -eq 3 ]
	[ "$output" = hello ]
	called_with "create --bundle"
	run -127 docker_ run --rm "$IMG" nosuchcmd
	[[ "$output" == *'exec: "nosuchcmd": executable file not found in $PATH'* ]]
	run -126 docker_ run --rm "$IMG" /etc/passwd
}

@test "docker: env, workdir, user, read-only rootfs, volume, tmpfs, default capabilities and seccomp" {
	mkdir -p "$E2E/share" && echo shared > "$E2E/share/f"
	run docker_ run --rm -e FOO=bar -w /tmp -u 1000:1000 --read-only -v "$E2E/share:/host:ro" --tmpfs /scratch "$IMG" \
		sh -c 'echo $FOO; pwd; id -u; cat /host/f; touch /x 2>&1; touch /scratch/y && echo tmpfs-ok'
	[ "${lines[0]}" = bar ]
	[ "${lines[1]}" = /tmp ]
	[ "${lines[2]}" = 1000 ]
	[ "${lines[3]}" = shared ]
	[[ "${lines[4]}" == *"Read-only file system"* ]]
	[ "${lines[5]}" = tmpfs-ok ]
	run docker_ run --rm "$IMG" sh -c 'grep -E "^(CapEff|Seccomp):" /proc/self/status; unshare -n true 2>&1'
	[ "${lines[0]}" = "CapEff:	00000000a80425fb" ]
	[ "${lines[1]}" = "Seccomp:	2" ]
	[[ "${lines[2]}" == *"Operation not permitted"* ]]
	# Privileged: no filter; every capability runo may give.
	run docker_ run --rm --privileged "$IMG" grep -E "^Seccomp:" /proc/self/status
	[ "$output" = "Seccomp:	0" ]
}

@test "docker: -i passes stdin through" {
	run docker_ run --rm -i "$IMG" sh -c 'tr a-z A-Z; echo done'  <<< "piped in"
	[ "$output" = $'PIPED IN\ndone' ]
}

@test "docker: own and host network namespaces" {
	run docker_ run --rm "$IMG" readlink /proc/self/ns/net
	[ "$output" != "$(readlink /proc/self/ns/net)" ]
	run docker_ run --rm --network host "$IMG" readlink /proc/self/ns/net
	[ "$output" = "$(readlink /proc/self/ns/net)" ]
}

@test "docker: memory, cpu and pids limits read back, OOM kill, update" {
	run docker_ run --rm -m 32m --cpus 0.5 --pids-limit 50 "$IMG" \
		sh -c 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/pids/pids.max'
	[ "$(echo $output)" = "33554432 50000 50" ]
	docker_ run -d --name "$ID-oom" -m 16m "$IMG" sh -c 'sleep 0.3; tail /dev/zero'
	local i
	for i in $(seq 50); do
		[ "$(docker_ inspect --format '{{.State.Running}}' "$ID-oom")" = false ] && break
		sleep 0.1
	done
	[ "$(docker_ inspect --format '{{.State.OOMKilled}} {{.State.ExitCode}}' "$ID-oom")" = "true 137" ]
	docker_ rm -f "$ID-oom"
	docker_ run -d --name "$ID" -m 32m "$IMG" sleep 1000
	docker_ update --memory 64m --memory-swap 128m --cpu-shares 512 "$ID"
	called_with "update --resources -"
	[ "$(docker_ exec "$ID" cat /sys/fs/cgroup/memory/memory.limit_in_bytes)" = 67108864 ]
	[ "$(docker_ exec "$ID" cat /sys/fs/cgroup/cpu/cpu.shares)" = 512 ]
	docker_ rm -f "$ID"
}

@test "docker: detached run, exec (-t, --user), top, pause/unpause, stop of a trapping shell, forced removal" {
	docker_ run -d --name "$ID" "$IMG" sh -c 'trap "exit 42" TERM; while :; do sleep 0.1; done'
	local full
	full=$(docker_ inspect --format '{{.Id}}' "$ID")
	run docker_ exec -u 1000 "$ID" sh -c 'id -u; exit 4'
	[ "$status" -eq 4 ]
	[ "$output" = 1000 ]
	run "$PEER" -rows 24 -cols 77 tty-run /usr/bin/docker -H "unix://$E2E/docker.sock" exec -it "$ID" sh <<-'EOF2'
		@wait #
		tty; stty size
		@wait 24 77
		exit 6
	EOF2
	echo "$output"
	[[ "$output" == *$'\n/dev/pts/0\n24 77\n'* ]]
	run docker_ top "$ID"
	[[ "$output" == *"sh -c"* ]]
	docker_ pause "$ID"
	[ "$(docker_ inspect --format '{{.State.Status}}' "$ID")" = paused ]
	called_with "pause $full"
	docker_ unpause "$ID"
	docker_ stop -t 5 "$ID"
	[ "$(docker_ inspect --format '{{.State.ExitCode}}' "$ID")" = 42 ]
	docker_ rm "$ID"
	no_leftovers "$full" "$(runo_root)"
	docker_ run -d --name "$ID" "$IMG" sleep 1000
	full=$(docker_ inspect --format '{{.Id}}' "$ID")
	docker_ rm -f "$ID"
	no_leftovers "$full" "$(runo_root)"
}

@test "docker: a terminal for run -it" {
	run "$PEER" -rows 21 -cols 61 tty-run /usr/bin/docker -H "unix://$E2E/docker.sock" run --rm -it "$IMG" sh <<-'EOF2'
		@wait #
		tty; stty size
		@wait 21 61
		exit 8
	EOF2
	echo "$output"
	[[ "$output" == *$'\n/dev/pts/0\n21 61\n'* ]]
	[[ "$output" == *"exit 8"* ]]
	called_with "--console-socket"
}

@test "docker: user namespace mappings (a second dockerd with --userns-remap)" {
	local u=runo-remap d=$BATS_TEST_TMPDIR/remap
	id "$u" > /dev/null 2>&1 || useradd -M -s /bin/false "$u"
	grep -q "^$u:" /etc/subuid || echo "$u:500000:65536" >> /etc/subuid
	grep -q "^$u:" /etc/subgid || echo "$u:500000:65536" >> /etc/subgid
	local base
	base=$(awk -F: -v u="$u" '$1 == u {print $2}' /etc/subuid)
	mkdir -p "$d"
	# The remapped root must reach the data-root.
	searchable_by_all "$d"
	dockerd --data-root "$d/data" --exec-root "$d/exec" --pidfile "$d/docker.pid" -H "unix://$d/docker.sock" \
		--iptables=false --ip6tables=false --bridge=none --add-runtime runo="$E2E/runo" --default-runtime runo \
		--userns-remap "$u" > "$d/dockerd.log" 2>&1 &
	local i
	for i in $(seq 100); do
		/usr/bin/docker -H "unix://$d/docker.sock" version > /dev/null 2>&1 && break
		sleep 0.1
	done
	/usr/bin/docker -H "unix://$d/docker.sock" load -i "$E2E/image.tar" > /dev/null
	run /usr/bin/docker -H "unix://$d/docker.sock" run --rm "$IMG" sh -c 'id -u; cat /proc/self/uid_map; touch /x && echo writable'
	kill "$(cat "$d/docker.pid")"
	for i in $(seq 100); do
		[ -e "$d/docker.pid" ] || break
		sleep 0.1
	done
	grep " $d/" /proc/self/mountinfo | awk '{print $5}' | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
	userdel "$u" 2> /dev/null || true
	sed -i "/^$u:/d" /etc/subuid /etc/subgid
	echo "$output"
	[ "${lines[0]}" = 0 ]
	[ "$(echo ${lines[1]})" = "0 $base 65536" ]
	[ "${lines[2]}" = writable ]
	called_with "create --bundle"
}
