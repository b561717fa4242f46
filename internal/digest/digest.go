// Package digest owns AppC image IDs: "sha512-" followed by the 128
// lowercase hex digits of the SHA-512 of an image's uncompressed tar stream.
// It offers formatting and checking of IDs, hashing readers and writers, and
// a Hasher that hashes in a goroutine of its own so hashing overlaps with
// (de)compression on a second core.
//
// It knows nothing about tar, HTTP or PGP: callers hand it bytes.
package digest

import (
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"strings"

	"github.com/acikit/acikit/internal/errkind"
)

// Prefix starts every image ID.
const Prefix = "sha512-"

// Len is the length of a full image ID.
const Len = len(Prefix) + 2*sha512.Size

// ShortLen is the length of the abbreviated IDs used for display and keys
// (the prefix and the first 32 hex digits), as other AppC tools use.
const ShortLen = len(Prefix) + 32

// ErrBadID is the error (marked errkind.Invalid) for a malformed image ID.
var ErrBadID = errors.New("malformed image id")

// New returns the hash image IDs use.
func New() hash.Hash { return sha512.New() }

// Format turns a SHA-512 sum into an image ID.
func Format(sum []byte) string { return Prefix + hex.EncodeToString(sum) }

// FromHash returns the image ID of what h has hashed so far.
func FromHash(h hash.Hash) string { return Format(h.Sum(nil)) }

// Bytes returns the image ID of an uncompressed tar held in memory (tests,
// small images).
func Bytes(b []byte) string {
	s := sha512.Sum512(b)
	return Format(s[:])
}

// Check accepts only full IDs: the prefix and 128 lowercase hex digits.
func Check(id string) error {
	hexPart, ok := strings.CutPrefix(id, Prefix)
	if !ok {
		return errkind.Mark(fmt.Errorf("%w %q: want prefix %q", ErrBadID, id, Prefix), errkind.Invalid)
	}
	if len(hexPart) != 2*sha512.Size {
		return errkind.Mark(fmt.Errorf("%w %q: want %d hex digits, have %d", ErrBadID, id, 2*sha512.Size, len(hexPart)), errkind.Invalid)
	}
	for i := 0; i < len(hexPart); i++ {
		if c := hexPart[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return errkind.Mark(fmt.Errorf("%w %q: want lowercase hex digits", ErrBadID, id), errkind.Invalid)
		}
	}
	return nil
}

// Short abbreviates an ID to ShortLen characters (shorter IDs are returned
// unchanged).
func Short(id string) string {
	if len(id) > ShortLen {
		return id[:ShortLen]
	}
	return id
}

// Reader hashes what is read through it, in the reading goroutine.
type Reader struct {
	r io.Reader
	h hash.Hash
	n int64
}

// NewReader returns a Reader over r.
func NewReader(r io.Reader) *Reader { return &Reader{r: r, h: New()} }

func (r *Reader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.h.Write(p[:n])
	r.n += int64(n)
	return n, err
}

// ID is the image ID of the bytes read so far.
func (r *Reader) ID() string { return FromHash(r.h) }

// Size is the number of bytes read so far.
func (r *Reader) Size() int64 { return r.n }

// Writer hashes what is written through it to an optional underlying writer.
type Writer struct {
	w io.Writer
	h hash.Hash
	n int64
}

// NewWriter returns a Writer passing bytes on to w (nil: hash only).
func NewWriter(w io.Writer) *Writer { return &Writer{w: w, h: New()} }

func (w *Writer) Write(p []byte) (int, error) {
	if w.w != nil {
		n, err := w.w.Write(p)
		w.h.Write(p[:n])
		w.n += int64(n)
		return n, err
	}
	w.h.Write(p)
	w.n += int64(len(p))
	return len(p), nil
}

// ID is the image ID of the bytes written so far.
func (w *Writer) ID() string { return FromHash(w.h) }

// Size is the number of bytes written so far.
func (w *Writer) Size() int64 { return w.n }
