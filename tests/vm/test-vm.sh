#!/bin/bash
# In the guest of make test-vm: runo's bats files given (every one in
# tests/integration when none is), as TAP; with --podman, podman's
# checkpoint test last (CRIU works on this kernel, not on the project's);
# with --smoke, that and the smoke test first.
set -uo pipefail
cd "$(dirname "$0")/../.."
rc=0
smoke=0 podman=0
case ${1:-} in
--smoke) smoke=1 podman=1 && shift ;;
--podman) podman=1 && shift ;;
esac
[ $smoke = 0 ] || /run/v2vm/smoke.sh || rc=1
# Under TCG a test's files cost half as much on a tmpfs as on the guest's
# disk; the files whose tests make idmapped mounts keep the disk, as tmpfs
# takes them only from Linux 6.3 (this kernel is 6.1).
on_disk=" mounts.bats rootless.bats userns.bats "
mkdir -p /var/tmp/fast && mount -t tmpfs -o mode=1777 runo-tests /var/tmp/fast
# Each test copies the rootfs: from the guest's memory, not over 9p.
export ROOTFS_TEMPLATE=/var/tmp/fast/rootfs
cp -a build/rootfs "$ROOTFS_TEMPLATE"
# runo takes ~20 times longer here: fewer kill points, spread wider; fewer
# lifecycles for the leak count, the parallel loops and the mount race.
export CRASH_DELAYS="0 0.02 0.1 0.3" LEAK_CYCLES=10 CRASH_LOOPS=2 RACE_RUNS=10
[ $# -gt 0 ] || set -- tests/integration/*.bats
disk=() fast=()
for f in "$@"; do
	case $on_disk in *" $(basename "$f") "*) disk+=("$f") ;; *) fast+=("$f") ;; esac
done
[ ${#fast[@]} = 0 ] || TMPDIR=/var/tmp/fast bats --tap --timing "${fast[@]}" || rc=1
[ ${#disk[@]} = 0 ] || bats --tap --timing "${disk[@]}" || rc=1
[ $podman = 0 ] || bats --tap --filter checkpoint tests/e2e/podman.bats || rc=1
exit $rc
