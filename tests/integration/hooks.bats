#!/usr/bin/env bats
# Hooks: each at its point of the lifecycle, in its namespaces, with the
# container's state on stdin.

load helpers

setup() {
	runo_setup
	# One script logs every hook: its name, its mount namespace and the
	# state it read. The host runs it from here; the container (for
	# startContainer) from a bind mount of the same directory.
	HOOKS=$BATS_TEST_TMPDIR/hooks
	mkdir -p "$HOOKS"
	cat > "$HOOKS/log.sh" <<-'EOF'
		#!/bin/sh
		echo "$1 $(readlink /proc/self/ns/mnt) $(cat)" >> "$LOG"
	EOF
	chmod +x "$HOOKS/log.sh"
	update_config --arg d "$HOOKS" '.mounts += [{"destination": "/hooks", "type": "bind", "source": $d, "options": ["rbind"]}]'
}

# add_hook KIND PATH NAME [ENV...] appends a hook that logs NAME.
add_hook() {
	local kind=$1 path=$2 name=$3 log=$HOOKS/log
	[ "$kind" = startContainer ] && log=/hooks/log
	update_config --arg k "$kind" --arg p "$path" --arg n "$name" --arg l "LOG=$log" \
		'.hooks[$k] += [{"path": $p, "args": ["hook", $n], "env": [$l]}]'
}

# hook_field NAME JQ prints a field of the state hook NAME read.
hook_field() {
	grep "^$1 " "$HOOKS/log" | cut -d' ' -f3- | jq -r "$2"
}

@test "hooks run in order at their points, in their namespaces, with the state" {
	add_hook prestart "$HOOKS/log.sh" prestart
	add_hook createRuntime "$HOOKS/log.sh" createRuntime
	add_hook createContainer "$HOOKS/log.sh" createContainer
	add_hook startContainer /hooks/log.sh startContainer
	add_hook poststart "$HOOKS/log.sh" poststart
	add_hook poststop "$HOOKS/log.sh" poststop
	runo create --bundle "$BUNDLE" "$ID"
	local pid host ctr
	pid=$(pid_of "$ID")
	host=$(readlink /proc/self/ns/mnt)
	ctr=$(readlink /proc/$pid/ns/mnt)
	[ "$(cut -d' ' -f1 "$HOOKS/log" | tr '\n' ' ')" = "prestart createRuntime createContainer " ]
	runo start "$ID"
	runo kill "$ID" KILL
	wait_for_status "$ID" stopped
	runo delete "$ID"
	[ "$(cut -d' ' -f1 "$HOOKS/log" | tr '\n' ' ')" = \
		"prestart createRuntime createContainer startContainer poststart poststop " ]
	# Runtime namespace or container namespace, as the spec says.
	[ "$(grep '^prestart ' "$HOOKS/log" | cut -d' ' -f2)" = "$host" ]
	[ "$(grep '^createRuntime ' "$HOOKS/log" | cut -d' ' -f2)" = "$host" ]
	[ "$(grep '^createContainer ' "$HOOKS/log" | cut -d' ' -f2)" = "$ctr" ]
	[ "$(grep '^startContainer ' "$HOOKS/log" | cut -d' ' -f2)" = "$ctr" ]
	[ "$(grep '^poststart ' "$HOOKS/log" | cut -d' ' -f2)" = "$host" ]
	[ "$(grep '^poststop ' "$HOOKS/log" | cut -d' ' -f2)" = "$host" ]
	# The state on stdin, with the host's view of the init pid.
	[ "$(hook_field createRuntime .status)" = creating ]
	[ "$(hook_field createContainer .pid)" = "$pid" ]
	[ "$(hook_field startContainer .status)" = created ]
	[ "$(hook_field poststart .status)" = running ]
	[ "$(hook_field poststart .pid)" = "$pid" ]
	[ "$(hook_field poststop .status)" = stopped ]
	[ "$(hook_field poststop .id)" = "$ID" ]
	[ "$(hook_field poststop .bundle)" = "$BUNDLE" ]
}

@test "a failing createRuntime or createContainer hook fails create, naming it, and leaves nothing" {
	local kind
	for kind in createRuntime createContainer; do
		update_config 'del(.hooks)'
		add_hook "$kind" /bin/sh -c
		update_config --arg k "$kind" '.hooks[$k][0].args = ["sh", "-c", "echo boom; exit 3"]'
		run runo create --bundle "$BUNDLE" "$ID"
		[ "$status" -ne 0 ]
		[[ "$output" == *"error running $kind hook #0: /bin/sh: exit status 3: boom"* ]]
		assert_no_leftovers "$ID"
	done
}

@test "a hook past its timeout is killed and fails create" {
	add_hook createRuntime /bin/sleep 10
	update_config '.hooks.createRuntime[0].args = ["sleep", "10"] | .hooks.createRuntime[0].timeout = 1'
	local start=$SECONDS
	run runo create --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"error running createRuntime hook #0: /bin/sleep: timed out after 1s"* ]]
	[ $((SECONDS - start)) -lt 5 ]
	assert_no_leftovers "$ID"
}

@test "a failing startContainer or poststart hook fails start, as in runc; a failing poststop hook only warns" {
	update_config '.hooks.startContainer = [{"path": "/bin/sh", "args": ["sh", "-c", "echo no start; exit 1"]}]'
	runo create --bundle "$BUNDLE" "$ID"
	run runo start "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"error running startContainer hook #0: /bin/sh: exit status 1: no start"* ]]
	wait_for_status "$ID" stopped
	runo delete "$ID"

	update_config '.hooks = {"poststart": [{"path": "/bin/true"}, {"path": "/bin/false"}]}'
	runo create --bundle "$BUNDLE" "$ID"
	run runo start "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"error running poststart hook #1: /bin/false: exit status 1"* ]]
	wait_for_status "$ID" stopped
	runo delete "$ID"

	update_config '.hooks = {"poststop": [{"path": "/bin/false"}]}'
	runo create --bundle "$BUNDLE" "$ID"
	runo start "$ID"
	run runo delete --force "$ID"
	[ "$status" -eq 0 ]
	[[ "$output" == *"level=warning"*"error running poststop hook #0: /bin/false: exit status 1"* ]]
	assert_no_leftovers "$ID"
}

@test "a hook with a relative path or a timeout of zero is refused" {
	update_config '.hooks.poststop = [{"path": "bin/true"}]'
	run runo create --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *'hooks.poststop[0].path: \"bin/true\" is not an absolute path'* ]]
	update_config '.hooks.poststop = [{"path": "/bin/true", "timeout": 0}]'
	run runo create --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"hooks.poststop[0].timeout: 0 is not above zero"* ]]
	assert_no_leftovers "$ID"
}
