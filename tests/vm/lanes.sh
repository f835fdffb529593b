#!/bin/bash
# lanes.sh 'COMMAND' ...: runs each host command line (run.sh and its
# environment) at once, and prints their outputs one after the other; fails
# when one does. A guest under TCG keeps about one host CPU busy while bats
# runs one test at a time, so two guests take little longer than one.
set -uo pipefail
out=$(mktemp -d "${TMPDIR:-/tmp}/v2vm-lanes.XXXXXX")
trap 'rm -rf "$out"' EXIT
pids=()
for i in $(seq 0 $(($# - 1))); do
	bash -c "${@:i+1:1}" > "$out/$i" 2>&1 &
	pids+=($!)
done
rc=0
for i in "${!pids[@]}"; do
	wait "${pids[i]}" || rc=1
	echo "## lane $((i + 1)): ${@:i+1:1}"
	cat "$out/$i"
done
exit $rc
