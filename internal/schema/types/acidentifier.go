package types

import (
	"strings"
)

// ACIdentifier names images, labels, annotations, isolators and
// dependencies: lower case alphanumerics and "-._~/", starting and ending
// with an alphanumeric. Separators in a row (which the spec regex
// ^[a-z0-9]+([-._~/][a-z0-9]+)*$ forbids, unlike the spec's own examples)
// are valid, with a warning (Lint).
type ACIdentifier string

const acIdentifierSeps = "-._~/"

func isLowerAlnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

// checkName is the one validator behind ACIdentifier and ACName.
func checkName(s, typ, seps string, kind error) error {
	if s == "" {
		return invalid(kind, "%s cannot be empty", typ)
	}
	for i := 0; i < len(s); i++ {
		if !isLowerAlnum(s[i]) && strings.IndexByte(seps, s[i]) < 0 {
			return invalid(kind, "%s must contain only lower case alphanumeric characters plus %q, got %q", typ, seps, s)
		}
	}
	if !isLowerAlnum(s[0]) || !isLowerAlnum(s[len(s)-1]) {
		return invalid(kind, "%s must start and end with only lower case alphanumeric characters, got %q", typ, s)
	}
	if seps == acIdentifierSeps {
		// Doubled separators: types.md's regex forbids them, but its own
		// example "example.com/~user/app_v1" has one, and the reference
		// accepts them; a warning (see Lint).
		return nil
	}
	return doubledSeparator(s, typ, seps, kind)
}

func doubledSeparator(s, typ, seps string, kind error) error {
	for i := 1; i < len(s); i++ {
		if !isLowerAlnum(s[i]) && !isLowerAlnum(s[i-1]) {
			return invalid(kind, "%s must not contain two separators %q in a row, got %q", typ, seps, s)
		}
	}
	return nil
}

// Lint reports a check stricter than the spec text: two separators in a
// row, which types.md's regex forbids but its example
// "example.com/~user/app_v1" uses.
func (n ACIdentifier) Lint() error {
	if err := doubledSeparator(string(n), "ACIdentifier", acIdentifierSeps, ErrACIdentifier); err != nil {
		return invalid(ErrACIdentifier, "%q has two separators in a row, which the spec's regex forbids (though its own example has one)", string(n))
	}
	return nil
}

// NewACIdentifier validates s.
func NewACIdentifier(s string) (*ACIdentifier, error) {
	if err := checkName(s, "ACIdentifier", acIdentifierSeps, ErrACIdentifier); err != nil {
		return nil, err
	}
	id := ACIdentifier(s)
	return &id, nil
}

// MustACIdentifier is NewACIdentifier for constants and tests; it panics on
// an invalid s.
func MustACIdentifier(s string) ACIdentifier {
	id, err := NewACIdentifier(s)
	if err != nil {
		panic(err)
	}
	return *id
}

func (n ACIdentifier) String() string { return string(n) }

// Empty reports whether n is the zero value.
func (n ACIdentifier) Empty() bool { return n == "" }

// AssertValid checks n against the rules.
func (n ACIdentifier) AssertValid() error {
	_, err := NewACIdentifier(string(n))
	return err
}

// Set implements flag.Value.
func (n *ACIdentifier) Set(s string) error {
	v, err := NewACIdentifier(s)
	if err != nil {
		return err
	}
	*n = *v
	return nil
}

func (n *ACIdentifier) UnmarshalJSON(data []byte) error {
	s, err := unquote(data, ErrACIdentifier, "ACIdentifier")
	if err != nil {
		return err
	}
	return n.Set(s)
}

func (n ACIdentifier) MarshalJSON() ([]byte, error) {
	if err := n.AssertValid(); err != nil {
		return nil, err
	}
	return Marshal(string(n))
}

// SanitizeACIdentifier maps s (for example a Docker repository name) to a
// valid ACIdentifier: lower case, other characters replaced by "_",
// repeated separators folded and separators trimmed from both ends.
func SanitizeACIdentifier(s string) (string, error) {
	return sanitize(s, acIdentifierSeps, '_', "ACIdentifier", ErrACIdentifier)
}

func sanitize(s, seps string, repl byte, typ string, kind error) (string, error) {
	s = strings.ToLower(s)
	var b strings.Builder
	prevSep := true // drops leading separators
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isLowerAlnum(c) && strings.IndexByte(seps, c) < 0 {
			c = repl
		}
		sep := !isLowerAlnum(c)
		if sep && prevSep {
			continue
		}
		b.WriteByte(c)
		prevSep = sep
	}
	out := strings.TrimRight(b.String(), seps)
	if out == "" {
		return "", invalid(kind, "%s: nothing left after sanitizing %q", typ, s)
	}
	return out, nil
}
