package types

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
)

// Known isolator names.
const (
	ResourceCPUName              = "resource/cpu"
	ResourceMemoryName           = "resource/memory"
	ResourceBlockBandwidthName   = "resource/block-bandwidth"
	ResourceBlockIOPSName        = "resource/block-iops"
	ResourceNetworkBandwidthName = "resource/network-bandwidth"
	CapabilitiesRetainSetName    = "os/linux/capabilities-retain-set"
	CapabilitiesRemoveSetName    = "os/linux/capabilities-remove-set"
	SeccompRetainSetName         = "os/linux/seccomp-retain-set"
	SeccompRemoveSetName         = "os/linux/seccomp-remove-set"
	NoNewPrivilegesName          = "os/linux/no-new-privileges"
	OOMScoreAdjName              = "os/linux/oom-score-adj"
	CPUSharesName                = "os/linux/cpu-shares"
	SELinuxContextName           = "os/linux/selinux-context"
	AppArmorProfileName          = "os/linux/apparmor-profile"
	SysctlName                   = "os/unix/sysctl"
)

// Seccomp wildcards.
const (
	SeccompAll   = "@appc.io/all"   // retain set: every syscall
	SeccompEmpty = "@appc.io/empty" // remove set: none
)

// DefaultCapabilities is the bounding set when no capabilities isolator is
// given.
var DefaultCapabilities = []string{
	"CAP_AUDIT_WRITE", "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER",
	"CAP_KILL", "CAP_MKNOD", "CAP_NET_RAW", "CAP_NET_BIND_SERVICE", "CAP_SETUID",
	"CAP_SETGID", "CAP_SETPCAP", "CAP_SETFCAP", "CAP_SYS_CHROOT",
}

type isolatorKind struct {
	parse    func(raw []byte) (any, error)
	count    instances // how many may appear in one list
	conflict []string  // names it can't be combined with (ace.md)
	// later: defined by a spec version after 0.8.11, whose text makes it
	// an unknown isolator with an arbitrary value; a value its later
	// definition refuses is a warning (and has no typed value).
	later bool
}

// instances says how often an isolator may appear in one list.
type instances int

const (
	// onceLint: the spec says nothing against repeats (the reference
	// accepts them), but a repeat is ambiguous: a warning.
	onceLint instances = iota
	// onceSpec: ace.md allows only one ("Only a single ... isolator can
	// be specified per-app").
	onceSpec
	// many: repeats are fine.
	many
)

var isolatorKinds = map[string]isolatorKind{
	ResourceCPUName:              {parse: parseResource(false)},
	ResourceMemoryName:           {parse: parseResource(false)},
	ResourceBlockBandwidthName:   {parse: parseResource(true)},
	ResourceBlockIOPSName:        {parse: parseResource(true)},
	ResourceNetworkBandwidthName: {parse: parseResource(true)},
	CapabilitiesRetainSetName:    {parse: parseCaps(true), count: many, conflict: []string{CapabilitiesRemoveSetName}},
	CapabilitiesRemoveSetName:    {parse: parseCaps(false), count: many, conflict: []string{CapabilitiesRetainSetName}},
	SeccompRetainSetName:         {parse: parseSeccomp(true), count: onceSpec, conflict: []string{SeccompRemoveSetName}},
	SeccompRemoveSetName:         {parse: parseSeccomp(false), count: onceSpec, conflict: []string{SeccompRetainSetName}},
	NoNewPrivilegesName:          {parse: parseBool, count: many},
	OOMScoreAdjName:              {parse: parseIntRange("oom-score-adj", -1000, 1000)},
	CPUSharesName:                {parse: parseIntRange("cpu-shares", 2, 262144)},
	SELinuxContextName:           {parse: parseSELinux, count: onceSpec},
	AppArmorProfileName:          {parse: parseAppArmor, later: true},
	SysctlName:                   {parse: parseSysctl, count: onceSpec},
}

// IsKnownIsolator reports whether name is an isolator of the spec.
func IsKnownIsolator(name string) bool {
	_, ok := isolatorKinds[name]
	return ok
}

// Isolator is one {name, value} isolator. The value of a known isolator is
// validated and available through the typed accessors (Resource, Memory,
// CPUMillis, Capabilities, Seccomp...); unknown isolators keep their raw
// value (only pod-level lists may hold them).
type Isolator struct {
	Name     ACIdentifier    `json:"name"`
	ValueRaw json.RawMessage `json:"value,omitempty"`
	value    any
}

// NewIsolator builds an isolator from a name and a value that marshals to
// the isolator's JSON value, validating it.
func NewIsolator(name string, value any) (*Isolator, error) {
	raw, err := Marshal(value)
	if err != nil {
		return nil, invalid(ErrIsolator, "isolator %s: %v", name, err)
	}
	return newIsolatorRaw(name, raw)
}

func newIsolatorRaw(name string, raw json.RawMessage) (*Isolator, error) {
	id, err := NewACIdentifier(name)
	if err != nil {
		return nil, atField("name", err)
	}
	iso := &Isolator{Name: *id, ValueRaw: raw}
	if err := iso.parse(); err != nil {
		return nil, err
	}
	return iso, nil
}

func (i *Isolator) parse() error {
	k, ok := isolatorKinds[string(i.Name)]
	if !ok {
		i.value = nil
		// types.md: "two required fields: "name" and "value"", the value
		// "an arbitrary JSON value" (null too) when the name is unknown.
		if len(i.ValueRaw) == 0 {
			return atField("value", invalid(ErrIsolator, "isolator %s must have a value", i.Name))
		}
		return nil
	}
	if len(i.ValueRaw) == 0 || string(bytes.TrimSpace(i.ValueRaw)) == "null" {
		return atField("value", invalid(ErrIsolator, "isolator %s must have a value", i.Name))
	}
	v, err := k.parse(i.ValueRaw)
	if err != nil && k.later {
		i.value = nil
		return nil
	}
	if err != nil {
		return atField("value", err)
	}
	i.value = v
	return nil
}

// Known reports whether the isolator's name is one of the spec's.
func (i Isolator) Known() bool { return IsKnownIsolator(string(i.Name)) }

// Value returns the parsed value of a known isolator: *ResourceValue,
// *CapabilitySet, *SeccompSet, bool, int, *SELinuxContext, string
// (AppArmor profile) or map[string]string (sysctl); nil when unknown.
func (i Isolator) Value() any { return i.value }

// AssertValid checks the name and, for a known isolator, its value.
func (i Isolator) AssertValid() error {
	if err := i.Name.AssertValid(); err != nil {
		return atField("name", err)
	}
	c := i
	return c.parse()
}

func (i *Isolator) UnmarshalJSON(data []byte) error {
	var v struct {
		Name  ACIdentifier    `json:"name"`
		Value json.RawMessage `json:"value"`
	}
	if err := decodeStruct(data, &v); err != nil {
		return err
	}
	if v.Name.Empty() {
		return atField("name", invalid(ErrIsolator, "isolator name must be set"))
	}
	n := Isolator{Name: v.Name, ValueRaw: v.Value}
	if err := n.parse(); err != nil {
		return err
	}
	*i = n
	return nil
}

func (i Isolator) MarshalJSON() ([]byte, error) {
	if err := i.AssertValid(); err != nil {
		return nil, err
	}
	type plain Isolator
	return Marshal(plain(i))
}

// Isolators is an isolator list (an app's or a pod's): valid isolators,
// the kinds ace.md allows once at most once, no kinds ace.md says cannot be
// combined.
type Isolators []Isolator

// AssertValid checks the list as an app's isolators.
func (l Isolators) AssertValid() error { return l.assertValid(true) }

// AssertPodValid checks the list as a pod's isolators.
func (l Isolators) AssertPodValid() error { return l.assertValid(false) }

func (l Isolators) assertValid(app bool) error {
	seen := map[string]bool{}
	for idx, i := range l {
		if err := i.AssertValid(); err != nil {
			return atIndex(idx, err)
		}
		name := string(i.Name)
		k, known := isolatorKinds[name]
		if !known {
			continue
		}
		if seen[name] && k.count == onceSpec {
			return atIndex(idx, invalid(ErrIsolator, "isolators set contains too many instances of type %q", name))
		}
		for _, c := range k.conflict {
			if seen[c] {
				return atIndex(idx, invalid(ErrIsolator, "isolators set contains incompatible types: %s and %s", c, name))
			}
		}
		seen[name] = true
	}
	return nil
}

// Lint lists what in an app's (app true) or a pod's isolators breaks a
// check stricter than the spec text: a repeated isolator the spec does not
// forbid to repeat (which instance counts is unclear), a negative resource
// quantity, and in an app an isolator the spec does not define (ace.md:
// "An executor MAY ignore isolators that it does not understand").
func (l Isolators) Lint(app bool) []error {
	var out []error
	seen := map[string]bool{}
	for idx, i := range l {
		name := string(i.Name)
		if err := i.Name.Lint(); err != nil {
			out = append(out, atIndex(idx, atField("name", err)))
		}
		k, known := isolatorKinds[name]
		if !known {
			if app {
				out = append(out, atIndex(idx, atField("name", invalid(ErrIsolator, "unknown isolator %q: an executor may ignore it", name))))
			}
			continue
		}
		if k.later {
			if _, err := k.parse(i.ValueRaw); err != nil {
				out = append(out, atIndex(idx, atField("value", err)))
			}
		}
		if seen[name] && k.count == onceLint {
			out = append(out, atIndex(idx, invalid(ErrIsolator, "isolator %q given more than once: executors may differ on which one counts", name)))
		}
		seen[name] = true
		if r, ok := i.value.(*ResourceValue); ok {
			for _, q := range []struct {
				name string
				q    *Quantity
			}{{"request", r.Request}, {"limit", r.Limit}} {
				if q.q != nil && q.q.Sign() < 0 {
					out = append(out, atIndex(idx, atField("value", atField(q.name, invalid(ErrQuantity, "negative quantity %q", q.q.String())))))
				}
			}
		}
	}
	return out
}

func (l *Isolators) UnmarshalJSON(data []byte) error {
	v, err := decodeList[Isolator](data)
	if err != nil {
		return err
	}
	if err := Isolators(v).AssertValid(); err != nil {
		return err
	}
	*l = v
	return nil
}

// Get returns the first isolator named name.
func (l Isolators) Get(name string) (*Isolator, bool) {
	for i := range l {
		if string(l[i].Name) == name {
			return &l[i], true
		}
	}
	return nil, false
}

// ResourceValue is the value of the resource/* isolators.
type ResourceValue struct {
	Default bool      `json:"default,omitempty"`
	Request *Quantity `json:"request,omitempty"`
	Limit   *Quantity `json:"limit,omitempty"`
}

func parseResource(wantDefault bool) func([]byte) (any, error) {
	return func(raw []byte) (any, error) {
		var v ResourceValue
		if err := decodeStruct(raw, &v); err != nil {
			return nil, err
		}
		if wantDefault {
			if !v.Default {
				return nil, atField("default", invalid(ErrIsolator, "default must be true"))
			}
			if v.Request != nil {
				return nil, atField("request", invalid(ErrIsolator, "request not supported by this resource, must be empty"))
			}
		} else if v.Default {
			return nil, atField("default", invalid(ErrIsolator, "default must be false"))
		}
		return &v, nil
	}
}

// CapabilitySet is the value of the capabilities isolators.
type CapabilitySet struct {
	Retain bool     `json:"-"` // retain-set (else remove-set)
	Set    []string `json:"set"`
}

func parseCaps(retain bool) func([]byte) (any, error) {
	return func(raw []byte) (any, error) {
		v := CapabilitySet{Retain: retain}
		if err := decodeStruct(raw, &v); err != nil {
			return nil, err
		}
		if len(v.Set) == 0 {
			return nil, atField("set", invalid(ErrIsolator, "set must be non-empty"))
		}
		for i, c := range v.Set {
			if c == "" {
				return nil, atField("set", atIndex(i, invalid(ErrIsolator, "capability name cannot be empty")))
			}
		}
		return &v, nil
	}
}

// SeccompSet is the value of the seccomp isolators.
type SeccompSet struct {
	Retain bool     `json:"-"` // retain-set (else remove-set)
	Set    []string `json:"set"`
	Errno  string   `json:"errno,omitempty"`
}

func parseSeccomp(retain bool) func([]byte) (any, error) {
	return func(raw []byte) (any, error) {
		v := SeccompSet{Retain: retain}
		if err := decodeStruct(raw, &v); err != nil {
			return nil, err
		}
		if len(v.Set) == 0 {
			return nil, atField("set", invalid(ErrIsolator, "set must be non-empty"))
		}
		if e := v.Errno; e != "" {
			if e[0] != 'E' {
				return nil, atField("errno", invalid(ErrIsolator, "errno must start with an 'E' character, got %s", e))
			}
			for j := 1; j < len(e); j++ {
				if !(e[j] >= 'A' && e[j] <= 'Z' || e[j] >= '0' && e[j] <= '9') {
					return nil, atField("errno", invalid(ErrIsolator, "errno can only contain upper case or numeric characters, got %s", e))
				}
			}
		}
		return &v, nil
	}
}

func parseBool(raw []byte) (any, error) {
	var b bool
	if err := decodeJSON(raw, &b); err != nil {
		return nil, err
	}
	return b, nil
}

func parseIntRange(what string, lo, hi int) func([]byte) (any, error) {
	return func(raw []byte) (any, error) {
		var n int
		if err := decodeJSON(raw, &n); err != nil {
			return nil, err
		}
		if n < lo || n > hi {
			return nil, invalid(ErrIsolator, "%s must be in %d..%d range, got %d", what, lo, hi, n)
		}
		return n, nil
	}
}

// SELinuxContext is the value of os/linux/selinux-context.
type SELinuxContext struct {
	User  string `json:"user"`
	Role  string `json:"role"`
	Type  string `json:"type"`
	Level string `json:"level"`
}

// String gives "user:role:type:level".
func (c SELinuxContext) String() string {
	return c.User + ":" + c.Role + ":" + c.Type + ":" + c.Level
}

func parseSELinux(raw []byte) (any, error) {
	var v SELinuxContext
	if err := decodeStruct(raw, &v); err != nil {
		return nil, err
	}
	for _, f := range []struct{ name, val string }{{"user", v.User}, {"role", v.Role}, {"type", v.Type}} {
		if f.val == "" || strings.Contains(f.val, ":") {
			return nil, atField(f.name, invalid(ErrIsolator, "invalid %s value %q", f.name, f.val))
		}
	}
	if v.Level == "" {
		return nil, atField("level", invalid(ErrIsolator, "invalid level value %q", v.Level))
	}
	return &v, nil
}

func parseAppArmor(raw []byte) (any, error) {
	var v struct {
		Profile string `json:"profile"`
	}
	if err := decodeStruct(raw, &v); err != nil {
		return nil, err
	}
	if v.Profile == "" {
		return nil, atField("profile", invalid(ErrIsolator, "apparmor profile must not be empty"))
	}
	return v.Profile, nil
}

func parseSysctl(raw []byte) (any, error) {
	var m map[string]string
	if err := decodeJSON(raw, &m); err != nil {
		return nil, err
	}
	if m == nil {
		m = map[string]string{}
	}
	return m, nil
}

// Resource returns the value of a resource/* isolator.
func (i Isolator) Resource() (*ResourceValue, bool) {
	v, ok := i.value.(*ResourceValue)
	return v, ok
}

// Memory returns the resource/memory limit in bytes (rounded up).
func (i Isolator) Memory() (limitBytes int64, ok bool) {
	return i.resourceLimit(ResourceMemoryName, false)
}

// CPUMillis returns the resource/cpu limit in millicores (rounded up).
func (i Isolator) CPUMillis() (limitMillis int64, ok bool) {
	return i.resourceLimit(ResourceCPUName, true)
}

// Limit returns the limit of any resource/* isolator as an integer
// (bytes/s, IOPS...).
func (i Isolator) Limit() (int64, bool) { return i.resourceLimit(string(i.Name), false) }

func (i Isolator) resourceLimit(name string, milli bool) (int64, bool) {
	r, ok := i.Resource()
	if !ok || string(i.Name) != name || r.Limit == nil {
		return 0, false
	}
	if milli {
		return r.Limit.MilliInt64()
	}
	return r.Limit.Int64()
}

// Capabilities returns the value of a capabilities isolator.
func (i Isolator) Capabilities() (*CapabilitySet, bool) {
	v, ok := i.value.(*CapabilitySet)
	return v, ok
}

// Seccomp returns the value of a seccomp isolator.
func (i Isolator) Seccomp() (*SeccompSet, bool) {
	v, ok := i.value.(*SeccompSet)
	return v, ok
}

// NoNewPrivileges returns the value of os/linux/no-new-privileges.
func (i Isolator) NoNewPrivileges() (value, ok bool) {
	if string(i.Name) != NoNewPrivilegesName {
		return false, false
	}
	v, ok := i.value.(bool)
	return v, ok
}

// OOMScoreAdj returns the value of os/linux/oom-score-adj.
func (i Isolator) OOMScoreAdj() (int, bool) { return i.intValue(OOMScoreAdjName) }

// CPUShares returns the value of os/linux/cpu-shares.
func (i Isolator) CPUShares() (int, bool) { return i.intValue(CPUSharesName) }

func (i Isolator) intValue(name string) (int, bool) {
	if string(i.Name) != name {
		return 0, false
	}
	v, ok := i.value.(int)
	return v, ok
}

// SELinuxContext returns the value of os/linux/selinux-context.
func (i Isolator) SELinuxContext() (*SELinuxContext, bool) {
	v, ok := i.value.(*SELinuxContext)
	return v, ok
}

// AppArmorProfile returns the value of os/linux/apparmor-profile.
func (i Isolator) AppArmorProfile() (string, bool) {
	if string(i.Name) != AppArmorProfileName {
		return "", false
	}
	v, ok := i.value.(string)
	return v, ok
}

// Sysctl returns the value of os/unix/sysctl.
func (i Isolator) Sysctl() (map[string]string, bool) {
	v, ok := i.value.(map[string]string)
	return v, ok
}

// NewResourceIsolator builds a resource/* isolator from quantity strings
// ("" leaves a field out); default is set as the kind requires.
func NewResourceIsolator(name, request, limit string) (*Isolator, error) {
	v := map[string]any{}
	switch name {
	case ResourceBlockBandwidthName, ResourceBlockIOPSName, ResourceNetworkBandwidthName:
		v["default"] = true
	case ResourceCPUName, ResourceMemoryName:
	default:
		return nil, invalid(ErrIsolator, "%q is not a resource isolator", name)
	}
	if request != "" {
		v["request"] = request
	}
	if limit != "" {
		v["limit"] = limit
	}
	return NewIsolator(name, v)
}

// NewCapabilitiesIsolator builds a capabilities retain or remove set.
func NewCapabilitiesIsolator(retain bool, set []string) (*Isolator, error) {
	name := CapabilitiesRemoveSetName
	if retain {
		name = CapabilitiesRetainSetName
	}
	return NewIsolator(name, map[string]any{"set": slices.Clone(set)})
}

// NewSeccompIsolator builds a seccomp retain or remove set.
func NewSeccompIsolator(retain bool, set []string, errno string) (*Isolator, error) {
	name := SeccompRemoveSetName
	if retain {
		name = SeccompRetainSetName
	}
	v := map[string]any{"set": slices.Clone(set)}
	if errno != "" {
		v["errno"] = errno
	}
	return NewIsolator(name, v)
}
