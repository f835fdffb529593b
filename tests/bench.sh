#!/usr/bin/env bash
# make bench: times runo beside runc and crun on one busybox bundle, in one
# run, alternating the three each round, and prints medians and ratios:
# times of run, create+start+delete, exec and run with docker's seccomp
# profile, peak RSS, and the containers per second of 8 runs at once (the
# one line where a higher ratio is better).
#
# crun 1.8 refuses this host's hybrid cgroup layout, so the whole benchmark
# runs in a private mount namespace where a tmpfs hides /sys/fs/cgroup/unified
# (the host's mounts are untouched); all three runtimes see the same v1 layout.
# The bundle says ociVersion 1.0.2, the newest crun 1.8 accepts.
set -euo pipefail
ROUNDS=${ROUNDS:-30}
REPO=$(cd "$(dirname "$0")/.." && pwd)

if [ "${RUNO_BENCH_INNER:-}" != 1 ]; then
	exec env RUNO_BENCH_INNER=1 unshare --mount --propagation private "$0" "$@"
fi
if mountpoint -q /sys/fs/cgroup/unified; then
	mount -t tmpfs -o size=1k runo-bench /sys/fs/cgroup/unified
fi

work=$(mktemp -d /tmp/runo-bench.XXXXXX)
cleanup() {
	local rt
	for rt in "${RUNTIMES[@]}"; do
		${CMD[$rt]} delete --force "long-$rt" 2> /dev/null
	done
	umount "$work/state" 2> /dev/null
	rm -rf "$work"
}
trap cleanup EXIT
bundle=$work/bundle
# State lives on a tmpfs, as in /run where every runtime keeps it by default.
state=$work/state
mkdir "$state"
mount -t tmpfs runo-bench-state "$state"
mkdir -p "$bundle"
cp -a "$REPO/build/rootfs" "$bundle/rootfs"
"$REPO/runo" spec --bundle "$bundle"
jq '.process.terminal = false | .process.args = ["/bin/true"] | .ociVersion = "1.0.2"' "$bundle/config.json" > "$work/c" && mv "$work/c" "$bundle/config.json"

declare -A CMD=(
	[runo]="$REPO/runo --root $state/runo"
	[runc]="runc --root $state/runc"
	[crun]="crun --cgroup-manager=disabled --root $state/crun"
)
RUNTIMES=(runo runc crun)

# time_ms prints how long its command took, in milliseconds (three decimals).
# EPOCHREALTIME is read without forking, so the timing adds only the
# shell's own fork and exec of the command.
time_ms() {
	local start end
	start=${EPOCHREALTIME/./}
	"$@" > /dev/null
	end=${EPOCHREALTIME/./}
	awk -v us=$((end - start)) 'BEGIN { printf "%.3f\n", us / 1000 }'
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# A second bundle, on the same rootfs, for the containers exec goes into.
mkdir "$work/long"
jq --arg r "$bundle/rootfs" '.root.path = $r | .process.args = ["sleep", "100000"]' "$bundle/config.json" > "$work/long/config.json"

# A third with docker's default seccomp profile (tests/seccomp/default.json).
mkdir "$work/sec"
jq --arg r "$bundle/rootfs" --slurpfile p "$REPO/tests/seccomp/default.json" '.root.path = $r | .linux.seccomp = $p[0]' \
	"$bundle/config.json" > "$work/sec/config.json"

cd "$bundle"
for rt in "${RUNTIMES[@]}"; do
	# One warm-up each, which also checks that every runtime works here.
	${CMD[$rt]} run "warm-$rt" > /dev/null || { echo "$rt cannot run the bundle" >&2; exit 1; }
	${CMD[$rt]} run -d --bundle "$work/long" "long-$rt" > /dev/null || { echo "$rt cannot run -d" >&2; exit 1; }
done

for i in $(seq "$ROUNDS"); do
	for rt in "${RUNTIMES[@]}"; do
		time_ms ${CMD[$rt]} run "run-$rt-$i" >> "$work/$rt.run"
		cycle() {
			${CMD[$rt]} create "cyc-$rt-$i" && ${CMD[$rt]} start "cyc-$rt-$i" && ${CMD[$rt]} delete --force "cyc-$rt-$i"
		}
		time_ms cycle >> "$work/$rt.cycle"
		time_ms ${CMD[$rt]} exec "long-$rt" /bin/true >> "$work/$rt.exec"
		/usr/bin/time -f %M -o "$work/rss.tmp" ${CMD[$rt]} run "rss-$rt-$i" > /dev/null
		cat "$work/rss.tmp" >> "$work/$rt.rss"
		time_ms ${CMD[$rt]} run --bundle "$work/sec" "sec-$rt-$i" >> "$work/$rt.seccomp"
	done
done

# Throughput: 8 loops at once, each running PAR_EACH containers one after
# another; containers per second, PAR_ROUNDS times each.
PAR_ROUNDS=${PAR_ROUNDS:-3}
PAR_EACH=${PAR_EACH:-10}
for r in $(seq "$PAR_ROUNDS"); do
	for rt in "${RUNTIMES[@]}"; do
		start=${EPOCHREALTIME/./}
		for j in $(seq 8); do
			(for k in $(seq "$PAR_EACH"); do ${CMD[$rt]} run "par-$rt-$r-$j-$k" > /dev/null || exit 1; done) &
		done
		wait
		end=${EPOCHREALTIME/./}
		awk -v n=$((8 * PAR_EACH)) -v us=$((end - start)) 'BEGIN { printf "%.1f\n", n / (us / 1e6) }' >> "$work/$rt.par"
	done
done

printf "%d rounds, kernel %s, %s\n\n" "$ROUNDS" "$(uname -r)" "$("$REPO/runo" --version | head -1)"
printf "%-28s %10s %10s %10s %10s %10s\n" "median" runo runc crun runo/runc runo/crun
for m in run cycle exec rss seccomp par; do
	case $m in
	run) label="run /bin/true (ms)" ;;
	cycle) label="create+start+delete (ms)" ;;
	exec) label="exec /bin/true (ms)" ;;
	rss) label="peak RSS of run (KiB)" ;;
	seccomp) label="run, docker seccomp (ms)" ;;
	par) label="8-way run (containers/s)" ;;
	esac
	declare -A med=()
	for rt in "${RUNTIMES[@]}"; do
		med[$rt]=$(median < "$work/$rt.$m")
	done
	printf "%-28s %10s %10s %10s %10.2f %10.2f\n" "$label" "${med[runo]}" "${med[runc]}" "${med[crun]}" \
		"$(awk -v a="${med[runo]}" -v b="${med[runc]}" 'BEGIN { print a / b }')" \
		"$(awk -v a="${med[runo]}" -v b="${med[crun]}" 'BEGIN { print a / b }')"
done
