package types

import (
	"encoding/hex"
	"strings"
)

// UUID is a pod UUID (RFC 4122 text; 32 hex digits once dashes are removed,
// not all zero).
type UUID [16]byte

// NewUUID parses s.
func NewUUID(s string) (*UUID, error) {
	h := strings.ReplaceAll(s, "-", "")
	if len(h) != 32 {
		return nil, invalid(ErrUUID, "bad UUID length: %q", s)
	}
	var u UUID
	if _, err := hex.Decode(u[:], []byte(h)); err != nil {
		return nil, invalid(ErrUUID, "bad UUID: %q is not hex", s)
	}
	if u == (UUID{}) {
		return nil, invalid(ErrUUID, "UUID cannot be all zeros")
	}
	return &u, nil
}

// MustUUID is NewUUID that panics on an invalid s.
func MustUUID(s string) UUID {
	u, err := NewUUID(s)
	if err != nil {
		panic(err)
	}
	return *u
}

// String gives the canonical 8-4-4-4-12 lower case form.
func (u UUID) String() string {
	h := hex.EncodeToString(u[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// Empty reports whether u is all zeros.
func (u UUID) Empty() bool { return u == UUID{} }

// Set implements flag.Value.
func (u *UUID) Set(s string) error {
	n, err := NewUUID(s)
	if err != nil {
		return err
	}
	*u = *n
	return nil
}

func (u *UUID) UnmarshalJSON(data []byte) error {
	s, err := unquote(data, ErrUUID, "UUID")
	if err != nil {
		return err
	}
	return u.Set(s)
}

func (u UUID) MarshalJSON() ([]byte, error) {
	if u.Empty() {
		return nil, invalid(ErrUUID, "UUID cannot be all zeros")
	}
	return Marshal(u.String())
}
