#!/usr/bin/env bats
# checkpoint and restore through CRIU. CRIU 3.17 does not work on the
# host's kernel (6.18): the tests of a real dump run in the v2 guest
# (make test-vm); those of bad input and a missing or failing CRIU run
# everywhere.

load helpers

setup() {
	runo_setup
	IMG=$BATS_TEST_TMPDIR/images
	DATA=$BATS_TEST_TMPDIR/data
	mkdir -p "$DATA"
	# The containers' stdio is a pipe, as engines give it: CRIU dumps
	# pipes, not a descriptor of a host file such as the host's /dev/null
	# (neither runc nor runo tells CRIU about those).
	exec {PIPE}<> <(:)
}

# detached runs runo with the pipe as stdio.
detached() {
	runo "$@" <&"$PIPE" >&"$PIPE" 2>&"$PIPE"
}

requires_criu() {
	criu check > /dev/null 2>&1 || skip "CRIU does not work on this kernel ($(uname -r)): make test-vm runs this"
}

# start_counter runs a container whose shell counts in its memory and
# writes "count token token" to /data (a bind mount of $DATA) every 0.1 s:
# the first token from its memory, the second from a file in a tmpfs.
start_counter() {
	update_config --arg d "$DATA" '.mounts += [
		{destination: "/data", type: "bind", source: $d, options: ["rbind", "rw"]},
		{destination: "/scratch", type: "tmpfs", source: "tmpfs", options: ["nosuid"]}]'
	set_args sh -c 't=$RANDOM$RANDOM; echo $t > /scratch/token; i=0; while true; do i=$((i+1)); echo "$i $t $(cat /scratch/token)" > /data/count.new; mv /data/count.new /data/count; sleep 0.1; done'
	detached run -d --bundle "$BUNDLE" "$ID"
	wait_count 1
}

# wait_count waits up to 10 s for the count to pass $1.
wait_count() {
	local i
	for i in $(seq 100); do
		[ -s "$DATA/count" ] && [ "$(cut -d' ' -f1 "$DATA/count")" -gt "$1" ] && return 0
		sleep 0.1
	done
	echo "count stuck at $(cat "$DATA/count" 2>/dev/null)" >&2
	return 1
}

# assert_counting checks that the container counts on from $1 with the
# tokens of $2.
assert_counting() {
	wait_count "$1"
	local now
	now=$(cat "$DATA/count")
	[ "${now#* }" = "$2" ]
	read -r t1 t2 <<< "$2"
	[ "$t1" = "$t2" ]
}

@test "checkpoint dumps and deletes the container; restore -d brings it back with its memory, tmpfs and bind mount, in its cgroups, and exec works" {
	requires_criu
	start_counter
	local pid before
	pid=$(pid_of "$ID")
	before=$(cat "$DATA/count")
	runo checkpoint --image-path "$IMG" --work-path "$BATS_TEST_TMPDIR/work" "$ID"
	[ -e "$IMG/inventory.img" ] && [ -e "$IMG/descriptors.json" ] && [ -e "$BATS_TEST_TMPDIR/work/dump.log" ]
	run runo state "$ID"
	[ "$status" -ne 0 ]
	assert_no_leftovers "$ID" "$pid"
	local stopped
	stopped=$(cat "$DATA/count")
	sleep 0.3
	[ "$(cat "$DATA/count")" = "$stopped" ]

	detached restore -d --image-path "$IMG" --work-path "$BATS_TEST_TMPDIR/work" --bundle "$BUNDLE" --pid-file "$BATS_TEST_TMPDIR/pid" "$ID"
	[ "$(status_of "$ID")" = running ]
	[ "$(cat "$BATS_TEST_TMPDIR/pid")" = "$(pid_of "$ID")" ]
	assert_counting "${stopped%% *}" "${before#* }"
	grep -qx "$(pid_of "$ID")" "$(procs_dir "$ID")/cgroup.procs"
	[[ "$(procs_dir "$ID")" == *"/$ID" ]]
	run runo exec "$ID" sh -c 'cat /proc/1/cmdline | tr "\0" " "; echo; grep -E " /(data|scratch) " /proc/self/mountinfo'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "sh -c t=\$RANDOM"* ]]
	[[ "$output" == *" /data "* ]] && [[ "$output" == *" /scratch "*" - tmpfs "* ]]
	runo delete --force "$ID"
	assert_no_leftovers "$ID"
}

@test "checkpoint --pre-dump, then --leave-running on it with --parent-path: the container runs on; restore takes the images" {
	requires_criu
	start_counter
	runo checkpoint --pre-dump --image-path "$BATS_TEST_TMPDIR/parent" "$ID"
	[ "$(status_of "$ID")" = running ]
	runo checkpoint --leave-running --parent-path ../parent --image-path "$IMG" "$ID"
	[ "$(status_of "$ID")" = running ]
	local at
	at=$(cut -d' ' -f1 "$DATA/count")
	wait_count "$at"
	# The dump refers to the pre-dump's pages.
	[ -L "$IMG/parent" ]
	local tokens
	tokens=$(cut -d' ' -f2- "$DATA/count")
	runo delete --force "$ID"
	detached restore -d --image-path "$IMG" --bundle "$BUNDLE" "$ID"
	[ "$(status_of "$ID")" = running ]
	assert_counting "$(cut -d' ' -f1 "$DATA/count")" "$tokens"
}

@test "checkpoint and restore a container with a cgroup namespace: still rooted at its own cgroup" {
	requires_criu
	update_config '.linux.namespaces |= (map(select(.type != "cgroup")) + [{type: "cgroup"}])'
	start_counter
	runo checkpoint --image-path "$IMG" "$ID"
	detached restore -d --image-path "$IMG" --bundle "$BUNDLE" "$ID"
	local pid
	pid=$(pid_of "$ID")
	[ "$(readlink "/proc/$pid/ns/cgroup")" != "$(readlink /proc/self/ns/cgroup)" ]
	run runo exec "$ID" cat /proc/self/cgroup
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(stat -fc %T /sys/fs/cgroup)" != cgroup2fs ] || [ "$output" = "0::/" ]
	grep -qx "$pid" "$(procs_dir "$ID")/cgroup.procs"
}

@test "restore in the foreground waits for the process, exits with its status and deletes the container" {
	requires_criu
	update_config --arg d "$DATA" '.mounts += [{destination: "/data", type: "bind", source: $d, options: ["rbind", "rw"]}]'
	set_args sh -c 'while [ ! -e /data/go ]; do sleep 0.1; done; exit 7'
	detached run -d --bundle "$BUNDLE" "$ID"
	runo checkpoint --image-path "$IMG" "$ID"
	detached restore --image-path "$IMG" --bundle "$BUNDLE" "$ID" &
	local rp=$!
	wait_for_status "$ID" running
	touch "$DATA/go"
	local rc=0
	wait "$rp" || rc=$?
	[ "$rc" -eq 7 ]
	assert_no_leftovers "$ID"
}

@test "restore hands the container's stdio pipes to the restored process" {
	requires_criu
	set_args sh -c 'while read -r line; do echo "got $line"; done'
	local p in_r in_w out_r out_w line
	exec {p}<> <(:)
	exec {in_r}< "/proc/self/fd/$p" {in_w}> "/proc/self/fd/$p"
	exec {p}>&-
	exec {p}<> <(:)
	exec {out_r}< "/proc/self/fd/$p" {out_w}> "/proc/self/fd/$p"
	exec {p}>&-
	runo run -d --bundle "$BUNDLE" "$ID" <&"$in_r" >&"$out_w" 2>&"$out_w"
	echo one >&"$in_w"
	read -r -t 10 line <&"$out_r"
	[ "$line" = "got one" ]
	runo checkpoint --image-path "$IMG" "$ID"
	grep -q 'pipe:' "$IMG/descriptors.json"
	runo restore -d --image-path "$IMG" --bundle "$BUNDLE" "$ID" <&"$in_r" >&"$out_w" 2>&"$out_w"
	echo two >&"$in_w"
	read -r -t 10 line <&"$out_r"
	[ "$line" = "got two" ]
}

@test "checkpoint and restore refuse bad input with the flag named, and leave the container as it was" {
	start_counter
	run runo checkpoint --manage-cgroups-mode sometimes --image-path "$IMG" "$ID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"--manage-cgroups-mode sometimes: invalid manage-cgroups-mode value"* ]]
	run runo checkpoint --pre-dump --parent-path "$BATS_TEST_TMPDIR/parent" --image-path "$IMG" "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"--parent-path $BATS_TEST_TMPDIR/parent: must be relative"* ]]
	run runo checkpoint --parent-path ../nothing --image-path "$IMG" "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"invalid --parent-path: "*"nothing: no such file or directory"* ]]
	run runo checkpoint --empty-ns pid --image-path "$IMG" "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"--empty-ns pid: namespace is not supported"* ]]
	run runo checkpoint --page-server nowhere --image-path "$IMG" "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"--page-server nowhere: use --page-server ADDRESS:PORT"* ]]
	[ "$(status_of "$ID")" = running ]
	run runo checkpoint nothing-here
	[ "$status" -ne 0 ]
	[[ "$output" == *"container does not exist"* ]]

	detached create --bundle "$BUNDLE" created-$ID
	run runo checkpoint --image-path "$IMG" created-$ID
	[ "$status" -ne 0 ]
	[[ "$output" == *"Container cannot be checkpointed in created state"* ]]

	# No images: nothing of the container is made.
	run runo restore -d --image-path "$BATS_TEST_TMPDIR/none" --bundle "$BUNDLE" restored-$ID < /dev/null
	[ "$status" -ne 0 ]
	[[ "$output" == *"--image-path: open $BATS_TEST_TMPDIR/none: no such file or directory"* ]] || [[ "$output" == *"CRIU"* ]]
	assert_no_leftovers restored-$ID
}

@test "a missing or failing CRIU gives a clear error; the container runs on and a failed restore leaves nothing" {
	start_counter
	local pid
	pid=$(pid_of "$ID")
	mkdir "$BATS_TEST_TMPDIR/bin"
	run env PATH="$BATS_TEST_TMPDIR/bin" "$RUNO_BIN" --root "$ROOT" checkpoint --image-path "$IMG" "$ID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *'checkpoint/restore needs CRIU (criu.org), and no criu is in $PATH'* ]]
	[ "$(status_of "$ID")" = running ]
	[ "$(pid_of "$ID")" = "$pid" ]

	# A real CRIU failing: on this host's kernel, or here for want of the
	# page server it is told to send the pages to.
	command -v criu > /dev/null || skip "no criu installed"
	run runo checkpoint --page-server 127.0.0.1:1 --image-path "$IMG" "$ID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"criu dump failed"*"from $IMG/dump.log:"*"Error ("* ]]
	[ "$(status_of "$ID")" = running ]
	[ "$(pid_of "$ID")" = "$pid" ]
	wait_count "$(cut -d' ' -f1 "$DATA/count")"

	# The images of a failed dump do not restore.
	run runo restore -d --image-path "$IMG" --bundle "$BUNDLE" restored-$ID < /dev/null
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"criu restore failed"*"from $IMG/restore.log:"*"Error ("* ]]
	assert_no_leftovers restored-$ID
}
