#!/usr/bin/env bats
# Many container lifecycles leave the host as it was. `make stress` runs
# this with LEAK_CYCLES=1000.

load helpers

CYCLES=${LEAK_CYCLES:-30}

# snapshot prints what a leak would change: state directories, cgroup
# directories, mounts, this shell's open fds, and zombies. Zombies of pid 1
# do not count: a container whose runo exited is pid 1's to reap, and this
# host's pid 1 reaps every few seconds.
snapshot() {
	echo "state dirs: $(find "$ROOT" -mindepth 1 -maxdepth 1 2> /dev/null | wc -l)"
	echo "cgroup dirs: $(find /sys/fs/cgroup -mindepth 1 -type d 2> /dev/null | wc -l)"
	echo "mounts: $(wc -l < /proc/self/mountinfo)"
	echo "fds: $(find /proc/$$/fd -mindepth 1 | wc -l)"
	echo "zombies: $(ps -e -o ppid=,stat= | awk '$1 != 1 && $2 ~ /^Z/' | wc -l)"
}

@test "create, start, exec and delete cycles leave the host as it was" {
	mkdir -p "$ROOT"
	local before after i
	before=$(snapshot)
	for i in $(seq "$CYCLES"); do
		runo create --bundle "$BUNDLE" "$ID-$i"
		runo start "$ID-$i"
		runo exec "$ID-$i" true
		runo delete --force "$ID-$i"
	done
	after=$(snapshot)
	diff <(echo "$before") <(echo "$after")
}

@test "foreground runs leave the host as it was, with every process reaped" {
	set_args sh -c 'sleep 10 & exit 3'
	mkdir -p "$ROOT"
	local before after i status
	before=$(snapshot)
	for i in $(seq "$CYCLES"); do
		status=0
		runo run --bundle "$BUNDLE" "$ID-$i" || status=$?
		[ "$status" -eq 3 ]
	done
	after=$(snapshot)
	diff <(echo "$before") <(echo "$after")
}
