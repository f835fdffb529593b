package libcontainer

import (
	"strings"

	"golang.org/x/sys/unix"
)

// mountOpt is what one option of mount(8) does to the flags.
type mountOpt struct {
	clear bool
	flag  uintptr
}

var mountOpts = map[string]mountOpt{
	"async":         {true, unix.MS_SYNCHRONOUS},
	"atime":         {true, unix.MS_NOATIME},
	"bind":          {false, unix.MS_BIND},
	"defaults":      {false, 0},
	"dev":           {true, unix.MS_NODEV},
	"diratime":      {true, unix.MS_NODIRATIME},
	"dirsync":       {false, unix.MS_DIRSYNC},
	"exec":          {true, unix.MS_NOEXEC},
	"iversion":      {false, unix.MS_I_VERSION},
	"lazytime":      {false, unix.MS_LAZYTIME},
	"loud":          {true, unix.MS_SILENT},
	"mand":          {false, unix.MS_MANDLOCK},
	"noatime":       {false, unix.MS_NOATIME},
	"nodev":         {false, unix.MS_NODEV},
	"nodiratime":    {false, unix.MS_NODIRATIME},
	"noexec":        {false, unix.MS_NOEXEC},
	"noiversion":    {true, unix.MS_I_VERSION},
	"nolazytime":    {true, unix.MS_LAZYTIME},
	"nomand":        {true, unix.MS_MANDLOCK},
	"norelatime":    {true, unix.MS_RELATIME},
	"nostrictatime": {true, unix.MS_STRICTATIME},
	"nosuid":        {false, unix.MS_NOSUID},
	"nosymfollow":   {false, unix.MS_NOSYMFOLLOW},
	"rbind":         {false, unix.MS_BIND | unix.MS_REC},
	"relatime":      {false, unix.MS_RELATIME},
	"remount":       {false, unix.MS_REMOUNT},
	"ro":            {false, unix.MS_RDONLY},
	"rw":            {true, unix.MS_RDONLY},
	"silent":        {false, unix.MS_SILENT},
	"strictatime":   {false, unix.MS_STRICTATIME},
	"suid":          {true, unix.MS_NOSUID},
	"symfollow":     {true, unix.MS_NOSYMFOLLOW},
	"sync":          {false, unix.MS_SYNCHRONOUS},
}

// recursiveOpts are runc's "r" options: a MOUNT_ATTR_* set (or cleared)
// with mount_setattr(2) on the mount and every mount below it.
var recursiveOpts = map[string]mountOpt{
	"rro": {false, unix.MOUNT_ATTR_RDONLY}, "rrw": {true, unix.MOUNT_ATTR_RDONLY},
	"rnosuid": {false, unix.MOUNT_ATTR_NOSUID}, "rsuid": {true, unix.MOUNT_ATTR_NOSUID},
	"rnodev": {false, unix.MOUNT_ATTR_NODEV}, "rdev": {true, unix.MOUNT_ATTR_NODEV},
	"rnoexec": {false, unix.MOUNT_ATTR_NOEXEC}, "rexec": {true, unix.MOUNT_ATTR_NOEXEC},
	"rnodiratime": {false, unix.MOUNT_ATTR_NODIRATIME}, "rdiratime": {true, unix.MOUNT_ATTR_NODIRATIME},
	"rnosymfollow": {false, unix.MOUNT_ATTR_NOSYMFOLLOW}, "rsymfollow": {true, unix.MOUNT_ATTR_NOSYMFOLLOW},
	// The atime modes are one field: setting one replaces the others,
	// clearing one leaves the default, relatime.
	"rrelatime": {false, unix.MOUNT_ATTR_RELATIME}, "rnorelatime": {true, unix.MOUNT_ATTR_RELATIME},
	"rnoatime": {false, unix.MOUNT_ATTR_NOATIME}, "ratime": {true, unix.MOUNT_ATTR_NOATIME},
	"rstrictatime": {false, unix.MOUNT_ATTR_STRICTATIME}, "rnostrictatime": {true, unix.MOUNT_ATTR_STRICTATIME},
}

var propagationFlags = map[string]uintptr{
	"private":     unix.MS_PRIVATE,
	"rprivate":    unix.MS_PRIVATE | unix.MS_REC,
	"shared":      unix.MS_SHARED,
	"rshared":     unix.MS_SHARED | unix.MS_REC,
	"slave":       unix.MS_SLAVE,
	"rslave":      unix.MS_SLAVE | unix.MS_REC,
	"unbindable":  unix.MS_UNBINDABLE,
	"runbindable": unix.MS_UNBINDABLE | unix.MS_REC,
}

// parsedMount is a mount's options split into what mount(2) takes.
type parsedMount struct {
	flags       uintptr   // MS_* flags, without propagation
	cleared     uintptr   // MS_* flags an option cleared ("rw", "dev"...)
	propagation []uintptr // applied one by one after the mount
	data        string    // options the filesystem interprets
	// idmap is set by "idmap" or "ridmap" (recursive): the bind mount
	// maps ids through a user namespace of its own.
	idmap, idmapRec bool
	// tmpcopyup (runc's extension, which podman uses) fills a new tmpfs
	// with what the directory under it held.
	tmpcopyup bool
	// rec holds the recursive options, when there are any.
	rec *unix.MountAttr
}

// parseMountOptions splits options as mount(8) does: known flags set or
// clear bits, propagation types are applied after mounting, and everything
// else is passed to the filesystem as data.
func parseMountOptions(options []string) parsedMount {
	var p parsedMount
	var data []string
	for _, o := range options {
		if o == "" {
			continue
		}
		if opt, ok := mountOpts[o]; ok {
			if opt.clear {
				p.flags &^= opt.flag
				p.cleared |= opt.flag
			} else {
				p.flags |= opt.flag
				p.cleared &^= opt.flag
			}
			continue
		}
		if opt, ok := recursiveOpts[o]; ok {
			p.addRecursive(o, opt)
			continue
		}
		if o == "tmpcopyup" {
			p.tmpcopyup = true
			continue
		}
		if o == "idmap" || o == "ridmap" {
			p.idmap, p.idmapRec = true, o == "ridmap"
			continue
		}
		if f, ok := propagationFlags[o]; ok {
			p.propagation = append(p.propagation, f)
			continue
		}
		data = append(data, o)
	}
	p.data = strings.Join(data, ",")
	return p
}

func (p parsedMount) isBind() bool { return p.flags&unix.MS_BIND != 0 }

func (p *parsedMount) addRecursive(name string, opt mountOpt) {
	if p.rec == nil {
		p.rec = &unix.MountAttr{}
	}
	f := uint64(opt.flag)
	if strings.HasSuffix(name, "atime") && name != "rnodiratime" && name != "rdiratime" {
		p.rec.Attr_clr |= unix.MOUNT_ATTR__ATIME
		p.rec.Attr_set &^= unix.MOUNT_ATTR__ATIME
		if !opt.clear {
			p.rec.Attr_set |= f
		}
		return
	}
	if opt.clear {
		p.rec.Attr_clr |= f
		p.rec.Attr_set &^= f
	} else {
		p.rec.Attr_set |= f
		p.rec.Attr_clr &^= f
	}
}
