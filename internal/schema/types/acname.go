package types

// ACName names apps in a pod, mount points, volumes and ports: lower case
// alphanumerics separated by single "-" (spec regex ^[a-z0-9]+(-[a-z0-9]+)*$).
type ACName string

// NewACName validates s.
func NewACName(s string) (*ACName, error) {
	if err := checkName(s, "ACName", "-", ErrACName); err != nil {
		return nil, err
	}
	n := ACName(s)
	return &n, nil
}

// MustACName is NewACName that panics on an invalid s.
func MustACName(s string) ACName {
	n, err := NewACName(s)
	if err != nil {
		panic(err)
	}
	return *n
}

func (n ACName) String() string { return string(n) }

// Empty reports whether n is the zero value.
func (n ACName) Empty() bool { return n == "" }

// AssertValid checks n against the rules.
func (n ACName) AssertValid() error {
	_, err := NewACName(string(n))
	return err
}

// Set implements flag.Value.
func (n *ACName) Set(s string) error {
	v, err := NewACName(s)
	if err != nil {
		return err
	}
	*n = *v
	return nil
}

func (n *ACName) UnmarshalJSON(data []byte) error {
	s, err := unquote(data, ErrACName, "ACName")
	if err != nil {
		return err
	}
	return n.Set(s)
}

func (n ACName) MarshalJSON() ([]byte, error) {
	if err := n.AssertValid(); err != nil {
		return nil, err
	}
	return Marshal(string(n))
}

// SanitizeACName maps s to a valid ACName ("-" for anything else).
func SanitizeACName(s string) (string, error) {
	return sanitize(s, "-", '-', "ACName", ErrACName)
}
