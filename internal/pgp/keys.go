package pgp

import (
	"bufio"
	"bytes"
	"crypto"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"

	"github.com/acikit/acikit/internal/errkind"
)

// MaxKeyringSize caps how much of a key file is read: keys are small, and a
// huge "key" is a mistake or an attack.
const MaxKeyringSize = 16 << 20

// Armor block types.
const (
	PublicKeyBlock  = "PGP PUBLIC KEY BLOCK"
	PrivateKeyBlock = "PGP PRIVATE KEY BLOCK"
	SignatureBlock  = "PGP SIGNATURE"
)

// ReadKeyring reads one or more keys (public or secret) from r: armored
// blocks, possibly several concatenated, or a binary keyring as written by
// `gpg --export`. Malformed input is an errkind.Trust error.
func ReadKeyring(r io.Reader) (openpgp.EntityList, error) {
	br := bufio.NewReader(io.LimitReader(r, MaxKeyringSize+1))
	if !isArmored(br) {
		el, err := readBinaryKeyring(br)
		if err != nil {
			return nil, err
		}
		return el, tooBig(br)
	}
	var all openpgp.EntityList
	for {
		block, err := armor.Decode(br)
		if errors.Is(err, io.EOF) && len(all) > 0 {
			break
		}
		if err != nil {
			return nil, errkind.Trustf("read armored key: %w", noEOF(err))
		}
		if block.Type != PublicKeyBlock && block.Type != PrivateKeyBlock {
			return nil, errkind.Trustf("read armored key: found a %q block, want a key", block.Type)
		}
		el, err := readBinaryKeyring(block.Body)
		if err != nil {
			return nil, err
		}
		// Drain the block so the armor checksum is checked.
		if _, err := io.Copy(io.Discard, block.Body); err != nil {
			return nil, errkind.Trustf("read armored key: %w", err)
		}
		all = append(all, el...)
		skipArmorEnd(br)
		if !isArmored(br) {
			break
		}
	}
	return all, tooBig(br)
}

func tooBig(br *bufio.Reader) error {
	if n, _ := io.Copy(io.Discard, br); n > 0 {
		// Either trailing garbage or the cap was hit; both are refused.
		return errkind.Trustf("read key: unexpected data after the keys (or more than %d bytes)", MaxKeyringSize)
	}
	return nil
}

func noEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return errors.New("no OpenPGP armor found")
	}
	return err
}

// skipArmorEnd consumes the "-----END ...-----" line that armor.Decode
// leaves behind after the checksum.
func skipArmorEnd(br *bufio.Reader) {
	for {
		b, err := br.Peek(1)
		if err != nil || (b[0] != ' ' && b[0] != '\t' && b[0] != '\r' && b[0] != '\n') {
			break
		}
		br.ReadByte()
	}
	if p, _ := br.Peek(9); string(p) == "-----END " {
		br.ReadString('\n')
	}
}

// isArmored peeks past leading white space for "-----BEGIN ".
func isArmored(br *bufio.Reader) bool {
	for {
		b, err := br.Peek(1)
		if err != nil {
			return false
		}
		switch b[0] {
		case ' ', '\t', '\r', '\n':
			br.ReadByte()
			continue
		}
		p, _ := br.Peek(11)
		return string(p) == "-----BEGIN "
	}
}

func readBinaryKeyring(r io.Reader) (openpgp.EntityList, error) {
	el, err := openpgp.ReadKeyRing(r)
	if err != nil {
		return nil, errkind.Trustf("read key: %w", err)
	}
	if len(el) == 0 {
		return nil, errkind.Trustf("read key: no keys found")
	}
	return el, nil
}

// WritePublic writes the public part of each entity as one armored
// "PGP PUBLIC KEY BLOCK".
func WritePublic(w io.Writer, keys ...*openpgp.Entity) error {
	aw, err := armor.Encode(w, PublicKeyBlock, nil)
	if err != nil {
		return fmt.Errorf("write public key: %w", err)
	}
	for _, e := range keys {
		if err := e.Serialize(aw); err != nil {
			return fmt.Errorf("write public key %s: %w", Fingerprint(e), err)
		}
	}
	if err := aw.Close(); err != nil {
		return fmt.Errorf("write public key: %w", err)
	}
	_, err = io.WriteString(w, "\n")
	return err
}

// WriteSecret writes e, with its secret parts as they are (encrypted or not),
// as an armored "PGP PRIVATE KEY BLOCK".
func WriteSecret(w io.Writer, e *openpgp.Entity) error {
	aw, err := armor.Encode(w, PrivateKeyBlock, nil)
	if err != nil {
		return fmt.Errorf("write secret key: %w", err)
	}
	if err := e.SerializePrivateWithoutSigning(aw, nil); err != nil {
		return fmt.Errorf("write secret key %s: %w", Fingerprint(e), err)
	}
	if err := aw.Close(); err != nil {
		return fmt.Errorf("write secret key: %w", err)
	}
	_, err = io.WriteString(w, "\n")
	return err
}

// ArmorPublic returns the armored public key of e.
func ArmorPublic(e *openpgp.Entity) ([]byte, error) {
	var b bytes.Buffer
	if err := WritePublic(&b, e); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Fingerprint is the primary key's fingerprint in lowercase hex, the name rkt
// gives the key's file in a trust store.
func Fingerprint(e *openpgp.Entity) string {
	return hex.EncodeToString(e.PrimaryKey.Fingerprint)
}

// KeyID formats a 64-bit key ID the way gpg prints it (16 uppercase hex).
func KeyID(id uint64) string { return fmt.Sprintf("%016X", id) }

// FormatFingerprint groups a hex fingerprint the way gpg and rkt show it:
// "XXXX XXXX XXXX XXXX XXXX  XXXX XXXX XXXX XXXX XXXX".
func FormatFingerprint(fp string) string {
	fp = strings.ToUpper(fp)
	var b strings.Builder
	for i := 0; i < len(fp); i += 4 {
		if i > 0 {
			b.WriteByte(' ')
			if i == len(fp)/2 {
				b.WriteByte(' ')
			}
		}
		b.WriteString(fp[i:min(i+4, len(fp))])
	}
	return b.String()
}

// UserIDs lists e's user IDs, primary first, then by name.
func UserIDs(e *openpgp.Entity) []string {
	var ids []string
	primary := ""
	if p := e.PrimaryIdentity(); p != nil {
		primary = p.Name
		ids = append(ids, primary)
	}
	var rest []string
	for name := range e.Identities {
		if name != primary {
			rest = append(rest, name)
		}
	}
	slices.Sort(rest)
	return append(ids, rest...)
}

// Expiry returns when e's primary key expires (zero if never).
func Expiry(e *openpgp.Entity) time.Time {
	sig, _ := e.PrimarySelfSignature()
	if sig == nil || sig.KeyLifetimeSecs == nil || *sig.KeyLifetimeSecs == 0 {
		return time.Time{}
	}
	return e.PrimaryKey.CreationTime.Add(time.Duration(*sig.KeyLifetimeSecs) * time.Second)
}

// IsSecret reports whether e carries secret key material.
func IsSecret(e *openpgp.Entity) bool { return e.PrivateKey != nil }

// Locked reports whether some of e's secret keys still need a passphrase.
func Locked(e *openpgp.Entity) bool {
	if e.PrivateKey != nil && e.PrivateKey.Encrypted {
		return true
	}
	for _, s := range e.Subkeys {
		if s.PrivateKey != nil && s.PrivateKey.Encrypted {
			return true
		}
	}
	return false
}

// ErrWrongPassphrase is returned by Unlock when the passphrase does not
// decrypt the key.
var ErrWrongPassphrase = errors.New("wrong passphrase")

// Unlock decrypts e's secret keys with passphrase.
func Unlock(e *openpgp.Entity, passphrase []byte) error {
	if !Locked(e) {
		return nil
	}
	if err := e.DecryptPrivateKeys(passphrase); err != nil {
		return fmt.Errorf("unlock secret key %s: %w", Fingerprint(e), ErrWrongPassphrase)
	}
	return nil
}

// KeyType names the algorithms Keygen offers.
type KeyType string

// Key types.
const (
	RSA     KeyType = "rsa"
	Ed25519 KeyType = "ed25519"
)

// KeygenOptions describe a new key.
type KeygenOptions struct {
	Name, Email, Comment string
	Type                 KeyType // default RSA
	Bits                 int     // RSA only: 2048, 3072 (default) or 4096
	Lifetime             time.Duration
	// Passphrase encrypts the secret key; nil leaves it unprotected.
	Passphrase []byte
	Now        time.Time // default time.Now()
	Rand       io.Reader // default crypto/rand
}

// Keygen creates a key like `gpg --gen-key` does: a primary key that
// certifies and signs, plus an encryption subkey, one user ID
// "Name (Comment) <Email>".
func Keygen(opts KeygenOptions) (*openpgp.Entity, error) {
	if opts.Name == "" && opts.Email == "" {
		return nil, errkind.Usagef("keygen: a name or an email is needed for the user ID")
	}
	for _, s := range []string{opts.Name, opts.Email, opts.Comment} {
		if strings.ContainsAny(s, "()<>\x00") {
			return nil, errkind.Usagef("keygen: user ID part %q must not contain ()<> or NUL", s)
		}
	}
	if opts.Lifetime < 0 || opts.Lifetime/time.Second > 1<<32-1 {
		return nil, errkind.Usagef("keygen: lifetime %v out of range", opts.Lifetime)
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	cfg := &packet.Config{
		Rand:            opts.Rand,
		Time:            func() time.Time { return now },
		DefaultHash:     crypto.SHA256,
		KeyLifetimeSecs: uint32(opts.Lifetime / time.Second),
	}
	switch opts.Type {
	case RSA, "":
		bits := opts.Bits
		if bits == 0 {
			bits = 3072
		}
		if bits != 2048 && bits != 3072 && bits != 4096 {
			return nil, errkind.Usagef("keygen: rsa key size %d not one of 2048, 3072, 4096", bits)
		}
		cfg.Algorithm, cfg.RSABits = packet.PubKeyAlgoRSA, bits
	case Ed25519:
		if opts.Bits != 0 {
			return nil, errkind.Usagef("keygen: --bits applies to rsa keys only")
		}
		// Legacy EdDSA (algorithm 22) with Curve25519: what gpg 2.2 reads.
		cfg.Algorithm, cfg.Curve = packet.PubKeyAlgoEdDSA, packet.Curve25519
	default:
		return nil, errkind.Usagef("keygen: unknown key type %q (want rsa or ed25519)", opts.Type)
	}
	e, err := openpgp.NewEntity(opts.Name, opts.Comment, opts.Email, cfg)
	if err != nil {
		return nil, fmt.Errorf("generate key: %w", err)
	}
	if opts.Passphrase != nil {
		if err := e.EncryptPrivateKeys(opts.Passphrase, cfg); err != nil {
			return nil, fmt.Errorf("encrypt secret key: %w", err)
		}
	}
	return e, nil
}
