package types

import (
	"encoding/hex"
	"strings"
)

// Hash is an image ID: "sha512-" followed by the 128 lowercase hex digits
// of the SHA-512 of the uncompressed image tar. The zero Hash is empty and
// can't be marshaled.
type Hash struct {
	val string // hex digits (128, or 64 for a store key)
}

const (
	hashAlgo     = "sha512"
	hashFullLen  = 128
	hashKeyLen   = 64
	shortHashLen = 32 // hex digits kept by Short
)

func parseHash(s string, allowKey bool) (Hash, error) {
	algo, val, ok := strings.Cut(s, "-")
	if !ok || strings.Contains(val, "-") {
		return Hash{}, invalid(ErrHash, "badly formatted hash string %q", s)
	}
	if algo != hashAlgo {
		return Hash{}, invalid(ErrHash, "unrecognized hash type: %s", algo)
	}
	if val == "" {
		return Hash{}, invalid(ErrHash, "unexpected empty hash value")
	}
	if len(val) != hashFullLen && !(allowKey && len(val) == hashKeyLen) {
		want := "128"
		if allowKey {
			want = "64 or 128"
		}
		return Hash{}, invalid(ErrHash, "hash value must have %s hex digits, got %d", want, len(val))
	}
	for i := 0; i < len(val); i++ {
		if c := val[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return Hash{}, invalid(ErrHash, "hash value must be lower case hex digits, got %q", val)
		}
	}
	return Hash{val: val}, nil
}

// NewHash validates a full image ID ("sha512-" + 128 lowercase hex digits).
func NewHash(s string) (*Hash, error) {
	h, err := parseHash(s, false)
	if err != nil {
		return nil, err
	}
	return &h, nil
}

// NewHashKey also accepts the half-length store key form ("sha512-" + 64
// hex digits) that stores use as a lookup key. Manifests never accept it.
func NewHashKey(s string) (*Hash, error) {
	h, err := parseHash(s, true)
	if err != nil {
		return nil, err
	}
	return &h, nil
}

// HashFromSum returns the image ID for a SHA-512 sum (64 bytes).
func HashFromSum(sum []byte) (Hash, error) {
	if len(sum) != hashFullLen/2 {
		return Hash{}, invalid(ErrHash, "sha512 sum must have 64 bytes, got %d", len(sum))
	}
	return Hash{val: hex.EncodeToString(sum)}, nil
}

// MustHash is NewHash that panics on an invalid s.
func MustHash(s string) Hash {
	h, err := NewHash(s)
	if err != nil {
		panic(err)
	}
	return *h
}

// Empty reports whether h is the zero value.
func (h Hash) Empty() bool { return h.val == "" }

// IsZero lets `omitzero` drop an unset hash.
func (h Hash) IsZero() bool { return h.Empty() }

// Algorithm is always "sha512".
func (h Hash) Algorithm() string { return hashAlgo }

// Hex returns the hex digits.
func (h Hash) Hex() string { return h.val }

// IsKey reports whether h is a half-length store key rather than a full ID.
func (h Hash) IsKey() bool { return len(h.val) == hashKeyLen }

// Key returns the half-length store key form of h.
func (h Hash) Key() Hash {
	if len(h.val) > hashKeyLen {
		return Hash{val: h.val[:hashKeyLen]}
	}
	return h
}

// String gives "sha512-<hex>", or "" for the zero Hash.
func (h Hash) String() string {
	if h.Empty() {
		return ""
	}
	return hashAlgo + "-" + h.val
}

// Short gives the 39-character display form ("sha512-" + 32 hex digits).
func (h Hash) Short() string {
	v := h.val
	if len(v) > shortHashLen {
		v = v[:shortHashLen]
	}
	return hashAlgo + "-" + v
}

// AssertValid checks h is a full image ID.
func (h Hash) AssertValid() error {
	if h.Empty() {
		return invalid(ErrHash, "unexpected empty hash value")
	}
	_, err := NewHash(h.String())
	return err
}

// Set implements flag.Value (full IDs only).
func (h *Hash) Set(s string) error {
	n, err := NewHash(s)
	if err != nil {
		return err
	}
	*h = *n
	return nil
}

func (h *Hash) UnmarshalJSON(data []byte) error {
	s, err := unquote(data, ErrHash, "hash")
	if err != nil {
		return err
	}
	return h.Set(s)
}

func (h Hash) MarshalJSON() ([]byte, error) {
	if err := h.AssertValid(); err != nil {
		return nil, err
	}
	return Marshal(h.String())
}
