#!/bin/sh
# Installs what runo's build, tests, demo and benchmark need on Debian 12, skipping
# the package manager when everything is already there.
set -eu
need=""
have() { command -v "$1" >/dev/null 2>&1; }
have busybox || [ -x /bin/busybox ] || need="$need busybox-static"
have bats || need="$need bats"
have jq || need="$need jq"
have runc || need="$need runc"
have crun || need="$need crun"
[ -x /usr/bin/time ] || need="$need time"
have ip || need="$need iproute2"
have gcc || need="$need gcc"
# runo links libseccomp statically (libseccomp-golang finds it with pkg-config).
[ -e /usr/include/seccomp.h ] || need="$need libseccomp-dev"
have pkg-config || need="$need pkg-config"
have newuidmap || need="$need uidmap"
have pgrep || need="$need procps"
have mountpoint || need="$need util-linux"
# The man page and completion tests.
have man || need="$need man-db"
[ -e /usr/share/bash-completion/bash_completion ] || need="$need bash-completion"
# The end-to-end tests' engines.
if [ "${E2E:-}" = 1 ]; then
	have containerd || need="$need containerd"
	have podman || need="$need podman"
	[ -x /usr/bin/docker ] && have dockerd || need="$need docker.io"
fi
[ -n "$need" ] || exit 0
echo "installing:$need"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq $need >/dev/null
