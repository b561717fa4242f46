package pgp

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/acikit/acikit/internal/testutil"
)

// gpgHome runs a real gpg in a throwaway GNUPGHOME under t.TempDir().
type gpgHome struct {
	t    testing.TB
	bin  string
	home string
}

func newGPG(t testing.TB) *gpgHome {
	t.Helper()
	bin := testutil.RequireCommand(t, "gpg", "gnupg")
	// A short path: gpg-agent's socket must fit in sun_path.
	home, err := os.MkdirTemp("", "gpg")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(home, 0o700)
	t.Cleanup(func() {
		c := exec.Command("gpgconf", "--kill", "all")
		c.Env = append(os.Environ(), "GNUPGHOME="+home)
		c.Run()
		os.RemoveAll(home)
	})
	return &gpgHome{t: t, bin: bin, home: home}
}

// run runs gpg in batch mode and returns its combined output; want says
// whether it must succeed.
func (g *gpgHome) run(want bool, stdin []byte, args ...string) string {
	g.t.Helper()
	args = append([]string{"--batch", "--no-tty", "--pinentry-mode", "loopback", "--passphrase", "", "--yes"}, args...)
	cmd := exec.Command(g.bin, args...)
	cmd.Env = append(os.Environ(), "GNUPGHOME="+g.home, "LC_ALL=C")
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	out, err := cmd.CombinedOutput()
	if (err == nil) != want {
		g.t.Fatalf("gpg %s: err = %v, want success %v\n%s", strings.Join(args, " "), err, want, out)
	}
	return string(out)
}

func (g *gpgHome) export(who string) []byte {
	g.t.Helper()
	cmd := exec.Command(g.bin, "--batch", "--armor", "--export", who)
	cmd.Env = append(os.Environ(), "GNUPGHOME="+g.home)
	out, err := cmd.Output()
	if err != nil || len(out) == 0 {
		g.t.Fatalf("gpg --export %s: %v", who, err)
	}
	return out
}

func (g *gpgHome) fingerprint(who string) string {
	g.t.Helper()
	for _, line := range strings.Split(g.run(true, nil, "--with-colons", "--list-keys", who), "\n") {
		if f := strings.Split(line, ":"); f[0] == "fpr" {
			return strings.ToLower(f[9])
		}
	}
	g.t.Fatalf("no fingerprint for %s", who)
	return ""
}

func writeFile(t testing.TB, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// Our keygen and sign; gpg --verify must pass.
func TestGPGVerifiesOurSignature(t *testing.T) {
	for _, typ := range []KeyType{RSA, Ed25519} {
		t.Run(string(typ), func(t *testing.T) {
			g := newGPG(t)
			dir := t.TempDir()
			key := genKey(t, typ)
			pub, err := ArmorPublic(key)
			if err != nil {
				t.Fatal(err)
			}
			g.run(true, pub, "--import")
			data := bytes.Repeat([]byte("image bytes "), 100000)
			img := writeFile(t, dir, "img.aci", data)
			sig := writeFile(t, dir, "img.aci.asc", sign(t, key, data))
			out := g.run(true, nil, "--verify", sig, img)
			if !strings.Contains(out, "Good signature") {
				t.Errorf("gpg --verify output = %q, want Good signature", out)
			}
			// And gpg notices a change.
			writeFile(t, dir, "img.aci", append(data, '!'))
			out = g.run(false, nil, "--verify", sig, img)
			if !strings.Contains(out, "BAD signature") {
				t.Errorf("gpg --verify (tampered) output = %q, want BAD signature", out)
			}
		})
	}
}

// A key from the tutorial's batch file and a signature by gpg; ours verifies.
func TestWeVerifyGPGSignature(t *testing.T) {
	tests := []struct {
		name, who string
		gen       []string
	}{
		{"tutorial rsa2048 key and subkey", "carly@example.com", []string{"--gen-key", filepath.Join("..", "..", "testdata", "keys", "tutorial.batch")}},
		{"ed25519", "ed@example.com", []string{"--quick-gen-key", "Ed <ed@example.com>", "ed25519", "sign", "never"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newGPG(t)
			dir := t.TempDir()
			g.run(true, nil, tt.gen...)
			data := bytes.Repeat([]byte{0, 1, 2, 3}, 300000)
			img := writeFile(t, dir, "img.aci", data)
			g.run(true, nil, "--local-user", tt.who, "--armor", "--detach-sig", img)
			sig, err := os.ReadFile(img + ".asc")
			if err != nil {
				t.Fatal(err)
			}
			keys := keyring(t, g.export(tt.who))
			s, err := Verify(context.Background(), bytes.NewReader(data), bytes.NewReader(sig), keys, time.Now())
			if err != nil {
				t.Fatalf("Verify = %v, want nil", err)
			}
			if want := g.fingerprint(tt.who); s.Fingerprint != want {
				t.Errorf("Verify signer = %s, want %s", s.Fingerprint, want)
			}
			_, err = Verify(context.Background(), bytes.NewReader(data[1:]), bytes.NewReader(sig), keys, time.Now())
			if !errors.Is(err, ErrBadSignature) {
				t.Errorf("Verify(tampered) = %v, want ErrBadSignature", err)
			}
		})
	}
}

// A key revoked with gpg's revocation certificate, and one that expired.
func TestGPGRevokedAndExpired(t *testing.T) {
	g := newGPG(t)
	dir := t.TempDir()
	data := []byte("payload\n")
	img := writeFile(t, dir, "img", data)

	g.run(true, nil, "--quick-gen-key", "Rev <rev@example.com>", "rsa2048", "sign", "never")
	g.run(true, nil, "--local-user", "rev@example.com", "--armor", "--detach-sig", "--output", img+".rev.asc", img)
	fp := strings.ToUpper(g.fingerprint("rev@example.com"))
	cert, err := os.ReadFile(filepath.Join(g.home, "openpgp-revocs.d", fp+".rev"))
	if err != nil {
		t.Fatal(err)
	}
	// gpg guards the stored certificate with a leading ':'.
	g.run(true, bytes.Replace(cert, []byte(":-----BEGIN"), []byte("-----BEGIN"), 1), "--import")

	g.run(true, nil, "--faked-system-time", "20200101T000000", "--quick-gen-key", "Exp <exp@example.com>", "rsa2048", "sign", "1d")
	g.run(true, nil, "--faked-system-time", "20200101T120000", "--local-user", "exp@example.com", "--armor", "--detach-sig", "--output", img+".exp.asc", img)

	tests := []struct {
		who, sig string
		want     error
	}{
		{"rev@example.com", img + ".rev.asc", ErrKeyRevoked},
		{"exp@example.com", img + ".exp.asc", ErrKeyExpired},
	}
	for _, tt := range tests {
		t.Run(tt.who, func(t *testing.T) {
			sig, err := os.ReadFile(tt.sig)
			if err != nil {
				t.Fatal(err)
			}
			_, err = Verify(context.Background(), bytes.NewReader(data), bytes.NewReader(sig), keyring(t, g.export(tt.who)), time.Now())
			if !errors.Is(err, tt.want) {
				t.Errorf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}
