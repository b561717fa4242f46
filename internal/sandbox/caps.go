//go:build linux

package sandbox

import (
	"fmt"
	"math/bits"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/acikit/acikit/internal/errkind"
	"github.com/acikit/acikit/internal/schema/types"
)

// CapSet is a set of Linux capabilities, bit n for capability number n.
type CapSet uint64

// DefaultCaps is the AppC spec's default set for apps without a capability
// isolator.
var DefaultCaps = mustCaps("CAP_AUDIT_WRITE", "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID",
	"CAP_FOWNER", "CAP_KILL", "CAP_MKNOD", "CAP_NET_RAW", "CAP_NET_BIND_SERVICE", "CAP_SETUID",
	"CAP_SETGID", "CAP_SETPCAP", "CAP_SETFCAP", "CAP_SYS_CHROOT")

func mustCaps(names ...string) CapSet {
	s, err := ParseCaps(names)
	if err != nil {
		panic(err)
	}
	return s
}

// AllCaps is every capability this kernel knows (for an app run with all
// privileges).
func AllCaps() CapSet {
	last := len(types.CapabilityNames) - 1
	if b, err := os.ReadFile("/proc/sys/kernel/cap_last_cap"); err == nil {
		if n, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && n < 64 {
			last = n
		}
	}
	return CapSet(1)<<(last+1) - 1
}

// ParseCap returns the number of a capability named "CAP_NET_RAW",
// "NET_RAW" or "net_raw".
func ParseCap(name string) (int, error) {
	n := strings.ToUpper(strings.TrimSpace(name))
	if !strings.HasPrefix(n, "CAP_") {
		n = "CAP_" + n
	}
	for i, c := range types.CapabilityNames {
		if c == n {
			return i, nil
		}
	}
	return 0, errkind.Invalidf("unknown capability %q", name)
}

// ParseCaps returns the set of the named capabilities.
func ParseCaps(names []string) (CapSet, error) {
	var s CapSet
	for _, name := range names {
		n, err := ParseCap(name)
		if err != nil {
			return 0, err
		}
		s |= 1 << n
	}
	return s, nil
}

// ComputeCaps applies the spec's isolators to the default set: a non-empty
// retain list is the whole set (the bounding set becomes exactly it),
// otherwise remove is taken out of DefaultCaps. Giving both is an error, as
// the spec forbids it.
func ComputeCaps(retain, remove []string) (CapSet, error) {
	if len(retain) > 0 && len(remove) > 0 {
		return 0, errkind.Invalidf("capabilities: retain and remove sets cannot be combined")
	}
	if len(retain) > 0 {
		return ParseCaps(retain)
	}
	rm, err := ParseCaps(remove)
	if err != nil {
		return 0, err
	}
	return DefaultCaps &^ rm, nil
}

// Has reports whether capability number n is in s.
func (s CapSet) Has(n int) bool { return n >= 0 && n < 64 && s&(1<<n) != 0 }

// Names lists the set's capabilities by name, in number order.
func (s CapSet) Names() []string {
	var out []string
	for v := uint64(s); v != 0; v &= v - 1 {
		n := bits.TrailingZeros64(v)
		if n < len(types.CapabilityNames) {
			out = append(out, types.CapabilityNames[n])
		} else {
			out = append(out, "CAP_"+strconv.Itoa(n))
		}
	}
	return out
}

func (s CapSet) String() string { return strings.Join(s.Names(), ",") }

// dropBounding restricts the calling thread's bounding set to set; the
// processes it forks inherit it.
func dropBounding(set CapSet) error {
	all := AllCaps()
	for n := 0; n < 64 && all.Has(n); n++ {
		if set.Has(n) {
			continue
		}
		if err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(n), 0, 0, 0); err != nil {
			return fmt.Errorf("drop capability %s from bounding set: %w", capName(n), err)
		}
	}
	return nil
}

// setInheritable makes set the calling thread's inheritable set (keeping
// its effective and permitted ones, which the thread still needs) and
// clears its ambient set. The forked child raises set into its ambient set
// (SysProcAttr.AmbientCaps), so a non-root app keeps exactly set across
// execve and a root app gets set from the bounding set.
func setInheritable(set CapSet) error {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return fmt.Errorf("read capabilities: %w", err)
	}
	for i := range data {
		data[i].Inheritable = uint32(uint64(set) >> (32 * i))
	}
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		return fmt.Errorf("set inheritable capabilities %s: %w", set, err)
	}
	if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0); err != nil {
		return fmt.Errorf("clear ambient capabilities: %w", err)
	}
	return nil
}

func capName(n int) string {
	if n < len(types.CapabilityNames) {
		return types.CapabilityNames[n]
	}
	return "CAP_" + strconv.Itoa(n)
}
