#!/bin/bash
# then.sh 'COMMAND ARG...' ...: in one guest boot (tests/vm/run.sh
# tests/vm/then.sh ...), runs each command line in turn, split at spaces,
# and says how long it took; fails when one does.
rc=0
for c in "$@"; do
	SECONDS=0
	# shellcheck disable=SC2086 # the split is the point
	$c || rc=1
	echo "## ${c%% *}: ${SECONDS}s"
done
exit $rc
