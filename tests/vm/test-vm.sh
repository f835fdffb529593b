#!/bin/bash
# In the guest of make test-vm: runo's bats files given (every one in
# tests/integration when none is), as TAP; with --smoke, the smoke test
# first, and podman's checkpoint test last (CRIU works on this kernel, not
# on the project's).
set -uo pipefail
cd "$(dirname "$0")/../.."
rc=0
smoke=0
if [ "${1:-}" = --smoke ]; then smoke=1 && shift; fi
[ $smoke = 0 ] || /run/v2vm/smoke.sh || rc=1
# Each test copies the rootfs: from the guest's own disk, not over 9p.
export ROOTFS_TEMPLATE=/var/tmp/runo-rootfs
rm -rf "$ROOTFS_TEMPLATE" && cp -a build/rootfs "$ROOTFS_TEMPLATE"
[ $# -gt 0 ] || set -- tests/integration
bats --tap --timing "$@" || rc=1
[ $smoke = 0 ] || bats --tap --filter checkpoint tests/e2e/podman.bats || rc=1
exit $rc
