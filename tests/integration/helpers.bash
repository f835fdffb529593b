# Shared set-up for runo's integration tests. Every test gets its own
# bundle, --root and container id, and teardown removes whatever it made.

REPO=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
RUNO_BIN=${RUNO_BIN:-$REPO/runo}
# shellcheck source=../common.bash
. "$REPO/tests/common.bash"
ROOTFS_TEMPLATE=${ROOTFS_TEMPLATE:-$REPO/build/rootfs}

setup() {
	runo_setup
}

teardown() {
	runo_teardown
}

# runo_setup and runo_teardown are setup and teardown, for a test file
# that adds to them.
runo_setup() {
	[ "$(id -u)" = 0 ] || skip "integration tests need root"
	BUNDLE=$BATS_TEST_TMPDIR/bundle
	ROOT=$BATS_TEST_TMPDIR/state
	ID=t$BATS_TEST_NUMBER-$$
	mkdir -p "$BUNDLE"
	cp -a "$ROOTFS_TEMPLATE" "$BUNDLE/rootfs"
	cp "$(base_config)" "$BUNDLE/config.json"
}

# base_config prints the path of the config every test starts from: runo
# spec's, with no terminal and a long sleep. Made once per bats run, as jq
# and runo each cost a third of a second in the TCG guest of make test-vm.
base_config() {
	local d=$BATS_RUN_TMPDIR/base
	if [ ! -s "$d/config.json" ]; then
		rm -rf "$d.new" && mkdir "$d.new" && "$RUNO_BIN" spec --bundle "$d.new" &&
			jq '.process.terminal = false | .process.args = ["sleep", "1000"]' \
				"$d.new/config.json" > "$d.new/base.json" &&
			mkdir -p "$d" && mv "$d.new/base.json" "$d/config.json"
	fi
	echo "$d/config.json"
}

runo_teardown() {
	[ "$(id -u)" = 0 ] || return 0
	local c
	for c in $("$RUNO_BIN" --root "$ROOT" list -q 2>/dev/null); do
		"$RUNO_BIN" --root "$ROOT" delete --force "$c" || true
	done
	if [ -n "${HOLDER_PID:-}" ]; then
		kill -9 "$HOLDER_PID" 2>/dev/null || true
		wait "$HOLDER_PID" 2>/dev/null || true
	fi
}

# runo runs the binary under test with this test's --root.
runo() {
	"$RUNO_BIN" --root "$ROOT" "$@"
}

# create_fails runs create (with any extra flags given) expecting an error,
# and puts the error in $output. Not `run`: a container created by mistake
# would keep run's output pipe open, and the test would hang, not fail.
create_fails() {
	if runo create "$@" --bundle "$BUNDLE" "$ID" > /dev/null 2> "$BATS_TEST_TMPDIR/create.err"; then
		echo "create succeeded" >&2
		return 1
	fi
	output=$(cat "$BATS_TEST_TMPDIR/create.err")
}

# update_config applies a jq filter to the bundle's config.json.
update_config() {
	jq "$@" "$BUNDLE/config.json" > "$BUNDLE/config.json.new"
	mv "$BUNDLE/config.json.new" "$BUNDLE/config.json"
}

# set_args sets process.args from the arguments, one per line to jq
# (jq's --args would take "-c" as its own flag).
set_args() {
	printf '%s\n' "$@" | jq -Rn --slurpfile c "$BUNDLE/config.json" '$c[0] | .process.args = [inputs]' \
		> "$BUNDLE/config.json.new"
	mv "$BUNDLE/config.json.new" "$BUNDLE/config.json"
}

# run_in prints what a shell command prints inside a new container.
run_in() {
	set_args sh -c "$1"
	run runo run --bundle "$BUNDLE" "$ID"
}

# status_of prints a container's status.
status_of() {
	runo state "$1" | jq -r .status
}

PEER=$REPO/build/peer

# wait_for_socket waits up to 2 seconds for a unix socket to appear.
wait_for_socket() {
	local i
	for i in $(seq 100); do
		[ -S "$1" ] && return 0
		sleep 0.02
	done
	echo "no socket $1" >&2
	return 1
}

# pid_of prints a container's init pid on the host.
pid_of() {
	runo state "$1" | jq -r .pid
}

# wait_for_status waits up to 5 seconds for a container to reach a status.
wait_for_status() {
	local i
	for i in $(seq 50); do
		[ "$(status_of "$1")" = "$2" ] && return 0
		sleep 0.1
	done
	echo "container $1 is $(status_of "$1"), not $2" >&2
	return 1
}

# cgroup_dirs lists every cgroup directory named like the argument.
# requires_v1 skips a test of cgroup v1 files on a pure cgroup v2 host;
# cgroups_v2.bats has its twin.
requires_v1() {
	[ "$(stat -fc %T /sys/fs/cgroup)" != cgroup2fs ] || skip "cgroup v1 files (cgroups_v2.bats has the v2 twin)"
}

# requires_v2 skips a test of a pure cgroup v2 host elsewhere.
requires_v2() {
	[ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ] || skip "needs a pure cgroup v2 host (make test-vm)"
}

# cgroup_dir prints the v1 cgroup of controller $1 that a container $2 with
# the default cgroupsPath has: below this shell's own.
cgroup_dir() {
	local own
	own=$(grep -E "^[0-9]+:([^:]*,)?$1(,[^:]*)?:" /proc/self/cgroup | cut -d: -f3)
	echo "/sys/fs/cgroup/$1${own%/}/$2"
}

# procs_dir prints the cgroup of container $1's init that lists all its
# processes: the pids hierarchy's on v1, the cgroup2 one on pure v2.
procs_dir() {
	local pid
	pid=$(pid_of "$1")
	if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
		echo "/sys/fs/cgroup$(sed -n 's/^0:://p' "/proc/$pid/cgroup")"
	else
		echo "/sys/fs/cgroup/pids$(sed -n 's/^[0-9]*:pids://p' "/proc/$pid/cgroup")"
	fi
}

cgroup_dirs() {
	find /sys/fs/cgroup -mindepth 1 -maxdepth 4 -type d -name "$1" 2>/dev/null
}

# assert_no_leftovers fails if anything of container $1 remains: its state
# directory, a cgroup, a mount of the bundle's rootfs, or a process.
assert_no_leftovers() {
	local id=$1 pid=${2:-}
	if [ -e "$ROOT/$id" ]; then
		echo "state directory $ROOT/$id is left" >&2
		return 1
	fi
	if [ -n "$(cgroup_dirs "$id")" ]; then
		echo "cgroups left: $(cgroup_dirs "$id")" >&2
		return 1
	fi
	if grep -q " $BUNDLE/rootfs" /proc/self/mountinfo; then
		echo "mounts left under $BUNDLE/rootfs" >&2
		return 1
	fi
	if [ -n "$pid" ] && [ -d "/proc/$pid" ] && ! grep -q '^State:.*Z' "/proc/$pid/status"; then
		echo "process $pid is left" >&2
		return 1
	fi
}

# wait_dead waits up to 5 seconds for process $1 to be gone or a zombie.
wait_dead() {
	local i state
	for i in $(seq 50); do
		state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null || true)
		[ -z "$state" ] || [ "$state" = Z ] && return 0
		sleep 0.1
	done
	echo "process $1 is still alive" >&2
	return 1
}
