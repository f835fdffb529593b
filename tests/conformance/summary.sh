#!/usr/bin/env bash
# summary.sh RESULTS FILE...: each test of runc's suite as "file: name",
# against expected-failures. Fails on a failure the list does not name;
# says which listed ones pass now, so the list shrinks (not the flaky ones).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
results=$1
shift
passed=0 failed=0 skipped=0 unexpected=() fixed=()
expected=$(sed -e 's/\t#.*//' -e '/^#/d' -e '/^$/d' "$here/expected-failures")
flaky=$(sed -n 's/\t# flaky.*//p' "$here/expected-failures")
for f in "$@"; do
	while IFS= read -r line; do
		name=$(sed -E 's/^(not )?ok [0-9]+ //; s/ # skip.*//' <<< "$line")
		key="$f: $name"
		if [[ $line == ok*"# skip"* ]]; then
			skipped=$((skipped + 1))
		elif [[ $line == ok* ]]; then
			passed=$((passed + 1))
			if grep -qxF "$key" <<< "$expected" && ! grep -qxF "$key" <<< "$flaky"; then
				fixed+=("$key")
			fi
		else
			failed=$((failed + 1))
			grep -qxF "$key" <<< "$expected" || unexpected+=("$key")
		fi
	done < <(grep -aE '^(not )?ok [0-9]+ ' "$results/$f.tap" || true)
done
for k in "${fixed[@]}"; do echo "conformance: passes now, drop from expected-failures: $k"; done
for k in "${unexpected[@]}"; do echo "conformance: FAILED: $k (log: $results/${k%%:*}.tap)"; done
echo "conformance: $passed passed, $failed failed, $skipped skipped"
[ ${#unexpected[@]} -eq 0 ]
