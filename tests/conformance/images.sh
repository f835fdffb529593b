#!/bin/sh
# Builds the two images runc's integration suite extracts, where its
# get-images.sh looks for them ($1: that testdata directory), since they
# cannot be downloaded here: busybox from Debian's busybox-static (applet
# links, the users of docker's busybox image), and Debian 12 from Debian's
# packages with mmdebstrap. Each is built once and kept.
set -eu
testdata=$1
repo=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# An image older than this script is built again.
if [ ! -e "$testdata/busybox-amd64.tar.xz" ] || [ "$testdata/busybox-amd64.tar.xz" -ot "$0" ]; then
	"$repo/tests/mkrootfs.sh" "$tmp/busybox"
	# Nor has it /proc or /sys: the suite makes them symlinks.
	rmdir "$tmp/busybox/proc" "$tmp/busybox/sys"
	mkdir -p "$tmp/busybox/usr/bin" "$tmp/busybox/usr/sbin" "$tmp/busybox/var/spool/mail" "$tmp/busybox/var/www"
	# docker's busybox image has no user 1000, which the tests rely on.
	rm -rf "$tmp/busybox/home/user"
	cat > "$tmp/busybox/etc/passwd" <<PASSWD
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
bin:x:2:2:bin:/bin:/bin/false
sys:x:3:3:sys:/dev:/bin/false
sync:x:4:100:sync:/bin:/bin/sync
mail:x:8:8:mail:/var/spool/mail:/bin/false
www-data:x:33:33:www-data:/var/www:/bin/false
operator:x:37:37:Operator:/var:/bin/false
nobody:x:65534:65534:nobody:/home:/bin/false
PASSWD
	cat > "$tmp/busybox/etc/group" <<GROUP
root:x:0:
daemon:x:1:
bin:x:2:
sys:x:3:
adm:x:4:
mail:x:8:
www-data:x:33:
operator:x:37:
tty:x:5:
users:x:100:
nogroup:x:65534:
GROUP
	tar -C "$tmp/busybox" -cJf "$tmp/busybox.tar.xz" .
	mv "$tmp/busybox.tar.xz" "$testdata/busybox-amd64.tar.xz"
fi
if [ ! -e "$testdata/debian-amd64.tar.xz" ]; then
	command -v mmdebstrap > /dev/null || {
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq && apt-get install -y -qq mmdebstrap > /dev/null
	}
	mmdebstrap --quiet --variant=minbase bookworm "$tmp/debian.tar"
	xz -T0 -1 "$tmp/debian.tar"
	mv "$tmp/debian.tar.xz" "$testdata/debian-amd64.tar.xz"
fi
