#!/bin/bash
# Inside the v2vm guest (run.sh copies it to /run/v2vm/smoke.sh):
#   tests/vm/run.sh /run/v2vm/smoke.sh
# Prints the host facts (cgroup2 controllers, systemd state), then runs the
# runtime ($RUNO, default $V2VM_REPO/runo) on a busybox bundle: a plain run,
# a run with memory and pids limits (checked from outside the container) and
# the time of N runs of /bin/true. Exit status: the number of failed checks.
set -u
RUNO=${RUNO:-${V2VM_REPO:-$PWD}/runo}
N=${N:-10}
fails=0
check() { # check NAME CMD...: runs CMD, says ok/FAIL
	if "${@:2}"; then echo "ok   $1"; else echo "FAIL $1"; fails=$((fails + 1)); fi
}

echo "## guest"
echo "kernel: $(uname -r); pid 1: $(cat /proc/1/comm); system: $(systemctl is-system-running)"
echo "mounts: $(findmnt -n -o FSTYPE,TARGET /sys/fs/cgroup | tr '\n' ' ')"
echo "cgroup.controllers: $(cat /sys/fs/cgroup/cgroup.controllers)"
echo "cgroup.subtree_control: $(cat /sys/fs/cgroup/cgroup.subtree_control)"
echo "this shell's cgroup: $(cat /proc/self/cgroup)"
echo "runtime: $RUNO ($("$RUNO" --version 2>&1 | head -1))"

b=$(mktemp -d /tmp/smoke.XXXXXX)
mkdir -p "$b/rootfs/bin" "$b/rootfs/proc" "$b/rootfs/sys" "$b/rootfs/dev" "$b/rootfs/tmp"
cp /bin/busybox "$b/rootfs/bin/busybox"
for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -s busybox "$b/rootfs/bin/$a"; done
check "runo spec" "$RUNO" spec --bundle "$b"
cfg() { jq "$1" "$b/config.json" > "$b/c.json" && mv "$b/c.json" "$b/config.json"; }
cfg '.process.terminal = false | .process.args = ["/bin/sh", "-c", "cat /proc/self/cgroup; echo ok"]'

echo "## runo run (plain)"
t0=$(date +%s%N)
out=$("$RUNO" run --bundle "$b" t1 2>&1); rc=$?
t1=$(date +%s%N)
echo "$out" | sed 's/^/  | /'
echo "  rc $rc, $(( (t1 - t0) / 1000000 )) ms"
check "plain run" [ "$rc" = 0 ]
check "plain run printed ok" grep -qx ok <<< "$out"

echo "## /sys/fs/cgroup inside the container (spec's cgroup mount)"
cfg '.process.args = ["/bin/sh", "-c", "grep -E \" /sys(/fs/cgroup)? \" /proc/self/mountinfo; ls /sys/fs/cgroup | head -5"]'
out=$("$RUNO" run --bundle "$b" tm 2>&1); rc=$?
echo "$out" | sed 's/^/  | /'
check "cgroup2 mounted read-only at /sys/fs/cgroup" grep -qE ' /sys/fs/cgroup ro,.* - cgroup2 ' <<< "$out"

echo "## runo run with memory.limit=64MiB, pids.limit=50"
cfg '.linux.resources.memory.limit = 67108864 | .linux.resources.pids.limit = 50 | .process.args = ["/bin/sh", "-c", "cat /proc/self/cgroup; echo mem $(cat /sys/fs/cgroup/memory.max) pids $(cat /sys/fs/cgroup/pids.max)"]'
out=$("$RUNO" run --bundle "$b" t2 2>&1); rc=$?
echo "$out" | sed 's/^/  | /'
check "limited run" [ "$rc" = 0 ]
check "memory.max and pids.max seen inside" grep -qx 'mem 67108864 pids 50' <<< "$out"

echo "## the same, created and inspected from the host side"
cfg '.process.args = ["sleep", "100"]'
if "$RUNO" create --bundle "$b" t3 > "$b/create.log" 2>&1; then
	pid=$("$RUNO" state t3 | jq -r .pid)
	cg=$(sed -n 's/^0:://p' "/proc/$pid/cgroup")
	echo "  init pid $pid, cgroup $cg"
	echo "  /sys/fs/cgroup$cg/memory.max: $(cat "/sys/fs/cgroup$cg/memory.max" 2>&1)"
	echo "  /sys/fs/cgroup$cg/pids.max: $(cat "/sys/fs/cgroup$cg/pids.max" 2>&1)"
	echo "  parent's subtree_control: $(cat "/sys/fs/cgroup$(dirname "$cg")/cgroup.subtree_control" 2>&1)"
	check "memory.max from host" [ "$(cat "/sys/fs/cgroup$cg/memory.max" 2>/dev/null)" = 67108864 ]
	check "pids.max from host" [ "$(cat "/sys/fs/cgroup$cg/pids.max" 2>/dev/null)" = 50 ]
	check "start" "$RUNO" start t3
	check "kill" "$RUNO" kill t3 KILL
	for _ in $(seq 50); do [ "$("$RUNO" state t3 2>/dev/null | jq -r .status)" = stopped ] && break; sleep 0.1; done
	check "delete" "$RUNO" delete t3
	check "cgroup removed" [ ! -d "/sys/fs/cgroup$cg" ]
else
	echo "FAIL create"; sed 's/^/  | /' "$b/create.log"; fails=$((fails + 1))
fi

echo "## pause, resume, exec, update, events, kill --all on cgroup2 (no resources; default path)"
cfg 'del(.linux.resources) | del(.linux.cgroupsPath) | .process.args = ["sleep", "100"]'
if "$RUNO" run -d --bundle "$b" t4 > "$b/run.log" 2>&1; then
	pid=$("$RUNO" state t4 | jq -r .pid)
	cg=/sys/fs/cgroup$(sed -n 's/^0:://p' "/proc/$pid/cgroup")
	echo "  cgroup $cg"
	check "pause" "$RUNO" pause t4
	check "state paused, cgroup.freeze 1" [ "$("$RUNO" state t4 | jq -r .status)/$(cat "$cg/cgroup.freeze")" = paused/1 ]
	check "resume" "$RUNO" resume t4
	check "exec" "$RUNO" exec t4 true
	out=$("$RUNO" update --memory 33554432 t4 2>&1); rc=$?
	[ -z "$out" ] || echo "  update: $out"
	check "update --memory" [ "$rc" = 0 ]
	out=$("$RUNO" events --stats t4 2>&1); rc=$?
	echo "  events --stats: rc $rc: $(echo "$out" | head -c 200)"
	check "events --stats" [ "$rc" = 0 ]
	check "kill --all" "$RUNO" kill --all t4 KILL
	for _ in $(seq 50); do [ "$("$RUNO" state t4 2>/dev/null | jq -r .status)" = stopped ] && break; sleep 0.1; done
	check "delete" "$RUNO" delete t4
	check "cgroup removed" [ ! -d "$cg" ]
else
	echo "FAIL run -d"; sed 's/^/  | /' "$b/run.log"; fails=$((fails + 1))
fi

echo "## each controller alone, absolute cgroupsPath /runo-smoke/<id>"
# systemd enables only some controllers (memory pids) in the root's
# cgroup.subtree_control; a runtime must enable the others down its path.
probe() { # probe ID FILE EXPECTED JQ-FILTER
	cfg "del(.linux.resources) | .linux.cgroupsPath = \"/runo-smoke/$1\" | $4 | .process.args = [\"cat\", \"/sys/fs/cgroup/$2\"]"
	out=$("$RUNO" run --bundle "$b" "$1" 2>&1); rc=$?
	echo "  $1: rc $rc: $(echo "$out" | tr '\n' ' ')"
	v=0
	[ "$rc" = 0 ] && grep -q -- "$3" <<< "$out" && v=1
	check "$1 sets $2" [ $v = 1 ]
}
probe memory memory.max 67108864 '.linux.resources.memory.limit = 67108864'
probe pids pids.max 50 '.linux.resources.pids.limit = 50'
probe cpu cpu.max '50000 100000' '.linux.resources.cpu.quota = 50000 | .linux.resources.cpu.period = 100000'
probe cpuweight cpu.weight . '.linux.resources.cpu.shares = 512'
probe cpuset cpuset.cpus.effective '^0$' '.linux.resources.cpu.cpus = "0"'
probe io io.weight 'default' '.linux.resources.blockIO.weight = 500'
probe hugetlb hugetlb.2MB.max 4194304 '.linux.resources.hugepageLimits = [{"pageSize": "2MB", "limit": 4194304}]'
probe unified memory.high 33554432 '.linux.resources.unified = {"memory.high": "33554432"}'
rmdir /sys/fs/cgroup/runo-smoke 2>/dev/null
left=$(find /sys/fs/cgroup/runo-smoke /sys/fs/cgroup/system.slice -type d -name 't[23]' -o -type d -path '*/runo-smoke' 2>/dev/null)
check "failed creates left no cgroup" [ -z "$left" ]

echo "## $N x runo run /bin/true"
cfg 'del(.linux.resources) | .process.args = ["/bin/true"]'
ms=()
for i in $(seq "$N"); do
	t0=$(date +%s%N)
	"$RUNO" run --bundle "$b" "b$i" > /dev/null 2>&1 || echo "  run $i failed"
	t1=$(date +%s%N)
	ms+=($(( (t1 - t0) / 1000000 )))
done
echo "  ms: ${ms[*]}; median $(printf '%s\n' "${ms[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')"

rm -rf "$b"
echo "## $fails failed"
exit "$fails"
