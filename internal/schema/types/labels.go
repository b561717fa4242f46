package types

import (
	"slices"
	"sort"
)

// Well-known label names.
const (
	LabelVersion = "version"
	LabelOS      = "os"
	LabelArch    = "arch"
)

// ValidOSArch lists the os label values and, for each, the allowed arch
// values (spec/types.md).
var ValidOSArch = map[string][]string{
	"linux":   {"amd64", "i386", "aarch64", "aarch64_be", "armv6l", "armv7l", "armv7b", "ppc64", "ppc64le", "s390x"},
	"freebsd": {"amd64", "i386", "arm"},
	"darwin":  {"x86_64", "i386"},
}

// Label is one {name, value} pair.
type Label struct {
	Name  ACIdentifier `json:"name"`
	Value string       `json:"value"`
}

// Labels is an ordered list of labels with unique names, none of them
// "name". When "os" is present it must be a known OS and "arch" must be
// valid for it.
type Labels []Label

// Get returns the value of the label name.
func (l Labels) Get(name string) (string, bool) {
	for _, lb := range l {
		if string(lb.Name) == name {
			return lb.Value, true
		}
	}
	return "", false
}

// ToMap returns the labels as a map.
func (l Labels) ToMap() map[ACIdentifier]string {
	m := make(map[ACIdentifier]string, len(l))
	for _, lb := range l {
		m[lb.Name] = lb.Value
	}
	return m
}

// LabelsFromMap builds sorted, validated Labels from a map.
func LabelsFromMap(m map[ACIdentifier]string) (Labels, error) {
	l := make(Labels, 0, len(m))
	for k, v := range m {
		l = append(l, Label{Name: k, Value: v})
	}
	sort.Slice(l, func(i, j int) bool { return l[i].Name < l[j].Name })
	if err := l.AssertValid(); err != nil {
		return nil, err
	}
	return l, nil
}

// AssertValid checks names, duplicates and the os/arch pair. Errors carry
// the index of the offending label as a *FieldError path.
func (l Labels) AssertValid() error {
	seen := map[ACIdentifier]bool{}
	osIdx, archIdx := -1, -1
	for i, lb := range l {
		if err := lb.Name.AssertValid(); err != nil {
			return atIndex(i, invalid(ErrLabels, "invalid label name: %q: %v", string(lb.Name), err))
		}
		if lb.Name == "name" {
			// aci.md: label names "(to avoid confusion with the image's
			// name) cannot be "name"".
			return atIndex(i, atField("name", invalid(ErrLabels, `invalid label name: "name" (the image's name is not a label)`)))
		}
		if seen[lb.Name] {
			return atIndex(i, invalid(ErrLabels, "duplicate labels of name %q", string(lb.Name)))
		}
		seen[lb.Name] = true
		switch lb.Name {
		case LabelOS:
			osIdx = i
		case LabelArch:
			archIdx = i
		}
	}
	if osIdx < 0 {
		return nil
	}
	osName := l[osIdx].Value
	arches, ok := ValidOSArch[osName]
	if !ok {
		return atIndex(osIdx, invalid(ErrLabels, "bad os %q (must be one of: %v)", osName, sortedKeys(ValidOSArch)))
	}
	if archIdx >= 0 && !slices.Contains(arches, l[archIdx].Value) {
		return atIndex(archIdx, invalid(ErrLabels, "bad arch %q for os %s (must be one of: %v)", l[archIdx].Value, osName, arches))
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	k := make([]string, 0, len(m))
	for s := range m {
		k = append(k, s)
	}
	sort.Strings(k)
	return k
}

func (l *Labels) UnmarshalJSON(data []byte) error {
	v, err := decodeList[Label](data)
	if err != nil {
		return err
	}
	if err := Labels(v).AssertValid(); err != nil {
		return err
	}
	*l = v
	return nil
}

func (l Labels) MarshalJSON() ([]byte, error) {
	if err := l.AssertValid(); err != nil {
		return nil, err
	}
	return Marshal([]Label(l))
}

// GoOSArchToAppc maps Go's GOOS/GOARCH (and GOARM for arm, "6" or "7") to
// appc os and arch label values.
func GoOSArchToAppc(goos, goarch, goarm string) (os, arch string, err error) {
	arch = goarch
	switch goarch {
	case "386":
		arch = "i386"
	case "arm64":
		arch = "aarch64"
	case "arm":
		if goos == "linux" {
			switch goarm {
			case "6":
				arch = "armv6l"
			case "7", "":
				arch = "armv7l"
			default:
				return "", "", invalid(ErrLabels, "unsupported GOARM %q for linux/arm", goarm)
			}
		}
	case "amd64":
		if goos == "darwin" {
			arch = "x86_64"
		}
	}
	arches, ok := ValidOSArch[goos]
	if !ok {
		return "", "", invalid(ErrLabels, "bad os %q (must be one of: %v)", goos, sortedKeys(ValidOSArch))
	}
	if !slices.Contains(arches, arch) {
		return "", "", invalid(ErrLabels, "bad arch %q for os %s (must be one of: %v)", arch, goos, arches)
	}
	return goos, arch, nil
}

// AppcOSArchToGo maps appc os/arch label values to GOOS, GOARCH and GOARM
// ("" unless arm).
func AppcOSArchToGo(os, arch string) (goos, goarch, goarm string, err error) {
	arches, ok := ValidOSArch[os]
	if !ok {
		return "", "", "", invalid(ErrLabels, "bad os %q (must be one of: %v)", os, sortedKeys(ValidOSArch))
	}
	if !slices.Contains(arches, arch) {
		return "", "", "", invalid(ErrLabels, "bad arch %q for os %s (must be one of: %v)", arch, os, arches)
	}
	switch arch {
	case "i386":
		return os, "386", "", nil
	case "aarch64":
		return os, "arm64", "", nil
	case "aarch64_be":
		return os, "arm64be", "", nil
	case "armv6l":
		return os, "arm", "6", nil
	case "armv7l":
		return os, "arm", "7", nil
	case "armv7b":
		return os, "armbe", "7", nil
	case "x86_64":
		return os, "amd64", "", nil
	}
	return os, arch, "", nil
}

// pairValue decodes a {name, value} object whose value key must be
// present: aci.md says label, annotation and environment objects "must
// have two key-value pairs".
func pairValue[N any](data []byte, what string, name *N, value *string) error {
	var v struct {
		Name  N       `json:"name"`
		Value *string `json:"value"`
	}
	if err := decodeStruct(data, &v); err != nil {
		return err
	}
	if v.Value == nil {
		return atField("value", invalid(ErrJSONType, "%s value must be set", what))
	}
	*name, *value = v.Name, *v.Value
	return nil
}

func (l *Label) UnmarshalJSON(data []byte) error {
	return pairValue(data, "label", &l.Name, &l.Value)
}

// Lint lists the labels' names that break a check stricter than the spec
// (ACIdentifier.Lint).
func (l Labels) Lint() []error {
	var out []error
	for i, lb := range l {
		if err := lb.Name.Lint(); err != nil {
			out = append(out, atIndex(i, atField("name", err)))
		}
	}
	return out
}
