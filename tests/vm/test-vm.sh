#!/bin/bash
# In the guest of make test-vm: the smoke test, then runo's tests that are
# about pure cgroup v2 and systemd, the lifecycle ones, and checkpoint and
# restore (CRIU works on the guest's kernel), as bats TAP.
set -uo pipefail
cd "$(dirname "$0")/../.."
rc=0
/run/v2vm/smoke.sh || rc=1
bats --tap tests/integration/cgroups_v2.bats tests/integration/systemd.bats \
	tests/integration/cgroups.bats tests/integration/lifecycle.bats \
	tests/integration/exec.bats tests/integration/mounts.bats tests/integration/userns.bats \
	tests/integration/checkpoint.bats || rc=1
# CRIU works here (not on the project's kernel): podman's checkpoint too.
bats --tap --filter checkpoint tests/e2e/podman.bats || rc=1
exit $rc
