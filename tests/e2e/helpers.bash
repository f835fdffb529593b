# Shared set-up for the end-to-end tests: runo under real container
# engines, each a private instance under a temp dir, with a busybox image
# built from build/rootfs (no registry).

REPO=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
RUNO_BIN=${RUNO_BIN:-$REPO/runo}
# shellcheck source=../common.bash
. "$REPO/tests/common.bash"
IMAGE=docker.io/library/busybox:runo
PEER=$REPO/build/peer

# make_wrapper writes $E2E/runo, a runo that logs each call to
# $E2E/calls: the tests check runo, not another runtime, was called.
make_wrapper() {
	cat > "$E2E/runo" <<-EOF2
		#!/bin/sh
		echo "\$*" >> "$E2E/calls"
		exec "$RUNO_BIN" "\$@"
	EOF2
	chmod +x "$E2E/runo"
}

# called_with checks that runo was called with the words of $1.
called_with() {
	grep -q -- "$1" "$E2E/calls" || { echo "runo was not called with '$1':" >&2; cat "$E2E/calls" >&2; return 1; }
}

# no_leftovers checks that nothing of container $1 remains: runo's state,
# cgroups, mounts of its rootfs.
no_leftovers() {
	local id=$1 root=$2
	[ -d "$root" ] || { echo "no runo state dir $root" >&2; return 1; }
	if [ -n "$(ls -A "$root" | grep -x "$id")" ]; then
		echo "runo state of $id left in $root" >&2
		return 1
	fi
	if [ -n "$(find /sys/fs/cgroup -maxdepth 5 -type d -name "$id" 2>/dev/null)" ]; then
		echo "cgroups of $id left: $(find /sys/fs/cgroup -maxdepth 5 -type d -name "$id")" >&2
		return 1
	fi
	if grep -q "/$id/rootfs " /proc/self/mountinfo; then
		echo "rootfs of $id still mounted" >&2
		return 1
	fi
}

# runo_root prints the --root the engine gave runo (runo's default if none).
runo_root() {
	local root
	root=$(grep -o -- '--root [^ ]*' "$E2E/calls" | head -1 | cut -d' ' -f2)
	echo "${root:-/run/runo}"
}
