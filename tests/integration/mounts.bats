#!/usr/bin/env bats
# The rootfs, the config's mounts and /dev, checked from inside.

load helpers

@test "the default mounts are there with their options" {
	run_in 'cat /proc/self/mountinfo'
	[ "$status" -eq 0 ]
	echo "$output" | grep -E '^[0-9]+ [0-9]+ [0-9:]+ [^ ]+ / ro,'
	echo "$output" | grep -E ' /proc rw,.* - proc proc '
	echo "$output" | grep -E ' /dev rw,nosuid.* - tmpfs tmpfs .*mode=755'
	echo "$output" | grep -E ' /dev/pts rw,nosuid,noexec.* - devpts devpts .*gid=5,mode=620,ptmxmode=666'
	echo "$output" | grep -E ' /dev/shm rw,nosuid,nodev,noexec.* - tmpfs shm '
	echo "$output" | grep -E ' /dev/mqueue rw,nosuid,nodev,noexec.* - mqueue mqueue '
	echo "$output" | grep -E ' /sys ro,nosuid,nodev,noexec.* - sysfs sysfs '
	# v1's hierarchies under a tmpfs, or cgroup2 itself.
	echo "$output" | grep -E ' /sys/fs/cgroup ro,nosuid,nodev,noexec.* - (tmpfs|cgroup2) '
}

@test "default devices are real device nodes, with the usual links" {
	run_in 'for d in null zero full random urandom tty; do stat -c "%n %F %t:%T %a" /dev/$d; done; for l in ptmx fd stdin stdout stderr; do readlink /dev/$l; done'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "/dev/null character special file 1:3 666" ]
	[ "${lines[1]}" = "/dev/zero character special file 1:5 666" ]
	[ "${lines[2]}" = "/dev/full character special file 1:7 666" ]
	[ "${lines[3]}" = "/dev/random character special file 1:8 666" ]
	[ "${lines[4]}" = "/dev/urandom character special file 1:9 666" ]
	[ "${lines[5]}" = "/dev/tty character special file 5:0 666" ]
	[ "${lines[6]}" = "pts/ptmx" ]
	[ "${lines[7]}" = "/proc/self/fd" ]
	[ "${lines[8]}" = "/proc/self/fd/0" ]
	[ "${lines[10]}" = "/proc/self/fd/2" ]
}

@test "linux.devices are created with their type, numbers, mode and owner" {
	update_config '.linux.devices = [{"path": "/dev/mydev", "type": "c", "major": 1, "minor": 3, "fileMode": 432, "uid": 1000, "gid": 1000}, {"path": "/dev/sub/fifo", "type": "p"}]'
	# The owner writes: root without CAP_DAC_OVERRIDE could not.
	update_config '.process.user = {"uid": 1000, "gid": 1000}'
	run_in 'stat -c "%F %t:%T %a %u:%g" /dev/mydev; stat -c %F /dev/sub/fifo; echo hi > /dev/mydev && echo written'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "character special file 1:3 660 1000:1000" ]
	[ "${lines[1]}" = "fifo" ]
	[ "${lines[2]}" = "written" ]
}

@test "root.readonly makes / read-only, and false leaves it writable" {
	run_in 'touch /x'
	[ "$status" -ne 0 ]
	[[ "$output" == *"Read-only file system"* ]]
	update_config '.root.readonly = false'
	run_in 'touch /x && echo ok'
	[ "$output" = ok ]
	[ -f "$BUNDLE/rootfs/x" ]
}

@test "bind mounts of directories and files, read-only when asked" {
	mkdir -p "$BATS_TEST_TMPDIR/src"
	echo data > "$BATS_TEST_TMPDIR/src/file"
	echo single > "$BATS_TEST_TMPDIR/one"
	update_config --arg d "$BATS_TEST_TMPDIR/src" --arg f "$BATS_TEST_TMPDIR/one" \
		'.mounts += [{"destination": "/data", "type": "bind", "source": $d, "options": ["rbind", "ro"]},
		             {"destination": "/new/dir/one", "type": "bind", "source": $f, "options": ["bind"]},
		             {"destination": "/rw", "source": $d, "options": ["bind", "nosuid"]}]'
	run_in 'cat /data/file /new/dir/one; touch /data/x 2>&1; touch /rw/y && echo rw-ok; grep -E " /(data|rw) " /proc/self/mountinfo'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = data ]
	[ "${lines[1]}" = single ]
	[[ "${lines[2]}" == *"Read-only file system"* ]]
	[ "${lines[3]}" = rw-ok ]
	[[ "${lines[4]}" == *" /data ro,"* ]]
	[[ "${lines[5]}" == *" /rw rw,nosuid"* ]]
	[ -f "$BATS_TEST_TMPDIR/src/y" ]
}

@test "a relative bind source is taken from the bundle" {
	mkdir -p "$BUNDLE/shared"
	echo from-bundle > "$BUNDLE/shared/f"
	update_config '.mounts += [{"destination": "/shared", "type": "bind", "source": "shared", "options": ["bind"]}]'
	run_in 'cat /shared/f'
	[ "$output" = from-bundle ]
}

@test "tmpfs mounts take flags and data options" {
	update_config '.mounts += [{"destination": "/scratch", "type": "tmpfs", "source": "tmpfs", "options": ["noexec", "nodev", "size=1m", "mode=1700"]}]'
	run_in 'grep " /scratch " /proc/self/mountinfo; stat -c %a /scratch'
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *" /scratch rw,nodev,noexec"*"size=1024k,mode=1700"* ]]
	[ "${lines[1]}" = 1700 ]
}

@test "nosymfollow and symfollow: the last one given wins, on a tmpfs and on a bind mount" {
	mkdir "$BATS_TEST_TMPDIR/src"
	update_config --arg s "$BATS_TEST_TMPDIR/src" '.mounts += [
		{"destination": "/t1", "type": "tmpfs", "source": "tmpfs", "options": ["nosymfollow"]},
		{"destination": "/t2", "type": "tmpfs", "source": "tmpfs", "options": ["nosymfollow", "symfollow"]},
		{"destination": "/b1", "source": $s, "options": ["bind", "symfollow", "nosymfollow"]},
		{"destination": "/b2", "source": $s, "options": ["bind", "nosymfollow", "symfollow"]}]'
	run_in 'for m in t1 t2 b1 b2; do grep -c " /$m [^ ]*nosymfollow" /proc/self/mountinfo; done'
	[ "$(echo $output)" = "1 0 1 0" ]
}

@test "a symlink in the image cannot redirect a mount to the host: a dangling one is followed inside the rootfs, as runc does" {
	host=$BATS_TEST_TMPDIR/host-target
	mkdir -p "$host"
	ln -s "$host" "$BUNDLE/rootfs/escape"
	update_config '.mounts += [{"destination": "/escape/inside", "type": "tmpfs", "source": "tmpfs"}]'
	# The link dangles inside the rootfs: what it names is made there.
	run_in "grep -c ' $host/inside ' /proc/self/mountinfo"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1 ]
	[ -d "$BUNDLE/rootfs$host/inside" ]
	[ ! -e "$host/inside" ]
	# A bind mount onto a dangling link to a file: the file is made inside.
	rm -rf "$BUNDLE/rootfs/etc/hosts" "$BUNDLE/rootfs/tmp/h"
	ln -s /tmp/h/x "$BUNDLE/rootfs/etc/hosts"
	echo bound > "$BATS_TEST_TMPDIR/src"
	update_config --arg s "$BATS_TEST_TMPDIR/src" '.mounts += [{"destination": "/etc/hosts", "source": $s, "options": ["bind"]}]'
	run_in "cat /tmp/h/x"
	[ "$output" = bound ]
	[ -f "$BUNDLE/rootfs/tmp/h/x" ]
}

@test "CVE-2021-30465: a directory swapped for a symlink while runo mounts cannot redirect the mount" {
	local host=$BATS_TEST_TMPDIR/victim i
	mkdir -p "$host" "$BUNDLE/rootfs/race/dir"
	touch "$host/marker"
	ln -s "$host" "$BUNDLE/rootfs/race/link"
	update_config '.mounts += [{"destination": "/race/mnt/inside", "type": "tmpfs", "source": "tmpfs"}]'
	set_args true
	# /race/mnt is the directory, then the link to the host, and so on.
	(
		set +e
		cd "$BUNDLE/rootfs/race"
		while :; do
			mv -T dir mnt 2>/dev/null; mv -T mnt dir 2>/dev/null
			mv -T link mnt 2>/dev/null; mv -T mnt link 2>/dev/null
		done
	) &
	HOLDER_PID=$!
	local ok=0 runs=${RACE_RUNS:-40}
	for i in $(seq "$runs"); do
		if runo run --bundle "$BUNDLE" "$ID" > /dev/null 2>&1; then
			ok=$((ok + 1))
		fi
		runo delete --force "$ID" 2>/dev/null || true
		! grep -q "$host" /proc/self/mountinfo
		[ -e "$host/marker" ]
		[ ! -e "$host/inside" ]
	done
	kill "$HOLDER_PID"
	wait "$HOLDER_PID" 2>/dev/null || true
	HOLDER_PID=
	echo "$ok of $runs runs mounted"
	[ ! -e "$host/inside" ]
	assert_no_leftovers "$ID"
}

@test "maskedPaths hide files and directories, readonlyPaths are read-only" {
	run_in 'cat /proc/keys | wc -c; ls /sys/firmware | wc -l; echo x > /proc/sys/kernel/domainname 2>&1; grep -c " /proc/sys ro," /proc/self/mountinfo'
	[ "${lines[0]}" = 0 ]
	[ "${lines[1]}" = 0 ]
	[[ "${lines[2]}" == *"Read-only file system"* ]]
	[ "${lines[3]}" = 1 ]
}

@test "the container cannot see or reach the host's root" {
	run_in 'ls /; cat /proc/self/mountinfo | wc -l'
	[ "$status" -eq 0 ]
	[[ "$output" != *"work"* ]]
	! grep -q "$BUNDLE" <<< "$(runo run --bundle "$BUNDLE" "$ID-2" 2>&1)"
}

@test "--no-pivot uses MS_MOVE and chroot, and leaves no full procfs a fresh one could be mounted beside" {
	run_in 'ls /bin/busybox && grep -c " / " /proc/self/mountinfo'
	[ "$status" -eq 0 ]
	set_args sh -c 'ls /bin/busybox && cat /proc/self/mountinfo'
	run runo run --no-pivot --bundle "$BUNDLE" "$ID-np"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = /bin/busybox ]
	# A new user and pid namespace may mount procfs only where a full one
	# is visible already: the host's, below the chroot, would be one.
	update_config '.process.capabilities.bounding += ["CAP_SETFCAP"] | .process.capabilities.permitted += ["CAP_SETFCAP"]'
	set_args unshare -mrpf sh -c 'mount -t proc none /proc && echo mounted'
	run runo run --no-pivot --bundle "$BUNDLE" "$ID-np"
	[ "$status" -ne 0 ]
	[[ "$output" == *"mount: permission denied"* ]]
	[[ "$output" != *mounted* ]]
}

@test "without a mount namespace the container is set up in the host's and chrooted, as runc does; the host's propagation is kept" {
	local before
	before=$(awk '$5 == "/" {print $7}' /proc/self/mountinfo)
	update_config --arg f "$BATS_TEST_TMPDIR/hook" '.linux.namespaces -= [{"type": "mount"}]
		| .linux.maskedPaths = [] | .linux.readonlyPaths = []
		| .hooks = {"createRuntime": [{"path": "/bin/sh", "args": ["sh", "-c", "touch \"$0\"", $f]}]}'
	set_args sh -c 'ls /bin/busybox; readlink /proc/self/ns/mnt'
	run runo run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = /bin/busybox ]
	[ "${lines[1]}" = "$(readlink /proc/self/ns/mnt)" ]
	[ -e "$BATS_TEST_TMPDIR/hook" ]
	# Its mounts are the host's, as with runc, until unmounted.
	grep -q " $BUNDLE/rootfs/proc " /proc/self/mountinfo
	umount -R --lazy "$BUNDLE/rootfs"
	[ "$(awk '$5 == "/" {print $7}' /proc/self/mountinfo)" = "$before" ]
	# Masking needs a mount namespace.
	update_config '.linux.maskedPaths = ["/proc/kcore"]'
	create_fails
	[[ "$output" == *"unable to restrict sys entries without a private MNT namespace"* ]]
	assert_no_leftovers "$ID"
}

@test "rootfsPropagation shared makes / a shared mount" {
	update_config '.linux.rootfsPropagation = "shared"'
	run_in 'grep -E "^[0-9]+ [0-9]+ [0-9:]+ [^ ]+ / " /proc/self/mountinfo'
	[ "$status" -eq 0 ]
	[[ "$output" == *"shared:"* ]]
	update_config '.linux.rootfsPropagation = "private"'
	run_in 'grep -E "^[0-9]+ [0-9]+ [0-9:]+ [^ ]+ / " /proc/self/mountinfo'
	[[ "$output" != *"shared:"* ]]
	[[ "$output" != *"master:"* ]]
}

@test "no mount of the container shows up on the host" {
	runo run -d --bundle "$BUNDLE" "$ID"
	! grep -q "$BUNDLE/rootfs" /proc/self/mountinfo
}

@test "tmpcopyup fills a tmpfs with what the directory under it held" {
	mkdir -p "$BUNDLE/rootfs/data/sub"
	echo kept > "$BUNDLE/rootfs/data/sub/f"
	ln -s sub/f "$BUNDLE/rootfs/data/link"
	chmod 0750 "$BUNDLE/rootfs/data/sub"
	chown 1000:1000 "$BUNDLE/rootfs/data/sub/f"
	update_config '.mounts += [{"destination": "/data", "type": "tmpfs", "source": "tmpfs", "options": ["rw", "nosuid", "tmpcopyup"]}]'
	run_in 'cat /data/link; stat -c "%a %u" /data/sub /data/sub/f; echo new > /data/new; grep -c " /data .* - tmpfs " /proc/self/mountinfo'
	[ "$status" -eq 0 ]
	[ "$(echo $output)" = "kept 750 0 644 1000 1" ]
	[ ! -e "$BUNDLE/rootfs/data/new" ]
}

@test "a tmpfs without mode= takes the mode of the directory it covers; mode= wins; a new one is 1777" {
	update_config '.root.readonly = false'
	mkdir "$BUNDLE/rootfs/covered"
	chmod 6710 "$BUNDLE/rootfs/covered"
	update_config '.mounts += [{"destination": "/covered", "type": "tmpfs", "source": "tmpfs", "options": ["nodev"]},
		{"destination": "/made/here", "type": "tmpfs", "source": "tmpfs"}]'
	run_in 'stat -c %a /covered /made/here; grep " /covered " /proc/self/mounts'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 6710 ]
	[ "${lines[1]}" = 1777 ]
	[[ "${lines[2]}" == *"mode=6710"* ]]
	update_config '.mounts[-2].options = ["mode=0410"]'
	run_in 'stat -c %a /covered'
	[ "$output" = 410 ]
}

@test "a read-only /dev still gets its devices, links and sub-mounts" {
	update_config '.mounts |= map(if .destination == "/dev" then .options += ["ro"] else . end)'
	run_in 'grep " /dev " /proc/self/mountinfo; ls /dev/null /dev/ptmx /dev/pts/ptmx /dev/shm >/dev/null && echo devices-ok; touch /dev/x || echo ro-ok'
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *" /dev ro,"* ]]
	[ "${lines[1]}" = devices-ok ]
	[[ "$output" == *ro-ok ]]
}

@test "a bind source inside the rootfs sees the mounts made before it, with and without a user namespace" {
	local src=$BATS_TEST_TMPDIR/src rootfs=$BUNDLE/rootfs
	mkdir -p "$src/a/x" "$rootfs/mnt" "$rootfs/final"
	echo from-a > "$src/a/x/file"
	# The second source is a host path inside the rootfs, covered by the
	# first mount in the container's mount namespace only; the last
	# destination is written as a host path inside the rootfs.
	update_config --arg a "$src/a" --arg r "$rootfs" '.mounts += [
		{destination: "/mnt", source: $a, options: ["rbind"]},
		{destination: ($r + "/final"), source: ($r + "/mnt"), options: ["rbind"]}]'
	run_in 'cat /final/x/file'
	[ "$status" -eq 0 ]
	[ "$output" = from-a ]
	[ ! -e "$rootfs/final/x" ]
	# In a user namespace, with a source its root may not even search.
	chown -R 100000:100000 "$rootfs"
	searchable_by_all "$BUNDLE"
	chmod 700 "$src"
	update_config '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
	set_args sh -c 'cat /final/x/file; sleep 1000'
	runo run -d --bundle "$BUNDLE" "$ID" > "$BATS_TEST_TMPDIR/out"
	sleep 0.3
	[ "$(cat "$BATS_TEST_TMPDIR/out")" = from-a ]
	run runo exec "$ID" cat /mnt/x/file
	[ "$output" = from-a ]
	# Idmapped, the source's files are the container's root's.
	runo delete -f "$ID"
	update_config '.mounts[-2].options += ["idmap"]'
	set_args sh -c 'stat -c %u /final/x/file'
	run runo run --bundle "$BUNDLE" "$ID"
	[ "$output" = 0 ]
}

@test "rro makes a bind mount read-only all the way down; r*atime options recurse too" {
	local vol=$BATS_TEST_TMPDIR/vol
	mkdir -p "$vol"
	mount -t tmpfs none "$vol"
	mkdir "$vol/sub"
	mount -t tmpfs none "$vol/sub"
	update_config --arg v "$vol" '.mounts += [
		{destination: "/ro", source: $v, options: ["rbind", "ro"]},
		{destination: "/rro", source: $v, options: ["rbind", "ro", "rro"]},
		{destination: "/noatime", source: $v, options: ["rbind", "rnoatime"]}]'
	run_in 'touch /ro/sub/f && echo ro-sub-writable; touch /rro/sub/f || echo rro-sub-readonly; grep -E " /(noatime|noatime/sub) " /proc/self/mountinfo'
	umount -R "$vol"
	[ "${lines[0]}" = ro-sub-writable ]
	[[ "${lines[1]}" == *"Read-only file system" ]]
	[ "${lines[2]}" = rro-sub-readonly ]
	[[ "${lines[3]}" == *" /noatime rw,noatime "* ]]
	[[ "${lines[4]}" == *" /noatime/sub rw,noatime "* ]]
}

@test "masked paths: one given twice is masked once, directories share one read-only tmpfs" {
	mkdir -p "$BUNDLE/rootfs/m1" "$BUNDLE/rootfs/m2"
	update_config '.linux.maskedPaths += ["/m1", "/m2", "/m1/", "/proc/keys"]'
	run_in 'grep -c " /m1 " /proc/self/mountinfo; grep -c " /proc/keys " /proc/self/mountinfo; set -- $(stat -c %d /m1 /m2); [ "$1" = "$2" ] && echo same-fs; touch /m2/x || echo ro'
	[ "${lines[0]}" = 1 ]
	[ "${lines[1]}" = 1 ]
	[ "${lines[2]}" = same-fs ]
	[ "${lines[4]}" = ro ]
}

@test "/proc or /sys as a symlink in the image is refused with runc's words" {
	local d
	for d in proc sys; do
		rm -rf "$BUNDLE/rootfs/$d"
		mkdir -p "$BUNDLE/rootfs/bad-$d"
		ln -s "/bad-$d" "$BUNDLE/rootfs/$d"
		create_fails
		[[ "$output" == *"must be mounted on ordinary directory"* ]]
		assert_no_leftovers "$ID"
		rm "$BUNDLE/rootfs/$d"
		mkdir "$BUNDLE/rootfs/$d"
	done
}

@test "a relative mount destination is taken from the rootfs, with a warning" {
	update_config '.mounts += [{destination: "rel/dir", type: "tmpfs", source: "tmpfs"}]'
	set_args sh -c 'grep -c " /rel/dir " /proc/self/mountinfo'
	run runo run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[[ "$output" == *'mounts[7].destination: \"rel/dir\" is not an absolute path; taken from the rootfs'* ]]
	[ "${lines[-1]}" = 1 ]
}

@test "bind mount options as runc takes them, not mount(8): none keeps the source's flags, any names them all; a user namespace keeps what is locked" {
	local vol=$BATS_TEST_TMPDIR/vol
	mkdir -p "$vol"
	# Read-only as a mount, not as a file system: a bind can be writable.
	mount -t tmpfs tmpfs "$vol"
	mount -o remount,bind,ro,nodev,nosuid,noexec,nodiratime "$vol"
	flags_of() { # the options of /mnt in the container, with bind options $1
		update_config --arg v "$vol" --arg o "$1" '.mounts = [.mounts[] | select(.destination != "/mnt")] + [{destination: "/mnt", source: $v, type: "bind", options: ($o | split(","))}]'
		set_args awk '$2 == "/mnt" { print $4 }' /proc/self/mounts
		run runo run --bundle "$BUNDLE" "$ID"
	}
	has() { [[ ",$output," == *",$1,"* ]]; }
	hasnt() { [[ ",$output," != *",$1,"* ]]; }
	flags_of bind
	has ro
	has nosuid
	has nodev
	has noexec
	flags_of bind,ro
	has ro
	hasnt nodev
	hasnt nosuid
	hasnt noexec
	flags_of bind,dev
	has rw
	hasnt noexec
	has nodiratime
	# In a user namespace the source's flags are locked: kept, unless an
	# option clears one.
	chown -R 100000:100000 "$BUNDLE/rootfs"
	searchable_by_all "$BUNDLE"
	update_config '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
	flags_of bind,nosuid
	has ro
	has nosuid
	has nodev
	has noexec
	flags_of bind,rw
	umount "$vol"
	[ "$status" -ne 0 ]
	[[ "$output" == *"remounting with options: operation not permitted"* ]]
}
