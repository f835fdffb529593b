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
# Test directories on a tmpfs: under TCG, files cost half as much there.
mkdir -p /var/tmp/fast && mount -t tmpfs -o mode=1777 runc-tests /var/tmp/fast
export TMPDIR=/var/tmp/fast
rc=0
for driver in $drivers; do
	[ $driver = systemd ] && export RUNC_USE_SYSTEMD=1
	for f in "$@"; do
		echo "## $driver: $f"
		if [ "$f" = checkpoint.bats ]; then
			# runc's lazy-pages test gives CRIU's page server 2 seconds to
			# start, too few under TCG (~20 times slower than a host) when
			# another guest shares the CPUs: this copy gives it 20.
			sed 's/timeout 2 dd/timeout 20 dd/' "$suite/$f" > "$suite/checkpoint-tcg.bats"
			f=checkpoint-tcg.bats
		fi
		script -q -e -c "bats --tap $suite/$f" /dev/null < /dev/null || rc=1
	done
done
exit $rc
