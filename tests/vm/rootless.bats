#!/usr/bin/env bats
# Rootless podman as a new user runs it, in the guest of make test-vm
# (systemd as PID 1, pure cgroup v2): a lingering user session, podman in
# its rootless user namespace calling the runtime, the systemd cgroup
# driver through the user's own systemd, and cgroupfs in the delegated
# tree. Each scenario runs with runo, then the same lines with runc and
# crun, and expects the same.

bats_require_minimum_version 1.5.0

REPO=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
RL_USER=alice
IMAGE=localhost/busybox:latest
RUNTIMES="runo runc crun"
NS_LINKS='for n in user net ipc uts; do readlink /proc/self/ns/$n; done'

setup_file() {
	[ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ] && [ -d /run/systemd/system ] ||
		skip "needs the guest of make test-vm"
	id "$RL_USER" > /dev/null 2>&1 || useradd -m -s /bin/sh "$RL_USER"
	grep -q "^$RL_USER:200000:" /etc/subuid || echo "$RL_USER:200000:65536" >> /etc/subuid
	grep -q "^$RL_USER:200000:" /etc/subgid || echo "$RL_USER:200000:65536" >> /etc/subgid
	export RU RHOME
	RU=$(id -u "$RL_USER")
	RHOME=$(getent passwd "$RL_USER" | cut -d: -f6)
	loginctl enable-linger "$RL_USER"
	local i
	for i in $(seq 150); do
		[ -S "/run/user/$RU/bus" ] && break
		sleep 0.2
	done
	install -m 755 "${RUNO_BIN:-$REPO/runo}" /usr/local/bin/runo
	"$REPO/tests/e2e/mkimage.sh" "$REPO/build/rootfs" /tmp/rootless-image.tar "$IMAGE"
	chmod 644 /tmp/rootless-image.tar
	# One store per rootfs kind: vfs (podman's choice here), native overlay
	# and fuse-overlayfs.
	as_user podman load -i /tmp/rootless-image.tar > /dev/null
	as_user podman --root "$RHOME/overlay" --storage-driver overlay load -i /tmp/rootless-image.tar > /dev/null
	as_user podman --root "$RHOME/fuse" --storage-driver overlay --storage-opt overlay.mount_program=/usr/bin/fuse-overlayfs \
		load -i /tmp/rootless-image.tar > /dev/null
	mkdir -p "$RHOME/vol" && echo from-home > "$RHOME/vol/f" && chown -R "$RL_USER:" "$RHOME/vol"
}

teardown_file() {
	as_user podman rm -af > /dev/null 2>&1 || true
	as_user podman pod rm -af > /dev/null 2>&1 || true
}

teardown() {
	local rt
	for rt in $RUNTIMES; do
		pm "$rt" rm -f -t 0 "c-$rt" > /dev/null 2>&1 || true
		pm "$rt" pod rm -f "p-$rt" > /dev/null 2>&1 || true
	done
}

# as_user runs a command as the user in their session's environment, from
# a directory they may read.
as_user() {
	(cd / && runuser -u "$RL_USER" -- env XDG_RUNTIME_DIR="/run/user/$RU" \
		DBUS_SESSION_BUS_ADDRESS="unix:path=/run/user/$RU/bus" "$@")
}

# pm RUNTIME ARGS...: podman as the user with that runtime.
pm() {
	local rt=$1
	shift
	local bin=/usr/bin/$rt
	[ "$rt" != runo ] || bin=/usr/local/bin/runo
	as_user podman --runtime "$bin" "$@"
}

# user_unit_prop ID PROP: a property of container ID's scope, as the
# user's systemd shows it.
user_unit_prop() {
	as_user systemctl --user show -P "$2" "libpod-$1.scope"
}

# no_leftovers: nothing of the user's containers in their cgroup tree, nor
# in runo's state root.
no_leftovers() {
	local tree=/sys/fs/cgroup/user.slice/user-$RU.slice/user@$RU.service
	run find "$tree" -name 'libpod-*' -o -name '[0-9a-f][0-9a-f][0-9a-f][0-9a-f]*[0-9a-f]' -type d
	[ -z "$output" ] || { echo "left in $tree: $output"; return 1; }
	[ -z "$(ls -A "/run/user/$RU/runo" 2> /dev/null)" ] || { echo "left: $(ls "/run/user/$RU/runo")"; return 1; }
}

@test "rootless run: root inside is the user outside, state under XDG_RUNTIME_DIR, nothing left after --rm" {
	local rt
	for rt in $RUNTIMES; do
		run pm "$rt" run --rm "$IMAGE" sh -c 'id -u; head -1 /proc/self/uid_map; cat /proc/self/cgroup'
		[ "$status" -eq 0 ]
		[ "${lines[0]}" = 0 ]
		[ "$(echo ${lines[1]})" = "0 $RU 1" ]
		[ "${lines[2]}" = "0::/" ]
	done
	pm runo run -d --name c-runo "$IMAGE" sleep 1000
	local id
	id=$(pm runo inspect --format '{{.Id}}' c-runo)
	[ -d "/run/user/$RU/runo/$id" ]
	[ "$(stat -c %U "/run/user/$RU/runo/$id")" = "$RL_USER" ]
	pm runo rm -f -t 0 c-runo
	no_leftovers
}

@test "rootless systemd driver: limits in the user's scope, read back inside and from systemctl --user" {
	local rt id
	for rt in $RUNTIMES; do
		pm "$rt" run -d --name "c-$rt" --memory 64m --pids-limit 30 "$IMAGE" sleep 1000
		run pm "$rt" exec "c-$rt" cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max
		[ "$(echo $output)" = "67108864 30" ]
		id=$(pm "$rt" inspect --format '{{.Id}}' "c-$rt")
		[ "$(user_unit_prop "$id" ControlGroup)" = "/user.slice/user-$RU.slice/user@$RU.service/user.slice/libpod-$id.scope" ]
		# runo and runc give systemd the limits as unit properties too;
		# crun writes the files alone.
		if [ "$rt" != crun ]; then
			[ "$(user_unit_prop "$id" MemoryMax)" = 67108864 ]
			[ "$(user_unit_prop "$id" TasksMax)" = 30 ]
		fi
		# update goes through the user's systemd too.
		pm "$rt" update --memory 128m "c-$rt"
		[ "$(pm "$rt" exec "c-$rt" cat /sys/fs/cgroup/memory.max)" = 134217728 ]
		[ "$rt" = crun ] || [ "$(user_unit_prop "$id" MemoryMax)" = 134217728 ]
		pm "$rt" rm -f -t 0 "c-$rt"
		run user_unit_prop "$id" ActiveState
		[ "$output" != active ]
	done
	no_leftovers
}

@test "rootless detached run, exec, exec --user, exec -t, top, pause/unpause, kill, stop and rm" {
	local rt
	for rt in $RUNTIMES; do
		pm "$rt" run -d --name "c-$rt" "$IMAGE" sh -c 'trap "exit 42" TERM; while :; do sleep 0.1; done'
		run pm "$rt" exec "c-$rt" id -u
		[ "$output" = 0 ]
		run pm "$rt" exec --user 1000:1000 "c-$rt" sh -c 'id -u; id -g'
		[ "$(echo $output)" = "1000 1000" ]
		run script -qec "runuser -u $RL_USER -- env XDG_RUNTIME_DIR=/run/user/$RU podman --runtime $( [ $rt = runo ] && echo /usr/local/bin/runo || echo /usr/bin/$rt) exec -t c-$rt tty" /dev/null
		[[ "$output" == *"/dev/pts/"* ]]
		run pm "$rt" top "c-$rt" args
		[[ "$output" == *"while :"* ]]
		pm "$rt" pause "c-$rt"
		[ "$(pm "$rt" inspect --format '{{.State.Status}}' "c-$rt")" = paused ]
		pm "$rt" unpause "c-$rt"
		[ "$(pm "$rt" inspect --format '{{.State.Status}}' "c-$rt")" = running ]
		pm "$rt" kill "c-$rt"
		[ "$(pm "$rt" inspect --format '{{.State.Status}}' "c-$rt")" = exited ]
		pm "$rt" start "c-$rt"
		pm "$rt" stop -t 5 "c-$rt"
		[ "$(pm "$rt" inspect --format '{{.State.ExitCode}}' "c-$rt")" = 42 ]
		pm "$rt" rm "c-$rt"
	done
	no_leftovers
}

@test "rootless cgroupfs driver: the container's cgroup in the delegated tree, with and without limits" {
	local rt
	for rt in $RUNTIMES; do
		run pm "$rt" --cgroup-manager cgroupfs run --rm "$IMAGE" sh -c 'cat /proc/self/cgroup'
		[ "$status" -eq 0 ]
		[ "$output" = "0::/" ]
		run pm "$rt" --cgroup-manager cgroupfs run --rm --memory 64m --pids-limit 30 "$IMAGE" \
			cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max
		echo "$rt: $output"
		[ "$status" -eq 0 ]
		# crun 1.8 runs the container without the limits (max, and a
		# pids.max of its own); runo does as runc.
		[ "$rt" = crun ] || [ "$(echo $output)" = "67108864 30" ]
	done
	no_leftovers
}

@test "rootless run -it gets a terminal; a healthcheck runs; --rm removes" {
	local rt bin
	for rt in $RUNTIMES; do
		bin=/usr/bin/$rt
		[ "$rt" != runo ] || bin=/usr/local/bin/runo
		run script -qec "runuser -u $RL_USER -- env XDG_RUNTIME_DIR=/run/user/$RU podman --runtime $bin run --rm -it $IMAGE sh -c 'tty; echo \$TERM'" /dev/null
		[[ "$output" == *"/dev/pts/0"*xterm* ]]
		pm "$rt" run -d --name "c-$rt" --health-cmd 'test -e /tmp/ok' --health-interval 0 "$IMAGE" sleep 1000
		run pm "$rt" healthcheck run "c-$rt"
		[ "$status" -ne 0 ]
		pm "$rt" exec "c-$rt" touch /tmp/ok
		pm "$rt" healthcheck run "c-$rt"
		pm "$rt" rm -f -t 0 "c-$rt"
	done
	no_leftovers
}

@test "rootless --userns=keep-id: the user's own id inside, maps written by the runtime" {
	local rt
	for rt in $RUNTIMES; do
		run pm "$rt" run --rm --userns=keep-id "$IMAGE" sh -c "id -u; grep -c . /proc/self/uid_map; awk '\$1 == $RU' /proc/self/uid_map"
		echo "$rt: $output"
		[ "$status" -eq 0 ]
		[ "${lines[0]}" = "$RU" ]
		[ "$(echo ${lines[2]})" = "$RU 0 1" ]
	done
	no_leftovers
}

@test "rootless pod: containers join the pod's namespaces by path, its user namespace included" {
	local rt a b
	for rt in $RUNTIMES; do
		pm "$rt" pod create --name "p-$rt" --userns=keep-id
		pm "$rt" run -d --pod "p-$rt" --name "c-$rt" "$IMAGE" sleep 1000
		a=$(pm "$rt" exec "c-$rt" sh -c "$NS_LINKS")
		b=$(pm "$rt" run --rm --pod "p-$rt" "$IMAGE" sh -c "$NS_LINKS")
		echo "$rt: $a / $b"
		[ "$a" = "$b" ] && [ -n "$a" ]
		[ "$(pm "$rt" exec "c-$rt" id -u)" = "$RU" ]
		pm "$rt" pod rm -f "p-$rt"
	done
	no_leftovers
}

@test "rootless networks: slirp4netns, none and host" {
	local rt
	for rt in $RUNTIMES; do
		run pm "$rt" run --rm --network slirp4netns "$IMAGE" ip -o -4 addr show tap0
		[[ "$output" == *"10.0.2.100/24"* ]]
		run pm "$rt" run --rm --network none "$IMAGE" ls /sys/class/net
		[ "$(echo $output)" = lo ]
		run pm "$rt" run --rm --network host "$IMAGE" readlink /proc/self/ns/net
		[ "$output" = "$(readlink /proc/1/ns/net)" ]
	done
}

@test "rootless bind volumes from the user's home, read and written" {
	local rt
	for rt in $RUNTIMES; do
		run pm "$rt" run --rm -v "$RHOME/vol:/vol" "$IMAGE" sh -c "cat /vol/f; echo $rt > /vol/by-$rt"
		[ "$output" = from-home ]
		[ "$(cat "$RHOME/vol/by-$rt")" = "$rt" ]
		[ "$(stat -c %U "$RHOME/vol/by-$rt")" = "$RL_USER" ]
	done
}

@test "rootless rootfs on native overlay and on fuse-overlayfs" {
	local rt
	for rt in $RUNTIMES; do
		run pm "$rt" --root "$RHOME/overlay" --storage-driver overlay run --rm "$IMAGE" sh -c 'grep " / / " /proc/self/mountinfo'
		[[ "$output" == *" - overlay overlay "* ]]
		run pm "$rt" --root "$RHOME/fuse" --storage-driver overlay --storage-opt overlay.mount_program=/usr/bin/fuse-overlayfs \
			run --rm "$IMAGE" sh -c 'grep " / / " /proc/self/mountinfo'
		[[ "$output" == *" - fuse.fuse-overlayfs "* ]]
	done
	no_leftovers
}
