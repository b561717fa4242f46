package pgp

import (
	"bytes"
	"context"
	"testing"
	"time"
)

func FuzzReadKeyring(f *testing.F) {
	for _, name := range []string{"tutorial.pub.asc", "tutorial.sec.asc", "expired.pub.asc", "revoked.pub.asc"} {
		f.Add(fixture(f, name))
	}
	f.Add([]byte("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n=AAAA\n-----END PGP PUBLIC KEY BLOCK-----\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		el, err := ReadKeyring(bytes.NewReader(b))
		if err == nil && len(el) == 0 {
			t.Fatalf("ReadKeyring = no keys and no error")
		}
		for _, e := range el {
			Fingerprint(e)
			UserIDs(e)
			Expiry(e)
		}
	})
}

func FuzzVerify(f *testing.F) {
	data := fixture(f, "hello.txt")
	keys := keyring(f, fixture(f, "tutorial.pub.asc"))
	for _, name := range []string{"hello.txt.asc", "hello.txt.expired.asc", "hello.txt.revoked.asc"} {
		f.Add(fixture(f, name))
	}
	f.Add([]byte{0x88, 0x00})
	f.Fuzz(func(t *testing.T, sig []byte) {
		s, err := Verify(context.Background(), bytes.NewReader(data), bytes.NewReader(sig), keys, time.Now())
		if err == nil && s.Fingerprint != Fingerprint(keys[0]) {
			t.Fatalf("Verify = signer %s, want %s or an error", s.Fingerprint, Fingerprint(keys[0]))
		}
	})
}
