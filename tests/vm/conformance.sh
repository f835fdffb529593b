#!/bin/bash
# In the guest (tests/vm/run.sh tests/vm/conformance.sh [DRIVER] FILE...):
# runc's own tests (make conformance's copy of runc's suite, built on the
# host) against runo on pure cgroup v2, with the cgroupfs driver, then with
# the systemd one (RUNC_USE_SYSTEMD); DRIVER (cgroupfs or systemd) runs
# only that one. Prints each file's TAP.
set -uo pipefail
cd "$(dirname "$0")/../.."
drivers="cgroupfs systemd"
case ${1:-} in cgroupfs | systemd) drivers=$1 && shift ;; esac
suite=build/conformance/runc-v1.5.1/tests/integration
[ -d "$suite" ] || { echo "no $suite: run make conformance on the host first"; exit 1; }
export RUNC=$PWD/runo
# The suite asks `go env GOARCH` for its images; the guest has no Go.
if ! command -v go > /dev/null; then
	mkdir -p /tmp/fakego
	printf '#!/bin/sh\necho amd64\n' > /tmp/fakego/go
	chmod +x /tmp/fakego/go
	export PATH=/tmp/fakego:$PATH
fi
rc=0
for driver in $drivers; do
	[ $driver = systemd ] && export RUNC_USE_SYSTEMD=1
	for f in "$@"; do
		echo "## $driver: $f"
		script -q -e -c "bats --tap $suite/$f" /dev/null < /dev/null || rc=1
	done
done
exit $rc
