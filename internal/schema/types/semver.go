package types

import (
	"cmp"
	"strconv"
	"strings"
)

// SemVer is a Semantic Versioning 2.0.0 version (acVersion).
type SemVer struct {
	Major, Minor, Patch uint64
	PreRelease          string // dot-separated identifiers after "-", without the "-"
	Metadata            string // build metadata after "+", without the "+"
}

// ParseSemVer parses s strictly per semver.org 2.0.0 (no "v" prefix, no
// leading zeros in numbers, non-empty identifiers).
func ParseSemVer(s string) (SemVer, error) {
	var v SemVer
	bad := func(why string) (SemVer, error) {
		return SemVer{}, invalid(ErrSemVer, "SemVer is bad: %q: %s", s, why)
	}
	rest, meta, hasMeta := strings.Cut(s, "+")
	if hasMeta {
		if err := checkIdents(meta, false); err != "" {
			return bad("build metadata " + err)
		}
		v.Metadata = meta
	}
	core, pre, hasPre := strings.Cut(rest, "-")
	if hasPre {
		if err := checkIdents(pre, true); err != "" {
			return bad("pre-release " + err)
		}
		v.PreRelease = pre
	}
	parts := strings.Split(core, ".")
	if len(parts) != 3 {
		return bad("want MAJOR.MINOR.PATCH")
	}
	nums := [3]*uint64{&v.Major, &v.Minor, &v.Patch}
	for i, p := range parts {
		if !isNumeric(p) {
			return bad("version numbers must be decimal digits")
		}
		if len(p) > 1 && p[0] == '0' {
			return bad("version numbers must not have leading zeros")
		}
		n, err := strconv.ParseUint(p, 10, 64)
		if err != nil {
			return bad("version number out of range")
		}
		*nums[i] = n
	}
	return v, nil
}

func isNumeric(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// checkIdents checks dot-separated identifiers; it returns "" or a reason.
func checkIdents(s string, pre bool) string {
	for id := range strings.SplitSeq(s, ".") {
		if id == "" {
			return "has an empty identifier"
		}
		for i := 0; i < len(id); i++ {
			c := id[i]
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-') {
				return "may only contain [0-9A-Za-z-]"
			}
		}
		if pre && len(id) > 1 && id[0] == '0' && isNumeric(id) {
			return "numbers must not have leading zeros"
		}
	}
	return ""
}

// NewSemVer validates s as an acVersion: a SemVer that is not 0.0.0.
func NewSemVer(s string) (*SemVer, error) {
	v, err := ParseSemVer(s)
	if err != nil {
		return nil, err
	}
	if v.Empty() {
		return nil, invalid(ErrSemVer, "SemVer cannot be zero")
	}
	return &v, nil
}

// MustSemVer is NewSemVer that panics on an invalid s.
func MustSemVer(s string) SemVer {
	v, err := NewSemVer(s)
	if err != nil {
		panic(err)
	}
	return *v
}

// Empty reports whether v is the zero value (0.0.0 with nothing after).
func (v SemVer) Empty() bool { return v == SemVer{} }

// IsZero lets `omitzero` drop an unset version.
func (v SemVer) IsZero() bool { return v.Empty() }

func (v SemVer) String() string {
	s := strconv.FormatUint(v.Major, 10) + "." + strconv.FormatUint(v.Minor, 10) + "." + strconv.FormatUint(v.Patch, 10)
	if v.PreRelease != "" {
		s += "-" + v.PreRelease
	}
	if v.Metadata != "" {
		s += "+" + v.Metadata
	}
	return s
}

// Compare orders versions by SemVer precedence (build metadata ignored):
// -1, 0 or +1.
func (v SemVer) Compare(w SemVer) int {
	if c := cmp.Compare(v.Major, w.Major); c != 0 {
		return c
	}
	if c := cmp.Compare(v.Minor, w.Minor); c != 0 {
		return c
	}
	if c := cmp.Compare(v.Patch, w.Patch); c != 0 {
		return c
	}
	switch {
	case v.PreRelease == w.PreRelease:
		return 0
	case v.PreRelease == "":
		return 1
	case w.PreRelease == "":
		return -1
	}
	a, b := strings.Split(v.PreRelease, "."), strings.Split(w.PreRelease, ".")
	for i := 0; i < len(a) && i < len(b); i++ {
		an, bn := isNumeric(a[i]), isNumeric(b[i])
		switch {
		case an && bn:
			x, _ := strconv.ParseUint(a[i], 10, 64)
			y, _ := strconv.ParseUint(b[i], 10, 64)
			if c := cmp.Compare(x, y); c != 0 {
				return c
			}
		case an:
			return -1
		case bn:
			return 1
		default:
			if c := strings.Compare(a[i], b[i]); c != 0 {
				return c
			}
		}
	}
	return cmp.Compare(len(a), len(b))
}

// LessThan reports whether v has lower precedence than w.
func (v SemVer) LessThan(w SemVer) bool { return v.Compare(w) < 0 }

// AssertValid checks v against the acVersion rules.
func (v SemVer) AssertValid() error {
	_, err := NewSemVer(v.String())
	return err
}

// Set implements flag.Value.
func (v *SemVer) Set(s string) error {
	n, err := NewSemVer(s)
	if err != nil {
		return err
	}
	*v = *n
	return nil
}

func (v *SemVer) UnmarshalJSON(data []byte) error {
	s, err := unquote(data, ErrSemVer, "SemVer")
	if err != nil {
		return err
	}
	return v.Set(s)
}

func (v SemVer) MarshalJSON() ([]byte, error) {
	if err := v.AssertValid(); err != nil {
		return nil, err
	}
	return Marshal(v.String())
}
