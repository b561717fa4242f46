package pgp

import (
	"bytes"
	"context"
	"crypto"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"

	"github.com/acikit/acikit/internal/errkind"
)

// fixture reads a file of testdata/keys (see its PROVENANCE.md).
func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "keys", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func keyring(t testing.TB, armored []byte) openpgp.EntityList {
	t.Helper()
	el, err := ReadKeyring(bytes.NewReader(armored))
	if err != nil {
		t.Fatalf("ReadKeyring: %v", err)
	}
	return el
}

func genKey(t testing.TB, typ KeyType) *openpgp.Entity {
	t.Helper()
	bits := 0
	if typ == RSA {
		bits = 2048
	}
	e, err := Keygen(KeygenOptions{Name: "Test " + string(typ), Email: "test@example.com", Type: typ, Bits: bits})
	if err != nil {
		t.Fatalf("Keygen(%s): %v", typ, err)
	}
	return e
}

func sign(t testing.TB, key *openpgp.Entity, data []byte) []byte {
	t.Helper()
	var sig bytes.Buffer
	if err := Sign(context.Background(), &sig, bytes.NewReader(data), key); err != nil {
		t.Fatalf("Sign: %v", err)
	}
	return sig.Bytes()
}

// publicOnly round-trips e through its armored public key, as a verifier
// would see it.
func publicOnly(t testing.TB, e *openpgp.Entity) openpgp.EntityList {
	t.Helper()
	b, err := ArmorPublic(e)
	if err != nil {
		t.Fatal(err)
	}
	return keyring(t, b)
}

// issuer is the key ID a signature names.
func issuer(t testing.TB, sig []byte) string {
	t.Helper()
	body, err := readSignature(bytes.NewReader(sig))
	if err != nil {
		t.Fatal(err)
	}
	sigs, err := parseSignatures(body)
	if err != nil {
		t.Fatal(err)
	}
	return KeyID(*sigs[0].IssuerKeyId)
}

func TestSignVerify(t *testing.T) {
	data := []byte("an image, as served\n")
	for _, typ := range []KeyType{RSA, Ed25519} {
		t.Run(string(typ), func(t *testing.T) {
			key := genKey(t, typ)
			sig := sign(t, key, data)
			if !bytes.HasPrefix(sig, []byte("-----BEGIN PGP SIGNATURE-----")) {
				t.Fatalf("Sign wrote %q, want an armored signature", sig)
			}
			s, err := Verify(context.Background(), bytes.NewReader(data), bytes.NewReader(sig), publicOnly(t, key), time.Now())
			if err != nil {
				t.Fatalf("Verify = %v, want nil", err)
			}
			if s.Fingerprint != Fingerprint(key) {
				t.Errorf("Verify signer = %s, want %s", s.Fingerprint, Fingerprint(key))
			}
			if want := "Test " + string(typ) + " <test@example.com>"; len(s.UserIDs) != 1 || s.UserIDs[0] != want {
				t.Errorf("Verify user IDs = %q, want [%q]", s.UserIDs, want)
			}
		})
	}
}

// tamperSig flips one bit inside the signature value and re-armors it, so
// the armor checksum still holds and only the cryptography can notice.
func tamperSig(t *testing.T, sig []byte) []byte {
	t.Helper()
	block, err := armor.Decode(bytes.NewReader(sig))
	if err != nil {
		t.Fatal(err)
	}
	var raw bytes.Buffer
	raw.ReadFrom(block.Body)
	b := raw.Bytes()
	b[len(b)-10] ^= 0x40
	var out bytes.Buffer
	w, _ := armor.Encode(&out, SignatureBlock, nil)
	w.Write(b)
	w.Close()
	return out.Bytes()
}

func TestVerifyRefusals(t *testing.T) {
	data := fixture(t, "hello.txt")
	tutorial := keyring(t, fixture(t, "tutorial.pub.asc"))
	gpgSig := fixture(t, "hello.txt.asc")
	other := genKey(t, Ed25519)

	// A signature that expires one hour after it was made.
	var expiring bytes.Buffer
	past := time.Now().Add(-2 * time.Hour)
	lifetime := uint32(3600)
	old, err := Keygen(KeygenOptions{Name: "Old", Type: Ed25519, Now: past.Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	aw, _ := armor.Encode(&expiring, SignatureBlock, nil)
	if err := openpgp.DetachSign(aw, old, bytes.NewReader(data), &packet.Config{
		Time: func() time.Time { return past }, SigLifetimeSecs: lifetime, DefaultHash: crypto.SHA256,
	}); err != nil {
		t.Fatal(err)
	}
	aw.Close()

	// A key of ours that expires after a day, checked a year later.
	short, err := Keygen(KeygenOptions{Name: "Short", Type: Ed25519, Lifetime: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		data    []byte
		sig     []byte
		keys    openpgp.EntityList
		now     time.Time
		want    error
		wantMsg string
	}{
		{"tampered image", append(bytes.Clone(data), 'x'), gpgSig, tutorial, time.Now(), ErrBadSignature, "signature does not match the data"},
		{"tampered signature", data, tamperSig(t, gpgSig), tutorial, time.Now(), ErrBadSignature, "signature does not match the data"},
		{"truncated signature", data, gpgSig[:len(gpgSig)/2], tutorial, time.Now(), ErrMalformed, "malformed signature"},
		{"not a signature", data, fixture(t, "tutorial.pub.asc"), tutorial, time.Now(), ErrMalformed, `"PGP PUBLIC KEY BLOCK" block`},
		{"empty signature", data, nil, tutorial, time.Now(), ErrMalformed, "malformed signature"},
		{"wrong key", data, gpgSig, publicOnly(t, other), time.Now(), ErrUnknownSigner, "unknown key " + issuer(t, gpgSig)},
		{"expired key", data, fixture(t, "hello.txt.expired.asc"), keyring(t, fixture(t, "expired.pub.asc")), time.Now(), ErrKeyExpired, "key expired on 2020-12-31"},
		{"revoked key", data, fixture(t, "hello.txt.revoked.asc"), keyring(t, fixture(t, "revoked.pub.asc")), time.Now(), ErrKeyRevoked, "key revoked"},
		{"expired signature", data, expiring.Bytes(), publicOnly(t, old), time.Now(), ErrSignatureExpired, "signature expired"},
		{"key expired since", data, sign(t, short, data), publicOnly(t, short), time.Now().AddDate(1, 0, 0), ErrKeyExpired, "key expired on"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Verify(context.Background(), bytes.NewReader(tt.data), bytes.NewReader(tt.sig), tt.keys, tt.now)
			if !errors.Is(err, tt.want) || !errors.Is(err, errkind.Trust) {
				t.Fatalf("Verify = %v, want %v marked errkind.Trust", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("Verify = %q, want it to contain %q", err, tt.wantMsg)
			}
		})
	}
}

func TestVerifyGPGFixture(t *testing.T) {
	tutorial := keyring(t, fixture(t, "tutorial.pub.asc"))
	s, err := Verify(context.Background(), bytes.NewReader(fixture(t, "hello.txt")), bytes.NewReader(fixture(t, "hello.txt.asc")), tutorial, time.Now())
	if err != nil {
		t.Fatalf("Verify = %v, want nil", err)
	}
	if want := Fingerprint(tutorial[0]); s.Fingerprint != want {
		t.Errorf("Verify signer = %s, want %s", s.Fingerprint, want)
	}
	// gpg signs with the signing-capable subkey; the primary is what we trust.
	if s.KeyID == strings.ToUpper(s.Fingerprint[24:]) {
		t.Errorf("Verify key ID = %s, want the subkey's, not the primary's", s.KeyID)
	}
	if want := "Carly Container (ACI signing key) <carly@example.com>"; len(s.UserIDs) == 0 || s.UserIDs[0] != want {
		t.Errorf("Verify user IDs = %q, want [%q]", s.UserIDs, want)
	}
}

func TestUnknownSignerHint(t *testing.T) {
	_, err := Verify(context.Background(), bytes.NewReader(fixture(t, "hello.txt")), bytes.NewReader(fixture(t, "hello.txt.asc")), nil, time.Now())
	err = WithName(err, "example.com/app")
	var u *UnknownSignerError
	if !errors.As(err, &u) {
		t.Fatalf("Verify = %v, want an *UnknownSignerError", err)
	}
	if want := "acsign trust --prefix example.com/app"; !strings.Contains(u.Hint(), want) {
		t.Errorf("Hint() = %q, want it to contain %q", u.Hint(), want)
	}
	if want := `signature made by unknown key ` + issuer(t, fixture(t, "hello.txt.asc")) + ` (no trusted key for "example.com/app" has that ID)`; err.Error() != want {
		t.Errorf("Error() = %q, want %q", err, want)
	}
}

func TestPassphrase(t *testing.T) {
	key, err := Keygen(KeygenOptions{Name: "Locked", Type: Ed25519, Passphrase: []byte("s3cret")})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteSecret(&buf, key); err != nil {
		t.Fatal(err)
	}
	el := keyring(t, buf.Bytes())
	if !Locked(el[0]) {
		t.Fatalf("Locked(read back) = false, want true")
	}
	if err := Sign(context.Background(), &bytes.Buffer{}, strings.NewReader("x"), el[0]); err == nil || !strings.Contains(err.Error(), "locked") {
		t.Errorf("Sign(locked) = %v, want a locked-key error", err)
	}
	if err := Unlock(el[0], []byte("wrong")); !errors.Is(err, ErrWrongPassphrase) {
		t.Errorf("Unlock(wrong) = %v, want ErrWrongPassphrase", err)
	}
	if err := Unlock(el[0], []byte("s3cret")); err != nil {
		t.Fatalf("Unlock(right) = %v, want nil", err)
	}
	sig := sign(t, el[0], []byte("x"))
	if _, err := Verify(context.Background(), strings.NewReader("x"), bytes.NewReader(sig), publicOnly(t, key), time.Now()); err != nil {
		t.Errorf("Verify = %v, want nil", err)
	}
}

func TestKeygenOptions(t *testing.T) {
	tests := []struct {
		name string
		opts KeygenOptions
		want string
	}{
		{"no user id", KeygenOptions{}, "a name or an email"},
		{"bad bits", KeygenOptions{Name: "a", Bits: 1024}, "not one of 2048, 3072, 4096"},
		{"bits on ed25519", KeygenOptions{Name: "a", Type: Ed25519, Bits: 2048}, "rsa keys only"},
		{"unknown type", KeygenOptions{Name: "a", Type: "dsa"}, "unknown key type"},
		{"angle bracket", KeygenOptions{Name: "a<b"}, "must not contain"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Keygen(tt.opts)
			if !errors.Is(err, errkind.Usage) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Keygen(%+v) = %v, want a usage error containing %q", tt.opts, err, tt.want)
			}
		})
	}
}

func TestReadKeyringForms(t *testing.T) {
	pub := fixture(t, "tutorial.pub.asc")
	el := keyring(t, pub)
	var bin bytes.Buffer
	el[0].Serialize(&bin)
	two := append(append(bytes.Clone(pub), '\n'), fixture(t, "expired.pub.asc")...)
	tests := []struct {
		name string
		in   []byte
		want int
	}{
		{"armored", pub, 1},
		{"binary", bin.Bytes(), 1},
		{"two armored blocks", two, 2},
		{"secret", fixture(t, "tutorial.sec.asc"), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadKeyring(bytes.NewReader(tt.in))
			if err != nil || len(got) != tt.want {
				t.Errorf("ReadKeyring = %d keys, %v; want %d keys", len(got), err, tt.want)
			}
		})
	}
	for _, bad := range []string{"", "hello", "-----BEGIN PGP SIGNATURE-----\n\n-----END PGP SIGNATURE-----\n"} {
		if _, err := ReadKeyring(strings.NewReader(bad)); !errors.Is(err, errkind.Trust) {
			t.Errorf("ReadKeyring(%q) = %v, want an errkind.Trust error", bad, err)
		}
	}
}

func TestFormatFingerprint(t *testing.T) {
	got := FormatFingerprint("63db79bf8bc94671a8f7ff5e582e57bf9a82e849")
	if want := "63DB 79BF 8BC9 4671 A8F7  FF5E 582E 57BF 9A82 E849"; got != want {
		t.Errorf("FormatFingerprint = %q, want %q", got, want)
	}
}

func TestVerifyCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Verify(ctx, bytes.NewReader(fixture(t, "hello.txt")), bytes.NewReader(fixture(t, "hello.txt.asc")), keyring(t, fixture(t, "tutorial.pub.asc")), time.Now())
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Verify(cancelled) = %v, want context.Canceled", err)
	}
}

// failingReader returns some data, then err.
type failingReader struct {
	data []byte
	err  error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, f.err
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

// A data source that cannot be read is an I/O failure: reporting it as a
// bad signature would exit with the trust status and blame the publisher.
func TestVerifyReadError(t *testing.T) {
	ioErr := errors.New("input/output error")
	data := &failingReader{data: fixture(t, "hello.txt")[:3], err: ioErr}
	_, err := Verify(context.Background(), data, bytes.NewReader(fixture(t, "hello.txt.asc")), keyring(t, fixture(t, "tutorial.pub.asc")), time.Now())
	if !errors.Is(err, ioErr) {
		t.Errorf("Verify(failing data) = %v, want it to wrap %v", err, ioErr)
	}
	if errors.Is(err, errkind.Trust) || errors.Is(err, ErrBadSignature) {
		t.Errorf("Verify(failing data) = %v, marked as a trust failure, want a plain I/O error", err)
	}
}

func TestSignatureNames(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want []string
	}{
		{"a/hello.aci", []string{"a/hello.aci.asc"}},
		{"hello.tar.gz", []string{"hello.tar.gz.asc", "hello.tar.gz.aci.asc"}},
		{"hello", []string{"hello.asc", "hello.aci.asc"}},
		{"/x/hello.aci.tar", []string{"/x/hello.aci.tar.asc", "/x/hello.aci.tar.aci.asc"}},
	} {
		if got := SignatureNames(tt.in); strings.Join(got, " ") != strings.Join(tt.want, " ") {
			t.Errorf("SignatureNames(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := SignatureName(tt.in); got != tt.want[0] {
			t.Errorf("SignatureName(%q) = %q, want %q", tt.in, got, tt.want[0])
		}
	}
}
