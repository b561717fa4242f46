package pgp

import (
	"bufio"
	"bytes"
	"context"
	"crypto"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	pgperrors "github.com/ProtonMail/go-crypto/openpgp/errors"
	"github.com/ProtonMail/go-crypto/openpgp/packet"

	"github.com/acikit/acikit/internal/errkind"
)

// MaxSignatureSize caps how much of a detached signature is read. A real one
// is a few hundred bytes.
const MaxSignatureSize = 1 << 20

// copyBuf is the chunk size used when hashing data: large reads keep the
// per-call overhead of the hash and the reader negligible.
const copyBuf = 1 << 20

// Sign writes an ASCII-armored detached signature by key over everything
// read from data (a binary-document signature, as `gpg --armor --detach-sig`
// makes). data is streamed, never held in memory. key must be unlocked.
func Sign(ctx context.Context, w io.Writer, data io.Reader, key *openpgp.Entity) error {
	now := time.Now()
	signing, ok := key.SigningKey(now)
	switch {
	case !ok:
		return errkind.Trustf("sign with key %s: %w", Fingerprint(key), unusableReason(key, now))
	case signing.PrivateKey == nil:
		return errkind.Usagef("sign with key %s: it is a public key, a secret key is needed", Fingerprint(key))
	case signing.PrivateKey.Encrypted:
		return fmt.Errorf("sign with key %s: the secret key is locked (passphrase needed)", Fingerprint(key))
	}
	cfg := &packet.Config{DefaultHash: crypto.SHA256, Time: func() time.Time { return now }}
	aw, err := armor.Encode(w, SignatureBlock, nil)
	if err != nil {
		return fmt.Errorf("write signature: %w", err)
	}
	if err := openpgp.DetachSign(aw, key, readerOf(ctx, data), cfg); err != nil {
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		return fmt.Errorf("sign: %w", err)
	}
	if err := aw.Close(); err != nil {
		return fmt.Errorf("write signature: %w", err)
	}
	if _, err := io.WriteString(w, "\n"); err != nil {
		return fmt.Errorf("write signature: %w", err)
	}
	return nil
}

func unusableReason(e *openpgp.Entity, now time.Time) error {
	switch {
	case e.Revoked(now):
		return errors.New("the key is revoked")
	case !Expiry(e).IsZero() && !now.Before(Expiry(e)):
		return fmt.Errorf("the key expired on %s", Expiry(e).UTC().Format(time.RFC3339))
	}
	return errors.New("no valid signing key")
}

// Signer describes who made a good signature.
type Signer struct {
	// Fingerprint of the signer's primary key, 40 lowercase hex: the name of
	// its file in a trust store.
	Fingerprint string `json:"fingerprint"`
	// KeyID of the key that made the signature (a subkey, maybe), 16 hex.
	KeyID   string    `json:"keyID"`
	UserIDs []string  `json:"userIDs"`
	Created time.Time `json:"created"`

	Entity *openpgp.Entity `json:"-"`
}

// Verification errors. Each is wrapped in an errkind.Trust error that names
// the key or the signature; test with errors.Is.
var (
	ErrBadSignature     = errors.New("signature does not match the data")
	ErrKeyExpired       = errors.New("key expired")
	ErrKeyRevoked       = errors.New("key revoked")
	ErrSignatureExpired = errors.New("signature expired")
	ErrMalformed        = errors.New("malformed signature")
	ErrUnknownSigner    = errors.New("signed by an unknown key")
)

// UnknownSignerError is returned by Verify when no key in the keyring made
// the signature. Name, when a caller sets it (see WithName), goes into the
// hint.
type UnknownSignerError struct {
	KeyIDs []string // 16 hex, the issuers named by the signature
	Name   string   // the image name the keys were chosen for
}

func (e *UnknownSignerError) Error() string {
	msg := "signature made by unknown key " + strings.Join(e.KeyIDs, ", ")
	if e.Name != "" {
		msg += fmt.Sprintf(" (no trusted key for %q has that ID)", e.Name)
	}
	return msg
}

// Unwrap makes the error match ErrUnknownSigner and errkind.Trust.
func (e *UnknownSignerError) Unwrap() []error { return []error{ErrUnknownSigner, errkind.Trust} }

// Hint tells the user how to trust the key (read by internal/cli).
func (e *UnknownSignerError) Hint() string {
	name := e.Name
	if name == "" {
		name = "NAME"
	}
	return fmt.Sprintf("if you trust the publisher, add their key with: acsign trust --prefix %s [KEYFILE|URL]", name)
}

// WithName records the image name in an UnknownSignerError inside err, so
// the message and hint name the prefix to trust. Other errors pass through.
func WithName(err error, name string) error {
	var u *UnknownSignerError
	if errors.As(err, &u) {
		u.Name = name
	}
	return err
}

// Verify checks the detached signature sig (armored or binary) over data
// against keyring as of now. data is streamed. On success it returns the
// signer; every failure is an errkind.Trust error saying what is wrong.
func Verify(ctx context.Context, data, sig io.Reader, keyring openpgp.EntityList, now time.Time) (*Signer, error) {
	body, err := readSignature(sig)
	if err != nil {
		return nil, err
	}
	sigs, err := parseSignatures(body)
	if err != nil {
		return nil, err
	}
	// Fail before reading the data when no trusted key made the signature.
	var ids []string
	known := false
	for _, s := range sigs {
		if s.IssuerKeyId == nil {
			continue
		}
		ids = append(ids, KeyID(*s.IssuerKeyId))
		if len(keyring.KeysById(*s.IssuerKeyId)) > 0 {
			known = true
		}
	}
	if len(ids) == 0 {
		return nil, errkind.Trustf("%w: the signature names no issuer key", ErrMalformed)
	}
	if !known {
		return nil, &UnknownSignerError{KeyIDs: ids}
	}
	cfg := &packet.Config{Time: func() time.Time { return now }}
	dr := &ctxReader{ctx: ctx, r: data}
	s, e, err := openpgp.VerifyDetachedSignature(keyring, dr, bytes.NewReader(body), cfg)
	if cerr := ctx.Err(); cerr != nil {
		return nil, cerr
	}
	// A data source that fails to read is an I/O failure, not a bad
	// signature: it must not exit with the trust status.
	if dr.err != nil {
		return nil, fmt.Errorf("read signed data: %w", dr.err)
	}
	if err != nil {
		return nil, verifyError(err, e, sigs, keyring, now)
	}
	signer := &Signer{
		Fingerprint: Fingerprint(e),
		KeyID:       KeyID(*s.IssuerKeyId),
		UserIDs:     UserIDs(e),
		Created:     s.CreationTime,
		Entity:      e,
	}
	return signer, nil
}

func verifyError(err error, e *openpgp.Entity, sigs []*packet.Signature, keyring openpgp.EntityList, now time.Time) error {
	if e == nil {
		// go-crypto reports only the key it tried; find it for the message.
		for _, s := range sigs {
			if s.IssuerKeyId != nil {
				if ks := keyring.KeysById(*s.IssuerKeyId); len(ks) > 0 {
					e = ks[0].Entity
					break
				}
			}
		}
	}
	who := "unknown key"
	if e != nil {
		who = "key " + Fingerprint(e)
		if ids := UserIDs(e); len(ids) > 0 {
			who += fmt.Sprintf(" (%s)", ids[0])
		}
	}
	var sigErr pgperrors.SignatureError
	var unsupported pgperrors.UnsupportedError
	switch {
	case errors.Is(err, pgperrors.ErrKeyRevoked):
		return errkind.Trustf("%s: %w", who, ErrKeyRevoked)
	case errors.Is(err, pgperrors.ErrKeyExpired):
		if e != nil && !Expiry(e).IsZero() {
			return errkind.Trustf("%s: %w on %s", who, ErrKeyExpired, Expiry(e).UTC().Format(time.RFC3339))
		}
		return errkind.Trustf("%s: %w", who, ErrKeyExpired)
	case errors.Is(err, pgperrors.ErrSignatureExpired):
		return errkind.Trustf("%w (checked at %s)", ErrSignatureExpired, now.UTC().Format(time.RFC3339))
	case errors.Is(err, pgperrors.ErrUnknownIssuer):
		var ids []string
		for _, s := range sigs {
			if s.IssuerKeyId != nil {
				ids = append(ids, KeyID(*s.IssuerKeyId))
			}
		}
		// The key exists but may not sign (an encryption-only subkey).
		return errkind.Trustf("%w: no signing-capable trusted key has ID %s", ErrUnknownSigner, strings.Join(ids, ", "))
	case errors.As(err, &sigErr):
		return errkind.Trustf("%w (checked with %s)", ErrBadSignature, who)
	case errors.As(err, &unsupported):
		return errkind.Trustf("%w: %v", ErrMalformed, err)
	}
	return errkind.Trustf("verify signature by %s: %w", who, err)
}

// readSignature returns the binary packets of a detached signature, taking
// armor off when present (rkt tries armored first, then binary).
func readSignature(r io.Reader) ([]byte, error) {
	br := bufio.NewReader(io.LimitReader(r, MaxSignatureSize+1))
	var src io.Reader = br
	if isArmored(br) {
		block, err := armor.Decode(br)
		if err != nil {
			return nil, errkind.Trustf("%w: %v", ErrMalformed, noEOF(err))
		}
		if block.Type != SignatureBlock {
			return nil, errkind.Trustf("%w: found a %q block, want %q", ErrMalformed, block.Type, SignatureBlock)
		}
		src = block.Body
	}
	body, err := io.ReadAll(src) // bounded by MaxSignatureSize
	if err != nil {
		return nil, errkind.Trustf("%w: %v", ErrMalformed, err)
	}
	if len(body) > MaxSignatureSize {
		return nil, errkind.Trustf("%w: larger than %d bytes", ErrMalformed, MaxSignatureSize)
	}
	if len(body) == 0 {
		return nil, errkind.Trustf("%w: empty", ErrMalformed)
	}
	return body, nil
}

func parseSignatures(body []byte) ([]*packet.Signature, error) {
	var sigs []*packet.Signature
	pr := packet.NewReader(bytes.NewReader(body))
	for {
		p, err := pr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, errkind.Trustf("%w: %v", ErrMalformed, err)
		}
		s, ok := p.(*packet.Signature)
		if !ok {
			return nil, errkind.Trustf("%w: found a %T packet, want only signatures", ErrMalformed, p)
		}
		if s.SigType != packet.SigTypeBinary && s.SigType != packet.SigTypeText {
			return nil, errkind.Trustf("%w: signature type %#x is not a document signature", ErrMalformed, s.SigType)
		}
		sigs = append(sigs, s)
	}
	if len(sigs) == 0 {
		return nil, errkind.Trustf("%w: no signature packet", ErrMalformed)
	}
	return sigs, nil
}

// ctxReader stops a long hash when ctx is cancelled, and reads in large
// chunks so hashing dominates the cost. err keeps the first read error of
// the underlying reader (EOF aside) so callers can tell I/O failures from
// verification failures.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
	err error
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := c.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) && c.err == nil {
		c.err = err
	}
	return n, err
}

// WriteTo hashes with a large buffer; io.Copy would use 32 KiB.
func (c *ctxReader) WriteTo(w io.Writer) (int64, error) {
	buf := make([]byte, copyBuf)
	var n int64
	for {
		if err := c.ctx.Err(); err != nil {
			return n, err
		}
		m, err := io.ReadFull(c.r, buf)
		if m > 0 {
			if _, werr := w.Write(buf[:m]); werr != nil {
				return n, werr
			}
			n += int64(m)
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return n, nil
		}
		if err != nil {
			if c.err == nil {
				c.err = err
			}
			return n, err
		}
	}
}

func readerOf(ctx context.Context, r io.Reader) io.Reader { return &ctxReader{ctx: ctx, r: r} }

// SignatureName is where the detached signature of an image file (or the
// path of an image URL) is written: the image's name plus ".asc", what
// acsign sign writes and gpg --verify expects.
func SignatureName(image string) string { return image + ".asc" }

// SignatureNames are the names an image's signature is read from, in
// order: SignatureName, then rkt's name (a trailing ".aci" dropped, then
// ".aci.asc" added) where that differs, so signatures laid out for rkt are
// still found.
func SignatureNames(image string) []string {
	names := []string{SignatureName(image)}
	if rkt := strings.TrimSuffix(image, ".aci") + ".aci.asc"; rkt != names[0] {
		names = append(names, rkt)
	}
	return names
}
