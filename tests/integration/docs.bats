#!/usr/bin/env bats
# Man pages (build/man, made from the command definitions), shell
# completion and the version block, as a packaged runtime has them.

load helpers

# commands lists runo's commands as its help shows them.
commands() {
	"$RUNO_BIN" --help | sed -n '/^COMMANDS:/,/^$/p' | sed -n 's/^   \([a-z]*\).*/\1/p' | grep -v '^help$'
}

@test "every command has a man page, and man renders each without a warning" {
	command -v man > /dev/null || skip "no man here (make test installs man-db)"
	local cmds c page out
	cmds=$(commands)
	[ "$(echo "$cmds" | wc -w)" -ge 15 ]
	for c in $cmds; do
		page=$REPO/build/man/runo-$c.8
		[ -s "$page" ] || { echo "no page for $c"; return 1; }
		# The flags in the page are the command's.
		for flag in $("$RUNO_BIN" "$c" --help | sed -n '/^OPTIONS:/,/^$/p' | sed -n 's/^   \(--[a-z0-9-]*\).*/\1/p' | grep -v -- '--help'); do
			grep -q -- "\\\\fB$(sed 's/-/\\\\-/g' <<< "$flag")\\\\fR" "$page" || { echo "$c: $flag not in the page"; return 1; }
		done
	done
	for page in "$REPO"/build/man/*.8; do
		out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings=all -l -Tutf8 "$page" 2>&1 > /dev/null)
		[ -z "$out" ] || { echo "$page: $out"; return 1; }
	done
	run man -l "$REPO/build/man/runo-exec.8"
	[[ "$output" == *EXAMPLES*"runo exec -t mycontainer sh"* ]]
	run man -l "$REPO/build/man/runo.8"
	[[ "$output" == *"runo-create(8)"* ]]
}

@test "bash completion of runo kill lists the running containers, then signal names" {
	[ -e /usr/share/bash-completion/bash_completion ] || skip "no bash-completion here (make test installs it)"
	set_args sleep 1000
	runo run -d --bundle "$BUNDLE" "$ID"
	runo run -d --bundle "$BUNDLE" "$ID-b"
	source /usr/share/bash-completion/bash_completion
	eval "$("$RUNO_BIN" completion bash)"
	# The completion runs `runo` with the words typed so far: the helper
	# function, which adds this test's --root.
	COMP_WORDS=(runo kill "")
	COMP_CWORD=2
	COMP_LINE="runo kill "
	COMP_POINT=${#COMP_LINE}
	__runo_bash_autocomplete
	[[ " ${COMPREPLY[*]} " == *" $ID "* ]]
	[[ " ${COMPREPLY[*]} " == *" $ID-b "* ]]
	COMP_WORDS=(runo kill "$ID" "")
	COMP_CWORD=3
	COMP_LINE="runo kill $ID "
	COMP_POINT=${#COMP_LINE}
	__runo_bash_autocomplete
	[[ " ${COMPREPLY[*]} " == *" KILL "* ]]
	[[ " ${COMPREPLY[*]} " == *" TERM "* ]]
	COMP_WORDS=(runo k)
	COMP_CWORD=1
	COMP_LINE="runo k"
	COMP_POINT=${#COMP_LINE}
	__runo_bash_autocomplete
	[ "${COMPREPLY[*]}" = kill ]
	# zsh and fish get scripts too.
	"$RUNO_BIN" completion zsh | grep -q compdef
	"$RUNO_BIN" completion fish | grep -q "complete -c runo"
}

@test "runo --version and runo version print runc's block: version, commit, spec, go, libseccomp" {
	run runo --version
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^runo\ version\ [0-9] ]]
	[[ "${lines[1]}" == "commit: "* ]]
	[ "${lines[2]}" = "spec: 1.3.0" ]
	[[ "${lines[3]}" == "go: go"* ]]
	[[ "${lines[4]}" =~ ^libseccomp:\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
	local v=$output
	run runo version
	[ "$output" = "$v" ]
}

@test "make install puts runo, its man pages and completion where man and bash-completion find them" {
	command -v make > /dev/null && command -v man > /dev/null || skip "no make or man here"
	local dest=$BATS_TEST_TMPDIR/inst
	make -C "$REPO" install DESTDIR="$dest" PREFIX=/usr/local > /dev/null
	[ -x "$dest/usr/local/bin/runo" ]
	[ -s "$dest/usr/local/share/man/man8/runo-exec.8" ]
	[ -s "$dest/usr/local/share/man/man8/runo.8" ]
	run man -M "$dest/usr/local/share/man" 8 runo-exec
	[ "$status" -eq 0 ]
	[[ "$output" == *"runo-exec - run a new process in a running container"* ]]
	grep -q "complete .* runo" "$dest/usr/local/share/bash-completion/completions/runo"
}
