#!/usr/bin/env bash
# make conformance: runc's own integration suite (its Go module, at
# RUNC_VERSION) run against ./runo, one file at a time, each under a
# terminal of its own (`script`), as some tests need a controlling tty.
# A failure outside expected-failures fails the run; an expected failure
# that passes is reported, so the list shrinks. Never run two at once:
# the tests use fixed container names and cgroup paths.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
here=$repo/tests/conformance
RUNC_VERSION=${RUNC_VERSION:-v1.5.1}
work=$repo/build/conformance
suite=$work/runc-$RUNC_VERSION
export GOEXPERIMENT=

# The suite's own needs beyond runo's (tests/deps.sh).
need=""
for t in gawk:gawk mmdebstrap:mmdebstrap xz:xz-utils script:bsdutils; do
	command -v "${t%%:*}" > /dev/null || need="$need ${t#*:}"
done
if [ -n "$need" ]; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq && apt-get install -y -qq $need > /dev/null
fi

# .ready marks a copy built by this script as it is now.
if [ ! -e "$suite/.ready" ] || [ "$suite/.ready" -ot "$0" ]; then
	src=$(go mod download -json "github.com/opencontainers/runc@$RUNC_VERSION" | jq -r .Dir)
	rm -rf "$suite"
	mkdir -p "$work"
	cp -r "$src" "$suite"
	# Module zips keep no exec bits.
	chmod -R u+w "$suite"
	find "$suite" -name '*.sh' -exec chmod +x {} +
	mkdir -p "$suite/tests/cmd/_bin"
	# As runc's Makefile builds them: seccompagent is empty without the tag.
	(cd "$suite" && go build -tags seccomp -o tests/cmd/_bin/ ./tests/cmd/...)
	touch "$suite/.ready"
fi
"$here/images.sh" "$suite/tests/integration/testdata"

results=$work/results
rm -rf "$results"
mkdir -p "$results"
# Not the guest's copy of checkpoint.bats (tests/vm/conformance.sh).
files=${CONFORMANCE_FILES:-$(cd "$suite/tests/integration" && ls ./*.bats | sed 's|^\./||' | grep -vx checkpoint-tcg.bats)}
export RUNC=${RUNO_BIN:-$repo/runo}
# runc's test of a container's CRIU config writes /etc/criu/default.conf
# and leaves it when CRIU fails (as on this host's kernel): every later
# CRIU run would then log into its working directory.
[ -e /etc/criu/default.conf ] || trap 'rm -f /etc/criu/default.conf' EXIT
# script's input is held open (script ends when its input does), by a
# process substitution the shell does not wait for.
exec 7< <(exec sleep infinity)
holder=$!
for f in $files; do
	# A file that hangs is ended after 15 minutes rather than stopping the
	# run (not BATS_TEST_TIMEOUT: tests that `wait` would wait for its timer;
	# --foreground, so that the tests keep the terminal).
	script -q -e -c "timeout --foreground 900 bats --tap '$suite/tests/integration/$f' > '$results/$f.tap' 2>&1" /dev/null <&7 > /dev/null || true
done
exec 7<&-
kill "$holder" 2> /dev/null || true
# A test ended by the limit leaves the suite's parent cgroup behind; one
# of them can hold the whole cpu.rt_runtime_us budget of the host.
find /sys/fs/cgroup -depth -type d -path '*/runc-cgroups-integration-test*' 2> /dev/null | while read -r d; do
	[ -w "$d/cpu.rt_runtime_us" ] && echo 0 > "$d/cpu.rt_runtime_us" 2> /dev/null
	rmdir "$d" 2> /dev/null || true
done

"$here/summary.sh" "$results" $files
