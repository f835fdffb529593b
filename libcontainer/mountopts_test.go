package libcontainer

import (
	"reflect"
	"testing"

	"golang.org/x/sys/unix"
)

func TestParseMountOptions(t *testing.T) {
	cases := []struct {
		opts []string
		want parsedMount
	}{
		{nil, parsedMount{}},
		{[]string{"nosuid", "noexec", "nodev", "ro"}, parsedMount{flags: unix.MS_NOSUID | unix.MS_NOEXEC | unix.MS_NODEV | unix.MS_RDONLY}},
		{[]string{"ro", "rw"}, parsedMount{cleared: unix.MS_RDONLY}},
		{[]string{"rw", "ro"}, parsedMount{flags: unix.MS_RDONLY}},
		{[]string{"rbind", "rprivate"}, parsedMount{flags: unix.MS_BIND | unix.MS_REC, propagation: []uintptr{unix.MS_PRIVATE | unix.MS_REC}}},
		{[]string{"bind", "shared", "slave"}, parsedMount{flags: unix.MS_BIND, propagation: []uintptr{unix.MS_SHARED, unix.MS_SLAVE}}},
		{[]string{"nosuid", "mode=755", "size=65536k"}, parsedMount{flags: unix.MS_NOSUID, data: "mode=755,size=65536k"}},
		{[]string{"noatime", "atime", "strictatime"}, parsedMount{flags: unix.MS_STRICTATIME, cleared: unix.MS_NOATIME}},
		{[]string{"newinstance", "ptmxmode=0666", "defaults"}, parsedMount{data: "newinstance,ptmxmode=0666"}},
		{[]string{"rbind", "ro", "rro", "rnosuid", "rsuid", "rnodev"}, parsedMount{flags: unix.MS_BIND | unix.MS_REC | unix.MS_RDONLY,
			rec: &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY | unix.MOUNT_ATTR_NODEV, Attr_clr: unix.MOUNT_ATTR_NOSUID}}},
		{[]string{"rnoatime"}, parsedMount{rec: &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_NOATIME, Attr_clr: unix.MOUNT_ATTR__ATIME}}},
		{[]string{"rstrictatime", "rnostrictatime"}, parsedMount{rec: &unix.MountAttr{Attr_clr: unix.MOUNT_ATTR__ATIME}}},
		{[]string{"rnodiratime"}, parsedMount{rec: &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_NODIRATIME}}},
	}
	for _, tc := range cases {
		got := parseMountOptions(tc.opts)
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("parseMountOptions(%q) = %+v, want %+v", tc.opts, got, tc.want)
		}
	}
	if !parseMountOptions([]string{"rbind"}).isBind() || parseMountOptions([]string{"ro"}).isBind() {
		t.Error("isBind is wrong")
	}
}
