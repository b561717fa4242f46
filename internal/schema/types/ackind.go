package types

// ACKind is the manifest kind: ImageManifest or PodManifest.
type ACKind string

const (
	ImageManifestKind ACKind = "ImageManifest"
	PodManifestKind   ACKind = "PodManifest"
)

// NewACKind validates s.
func NewACKind(s string) (*ACKind, error) {
	switch ACKind(s) {
	case ImageManifestKind, PodManifestKind:
		k := ACKind(s)
		return &k, nil
	case "":
		return nil, invalid(ErrACKind, "ACKind must be set")
	}
	return nil, invalid(ErrACKind, "bad ACKind: %s", s)
}

// MustACKind is NewACKind that panics on an invalid s.
func MustACKind(s string) ACKind {
	k, err := NewACKind(s)
	if err != nil {
		panic(err)
	}
	return *k
}

func (k ACKind) String() string { return string(k) }

// AssertValid checks k against the rules.
func (k ACKind) AssertValid() error {
	_, err := NewACKind(string(k))
	return err
}

// Set implements flag.Value.
func (k *ACKind) Set(s string) error {
	v, err := NewACKind(s)
	if err != nil {
		return err
	}
	*k = *v
	return nil
}

func (k *ACKind) UnmarshalJSON(data []byte) error {
	s, err := unquote(data, ErrACKind, "ACKind")
	if err != nil {
		return err
	}
	return k.Set(s)
}

func (k ACKind) MarshalJSON() ([]byte, error) {
	if err := k.AssertValid(); err != nil {
		return nil, err
	}
	return Marshal(string(k))
}
