#!/bin/bash
# In the guest (tests/vm/run.sh tests/vm/criu-bench.sh; make bench-criu):
# checkpoint and restore times of a busybox container whose process has
# touched 100 MiB, runo beside the guest's runc, N rounds each, medians
# and ratios. CRIU does the work; what differs is each runtime's share.
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${N:-5}
MIB=${MIB:-100}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bundle=$work/bundle
mkdir -p "$bundle"
cp -a build/rootfs "$bundle/rootfs"
cp build/peer "$bundle/rootfs/bin/peer"
./runo spec --bundle "$bundle"
jq --arg m "$MIB" '.process.terminal = false | .process.args = ["/bin/peer", "touch-mem", $m]' \
	"$bundle/config.json" > "$work/c" && mv "$work/c" "$bundle/config.json"

now() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

declare -A dump restore
for rt in runo runc; do
	bin=$PWD/runo
	[ "$rt" = runc ] && bin=$(command -v runc)
	: > "$work/$rt.dump"; : > "$work/$rt.restore"
	for i in $(seq "$N"); do
		id=bench-$rt-$i img=$work/img-$rt-$i
		# stdio a pipe, as engines give it (CRIU dumps no host file).
		exec {pipe}<> <(:)
		"$bin" --root "$work/$rt-root" run -d --bundle "$bundle" "$id" <&$pipe >&$pipe 2>&$pipe
		read -r -t 60 line <&$pipe
		[ "$line" = ready ]
		t0=$(now)
		"$bin" --root "$work/$rt-root" checkpoint --image-path "$img" "$id"
		t1=$(now)
		"$bin" --root "$work/$rt-root" restore -d --image-path "$img" --bundle "$bundle" "$id" <&$pipe >&$pipe 2>&$pipe
		t2=$(now)
		grep -q "^VmRSS:" "/proc/$("$bin" --root "$work/$rt-root" state "$id" | jq .pid)/status"
		"$bin" --root "$work/$rt-root" delete -f "$id"
		echo $(((t1 - t0) / 1000000)) >> "$work/$rt.dump"
		echo $(((t2 - t1) / 1000000)) >> "$work/$rt.restore"
		rm -rf "$img"
		exec {pipe}>&-
	done
	dump[$rt]=$(median < "$work/$rt.dump")
	restore[$rt]=$(median < "$work/$rt.restore")
	echo "$rt ($("$bin" --version | head -1)): checkpoint $(paste -sd' ' "$work/$rt.dump") ms, restore $(paste -sd' ' "$work/$rt.restore") ms"
done
echo "CRIU $(criu --version | sed -n 's/^Version: //p'), ${MIB} MiB touched, $N rounds, medians:"
for op in checkpoint restore; do
	if [ $op = checkpoint ]; then a=${dump[runo]} b=${dump[runc]}; else a=${restore[runo]} b=${restore[runc]}; fi
	awk -v op=$op -v a="$a" -v b="$b" 'BEGIN {printf "  %-10s runo %5d ms  runc %5d ms  runo/runc %.2f\n", op, a, b, a / b}'
done
