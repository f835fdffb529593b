package seccomp

import (
	"fmt"
	"sort"
	"strings"
	"unsafe"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"
)

// What `runo features` reports of seccomp.

var specArchs = []specs.Arch{
	specs.ArchX86, specs.ArchX86_64, specs.ArchX32, specs.ArchARM, specs.ArchAARCH64, specs.ArchMIPS,
	specs.ArchMIPS64, specs.ArchMIPS64N32, specs.ArchMIPSEL, specs.ArchMIPSEL64, specs.ArchMIPSEL64N32,
	specs.ArchPPC, specs.ArchPPC64, specs.ArchPPC64LE, specs.ArchS390, specs.ArchS390X, specs.ArchPARISC,
	specs.ArchPARISC64, specs.ArchRISCV64, specs.ArchLOONGARCH64, specs.ArchM68K, specs.ArchSH, specs.ArchSHEB,
}

// Archs are the architectures the linked libseccomp can filter.
func Archs() []string {
	f, err := libseccomp.NewFilter(libseccomp.ActAllow)
	if err != nil {
		return nil
	}
	defer f.Release()
	var out []string
	for _, a := range specArchs {
		arch, err := libseccomp.GetArchFromString(strings.ToLower(strings.TrimPrefix(string(a), "SCMP_ARCH_")))
		if err != nil {
			continue
		}
		if present, _ := f.IsArchPresent(arch); present || f.AddArch(arch) == nil {
			out = append(out, string(a))
		}
	}
	return out
}

// LibraryVersion is the version of the libseccomp runo is linked with.
func LibraryVersion() string {
	major, minor, micro := libseccomp.GetLibraryVersion()
	return fmt.Sprintf("%d.%d.%d", major, minor, micro)
}

// Actions, Operators and KnownFlags are the names Compile takes.
func Actions() []string   { return names(actions) }
func Operators() []string { return names(operators) }
func KnownFlags() []string {
	return names(flags)
}

// SupportedFlags are the known flags this kernel takes: seccomp(2) with
// a flag and no program fails with EFAULT when it knows the flag, EINVAL
// when not.
func SupportedFlags() []string {
	var out []string
	for _, name := range KnownFlags() {
		v := flags[specs.LinuxSeccompFlag(name)]
		if v == flagWaitKillableRecv {
			// Only valid with a listener.
			v |= unix.SECCOMP_FILTER_FLAG_NEW_LISTENER
		}
		if takesFlags(v) {
			out = append(out, name)
		}
	}
	return out
}

// takesFlags says whether seccomp(2) knows flags.
func takesFlags(v uint) bool {
	_, _, e := unix.RawSyscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, uintptr(v), uintptr(unsafe.Pointer(nil)))
	return e == unix.EFAULT
}

func names[K ~string, V any](m map[K]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, string(k))
	}
	sort.Strings(out)
	return out
}
