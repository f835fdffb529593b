package libcontainer

import (
	"errors"
	"fmt"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// linux.netDevices: the runtime moves each named host interface into the
// container's network namespace (new or joined) while init waits for its
// bootstrap, renames it, gives it back its permanent global addresses (a
// move drops them) and sets it up, as runtime-spec 1.3 asks. It is never
// moved back: the namespace's owner decides its fate (runtime-spec).

// validateNetDevices checks the interface names; moving needs a network
// namespace of the container's.
func validateNetDevices(l *specs.Linux, netns bool) error {
	if len(l.NetDevices) == 0 {
		return nil
	}
	if !netns {
		return errors.New("linux.netDevices: moving devices needs a network namespace of the container's")
	}
	names := map[string]string{}
	for host, d := range l.NetDevices {
		if err := checkIfName(host); err != nil {
			return fmt.Errorf("linux.netDevices[%q]: %w", host, err)
		}
		name := d.Name
		if name == "" {
			name = host
		}
		if err := checkIfName(name); err != nil {
			return fmt.Errorf("linux.netDevices[%q].name: %w", host, err)
		}
		if other, ok := names[name]; ok && !strings.Contains(name, "%d") {
			return fmt.Errorf("linux.netDevices[%q].name: %q is also the name of %q", host, name, other)
		}
		names[name] = host
	}
	return nil
}

// checkIfName refuses what the kernel would: interface names are 1 to 15
// bytes, without "/", ":" or white space, and not "." or "..".
func checkIfName(name string) error {
	if name == "" || len(name) >= unix.IFNAMSIZ || name == "." || name == ".." || strings.ContainsAny(name, "/: \t\n") {
		return fmt.Errorf("%q is not a valid interface name", name)
	}
	return nil
}

// moveNetDevices moves the devices into the network namespace of pid.
func moveNetDevices(pid int, devices map[string]specs.LinuxNetDevice) error {
	if len(devices) == 0 {
		return nil
	}
	ns, err := netns.GetFromPid(pid)
	if err != nil {
		return fmt.Errorf("linux.netDevices: opening the container's network namespace: %w", err)
	}
	defer ns.Close()
	inside, err := netlink.NewHandleAt(ns)
	if err != nil {
		return fmt.Errorf("linux.netDevices: %w", err)
	}
	defer inside.Close()
	for host, d := range devices {
		if err := moveNetDevice(inside, ns, host, d.Name); err != nil {
			return fmt.Errorf("linux.netDevices[%q]: %w", host, err)
		}
	}
	return nil
}

func moveNetDevice(inside *netlink.Handle, ns netns.NsHandle, host, name string) error {
	link, err := netlink.LinkByName(host)
	if err != nil {
		return fmt.Errorf("no such device on the host: %w", err)
	}
	if name == "" {
		name = host
	}
	if !strings.Contains(name, "%d") {
		if _, err := inside.LinkByName(name); err == nil {
			return fmt.Errorf("the container has a device named %q already", name)
		}
	}
	addrs, err := netlink.AddrList(link, netlink.FAMILY_ALL)
	if err != nil {
		return fmt.Errorf("reading its addresses: %w", err)
	}
	if err := netlink.LinkSetNsFd(link, int(ns)); err != nil {
		return fmt.Errorf("moving it: %w", err)
	}
	// Its index stays; its name may be taken inside, where it is renamed.
	moved, err := inside.LinkByIndex(link.Attrs().Index)
	if err != nil {
		return fmt.Errorf("finding it in the container: %w", err)
	}
	if name != host {
		if err := inside.LinkSetName(moved, name); err != nil {
			return fmt.Errorf("renaming it %q: %w", name, err)
		}
	}
	for _, a := range addrs {
		if a.Scope != unix.RT_SCOPE_UNIVERSE || a.Flags&unix.IFA_F_PERMANENT == 0 {
			continue
		}
		// The kernel fills in what it derives (the broadcast address).
		addr := &netlink.Addr{IPNet: a.IPNet, Peer: a.Peer, Label: "", Flags: a.Flags, Scope: a.Scope}
		if err := inside.AddrAdd(moved, addr); err != nil && !errors.Is(err, unix.EEXIST) {
			return fmt.Errorf("giving back address %s: %w", a.IPNet, err)
		}
	}
	if err := inside.LinkSetUp(moved); err != nil {
		return fmt.Errorf("setting it up: %w", err)
	}
	return nil
}
