#!/bin/sh
# Builds a busybox rootfs at $1 from Debian's busybox-static: the binary,
# a link for each applet, and the files a small Linux system expects.
set -eu
dest=$1
busybox=/bin/busybox
rm -rf "$dest.tmp"
mkdir -p "$dest.tmp/bin" "$dest.tmp/etc" "$dest.tmp/tmp" "$dest.tmp/root" "$dest.tmp/home/user" \
	"$dest.tmp/proc" "$dest.tmp/sys" "$dest.tmp/dev"
cp "$busybox" "$dest.tmp/bin/busybox"
for applet in $("$busybox" --list); do
	[ "$applet" = busybox ] || ln -s busybox "$dest.tmp/bin/$applet"
done
cat > "$dest.tmp/etc/passwd" <<PASSWD
root:x:0:0:root:/root:/bin/sh
user:x:1000:1000:user:/home/user:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PASSWD
cat > "$dest.tmp/etc/group" <<GROUP
root:x:0:
tty:x:5:
user:x:1000:
nogroup:x:65534:
GROUP
chmod 1777 "$dest.tmp/tmp"
chown 1000:1000 "$dest.tmp/home/user"
rm -rf "$dest"
mv "$dest.tmp" "$dest"
