#!/usr/bin/env bats
# Global flags, flag syntax and logging, as runc's callers use them.

load helpers

@test "--version prints runo, commit and spec lines" {
	run runo --version
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^runo\ version\ [0-9] ]]
	[[ "${lines[1]}" =~ ^commit:\  ]]
	[ "${lines[2]}" = "spec: 1.3.0" ]
}

@test "flags parse as runc's: --flag=value, single dash, global flags first" {
	set_args true
	"$RUNO_BIN" -root="$ROOT" run -no-subreaper -bundle="$BUNDLE" "$ID"
	"$RUNO_BIN" --root "$ROOT" --debug run --keep -b "$BUNDLE" "$ID"
	[ "$(status_of "$ID")" = stopped ]
	runo delete "$ID"
}

@test "an unknown command exits 3, as runc's does" {
	run runo no-such-command
	[ "$status" -eq 3 ]
	[[ "$output" == *"No help topic for 'no-such-command'"* ]]
	run runo list --no-such-flag
	[ "$status" -eq 1 ]
	[[ "$output" == *"flag provided but not defined: -no-such-flag"* ]]
}

@test "--root puts state where asked" {
	runo create --bundle "$BUNDLE" "$ID"
	[ -f "$ROOT/$ID/state.json" ]
	[ -p "$ROOT/$ID/exec.fifo" ]
	[ "$(stat -c %a "$ROOT/$ID")" = 700 ]
}

@test "--log with --log-format json writes one error line that stands alone" {
	run runo --log "$BATS_TEST_TMPDIR/log" --log-format json start nothing-here
	[ "$status" -ne 0 ]
	[ "$output" = "container does not exist" ]
	[ "$(wc -l < "$BATS_TEST_TMPDIR/log")" -eq 1 ]
	[ "$(jq -r .level "$BATS_TEST_TMPDIR/log")" = error ]
	[ "$(jq -r .msg "$BATS_TEST_TMPDIR/log")" = "container does not exist" ]
	jq -r .time "$BATS_TEST_TMPDIR/log" | grep -Eq '^[0-9]{4}-'
}

@test "--debug logs debug lines" {
	runo --debug --log "$BATS_TEST_TMPDIR/log" --log-format json create --bundle "$BUNDLE" "$ID"
	jq -r .level "$BATS_TEST_TMPDIR/log" | grep -qx debug
}

@test "an unknown --log-format is refused" {
	run runo --log-format xml list
	[ "$status" -ne 0 ]
	[[ "$output" == *"--log-format"* ]]
}

@test "--systemd-cgroup on a host whose init is not systemd is refused clearly" {
	[ ! -e /run/systemd/system ] || skip "systemd runs here: systemd.bats tests the driver"
	run runo --systemd-cgroup --log-format json create --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ "$(echo "$output" | jq -r .msg)" == *"--systemd-cgroup: systemd cgroup flag passed, but systemd support for managing cgroups is not available"* ]]
	assert_no_leftovers "$ID"
}

@test "spec writes a config.json runo runs, and will not overwrite one" {
	run runo spec --bundle "$BUNDLE"
	[ "$status" -ne 0 ]
	[[ "$output" == *"exists"* ]]
	rm "$BUNDLE/config.json"
	runo spec --bundle "$BUNDLE"
	[ "$(jq -r .ociVersion "$BUNDLE/config.json")" = 1.3.0 ]
	set_args true
	runo run --bundle "$BUNDLE" "$ID"
}

@test "features prints runtime-spec features JSON of what runo supports" {
	run runo features
	[ "$status" -eq 0 ]
	[ "$(jq -r .ociVersionMax <<< "$output")" = 1.3.0 ]
	[ "$(jq -r '.hooks | length' <<< "$output")" = 6 ]
	[ "$(jq -r '.linux.namespaces | join(",")' <<< "$output")" = cgroup,ipc,mount,network,pid,time,user,uts ]
	[ "$(jq -r .linux.seccomp.enabled <<< "$output")" = true ]
	[ "$(jq -r '.linux.seccomp.actions | index("SCMP_ACT_NOTIFY") != null' <<< "$output")" = true ]
	[ "$(jq -r '.linux.seccomp.archs | index("SCMP_ARCH_X86_64") != null' <<< "$output")" = true ]
	[ "$(jq -r .linux.mountExtensions.idmap.enabled <<< "$output")" = true ]
	[ "$(jq -r .linux.cgroup.systemd <<< "$output")" = true ]
	[ "$(jq -r .linux.netDevices.enabled <<< "$output")" = true ]
	[ "$(jq -r '.mountOptions | index("rro") != null' <<< "$output")" = true ]
	[ "$(jq -r .linux.intelRdt.enabled <<< "$output")" = false ]
	[ "$(jq -r '.mountOptions | index("ridmap") != null' <<< "$output")" = true ]
	[ "$(jq -r '.mountOptions | index("tmpcopyup") != null' <<< "$output")" = true ]
	[ "$(jq -r '.linux.capabilities | index("CAP_SYS_ADMIN") != null' <<< "$output")" = true ]
	[ "$(jq -r '.annotations["io.github.seccomp.libseccomp.version"]' <<< "$output")" != null ]
	# checkpoint.bats checks what this says.
	[ "$(jq -r '.annotations["org.opencontainers.runc.checkpoint.enabled"]' <<< "$output")" = true ]
	[ "$(jq -r '.annotations["dev.runo.checkpoint.enabled"]' <<< "$output")" = true ]
	# The config annotations runo acts on (systemd.bats, checkpoint.bats).
	[ "$(jq -r '.potentiallyUnsafeConfigAnnotations | join(",")' <<< "$output")" = org.systemd.property.,org.criu.config ]
}

@test "what features says runo lacks is refused: intelRdt" {
	[ "$(runo features | jq .linux.intelRdt.enabled)" = false ]
	update_config '.linux.intelRdt = {"closID": "x"}'
	create_fails
	[[ "$output" == *"linux.intelRdt: not supported by runo"* ]]
	assert_no_leftovers "$ID"
}
