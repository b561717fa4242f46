package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/acikit/acikit/internal/testutil"
)

func acsign(t *testing.T, stdin []byte, args ...string) testutil.Result {
	t.Helper()
	return testutil.Run(t, stdin, testutil.Binary(t, "acsign"), args...)
}

// ok fails the test unless r succeeded.
func ok(t *testing.T, r testutil.Result, what string) {
	t.Helper()
	if r.Code != 0 {
		t.Fatalf("%s: exit %d, want 0\nstdout: %s\nstderr: %s", what, r.Code, r.Stdout, r.Stderr)
	}
}

func TestHelpGolden(t *testing.T) {
	for _, cmd := range [][]string{{}, {"keygen"}, {"sign"}, {"verify"}, {"trust"}, {"trust", "list"}, {"trust", "rm"}, {"export"}} {
		name := strings.Join(append([]string{"acsign"}, cmd...), "-")
		t.Run(name, func(t *testing.T) {
			r := acsign(t, nil, append(cmd, "--help")...)
			ok(t, r, name+" --help")
			for _, line := range strings.Split(r.Stdout, "\n") {
				if strings.Count(line, "default") > 1 {
					t.Errorf("%s --help line %q shows more than one default", name, line)
				}
			}
			testutil.Golden(t, filepath.Join("testdata", name+".golden"), []byte(r.Stdout))
		})
	}
}

// makeACI writes a minimal gzipped image named name with extra bytes in its
// rootfs, so signatures cover something.
func makeACI(t *testing.T, path, name string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	manifest := fmt.Sprintf(`{"acKind":"ImageManifest","acVersion":"0.8.11","name":%q,"labels":[{"name":"os","value":"linux"},{"name":"arch","value":"amd64"}]}`, name)
	tw.WriteHeader(&tar.Header{Name: "manifest", Mode: 0o644, Size: int64(len(manifest)), Typeflag: tar.TypeReg})
	tw.Write([]byte(manifest))
	tw.WriteHeader(&tar.Header{Name: "rootfs/", Mode: 0o755, Typeflag: tar.TypeDir})
	data := bytes.Repeat([]byte("payload "), 4096)
	tw.WriteHeader(&tar.Header{Name: "rootfs/data", Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg})
	tw.Write(data)
	tw.Close()
	zw.Close()
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// gpg runs a real gpg in a throwaway GNUPGHOME.
type gpg struct {
	t    *testing.T
	home string
}

func newGPG(t *testing.T) *gpg {
	t.Helper()
	testutil.RequireCommand(t, "gpg", "gnupg")
	home, err := os.MkdirTemp("", "gpg") // short: the agent socket path is limited
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
	return &gpg{t: t, home: home}
}

func (g *gpg) run(want bool, args ...string) string {
	g.t.Helper()
	args = append([]string{"--batch", "--no-tty", "--pinentry-mode", "loopback", "--passphrase", "", "--yes"}, args...)
	cmd := exec.Command("gpg", args...)
	cmd.Env = append(os.Environ(), "GNUPGHOME="+g.home, "LC_ALL=C")
	out, err := cmd.CombinedOutput()
	if (err == nil) != want {
		g.t.Fatalf("gpg %s: %v (want success %v)\n%s", strings.Join(args, " "), err, want, out)
	}
	return string(out)
}

func (g *gpg) fingerprint(who string) string {
	g.t.Helper()
	for _, line := range strings.Split(g.run(true, "--with-colons", "--list-keys", who), "\n") {
		if f := strings.Split(line, ":"); f[0] == "fpr" {
			return strings.ToLower(f[9])
		}
	}
	g.t.Fatalf("no fingerprint for %s", who)
	return ""
}

// Our keygen and sign, then gpg --verify; also through stdin and stdout.
func TestGPGVerifiesOurs(t *testing.T) {
	for _, typ := range []string{"rsa", "ed25519"} {
		t.Run(typ, func(t *testing.T) {
			g := newGPG(t)
			dir := t.TempDir()
			sec, pub, img := filepath.Join(dir, "secret.asc"), filepath.Join(dir, "pubkeys.gpg"), filepath.Join(dir, "app.aci")
			args := []string{"keygen", "--name", "Acsign Test", "--email", "test@example.com", "--type", typ,
				"--passphrase-file", writeFile(t, dir, "pass", "correct horse\n"), "--secret-out", sec, "--public-out", pub}
			if typ == "rsa" {
				args = append(args, "--bits", "2048")
			}
			r := acsign(t, nil, args...)
			ok(t, r, "keygen")
			if st, err := os.Stat(sec); err != nil || st.Mode().Perm() != 0o600 {
				t.Fatalf("secret key mode = %v (%v), want 0600", st.Mode().Perm(), err)
			}
			data := makeACI(t, img, "example.com/app")
			ok(t, acsign(t, nil, "sign", "--key", sec, "--passphrase-file", filepath.Join(dir, "pass"), img), "sign")
			g.run(true, "--import", pub)
			if out := g.run(true, "--verify", img+".asc", img); !strings.Contains(out, "Good signature") {
				t.Errorf("gpg --verify = %q, want Good signature", out)
			}
			// sign - reads stdin and writes the signature to stdout.
			r = acsign(t, data, "sign", "--key", sec, "--passphrase-file", filepath.Join(dir, "pass"), "-")
			ok(t, r, "sign -")
			sig2 := writeFile(t, dir, "stdout.asc", r.Stdout)
			g.run(true, "--verify", sig2, img)
			// A wrong passphrase is refused.
			r = acsign(t, nil, "sign", "--key", sec, "--passphrase-file", writeFile(t, dir, "bad", "nope"), "-o", "-", img)
			if r.Code == 0 || !strings.Contains(r.Stderr, "wrong passphrase") {
				t.Errorf("sign with a wrong passphrase: exit %d, stderr %q; want a wrong passphrase error", r.Code, r.Stderr)
			}
		})
	}
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// The tutorial flow with gpg as the publisher, and every refusal.
func TestTutorialWithGPG(t *testing.T) {
	g := newGPG(t)
	dir := t.TempDir()
	td, sys := filepath.Join(dir, "trustedkeys"), filepath.Join(dir, "system")
	store := []string{"--trust-dir", td, "--system-trust-dir", sys}
	repo := testutil.RepoRoot(t)

	g.run(true, "--gen-key", filepath.Join(repo, "testdata", "keys", "tutorial.batch"))
	pubkeys := filepath.Join(dir, "pubkeys.gpg")
	g.run(true, "--armor", "--output", pubkeys, "--export", "carly@example.com")
	fp := g.fingerprint("carly@example.com")

	img := filepath.Join(dir, "app.aci")
	data := makeACI(t, img, "example.com/app")
	g.run(true, "--armor", "--detach-sig", img)

	// Without review or a terminal, nothing is trusted.
	r := acsign(t, nil, append(append([]string{"trust"}, store...), "--prefix", "example.com/app", pubkeys)...)
	if r.Code != 4 || !strings.Contains(r.Stderr, "--skip-fingerprint-review") {
		t.Errorf("trust without review: exit %d, stderr %q; want 4 and a hint", r.Code, r.Stderr)
	}

	r = acsign(t, nil, append(append([]string{"trust"}, store...), "--prefix", "example.com/app", "--skip-fingerprint-review", pubkeys)...)
	ok(t, r, "trust")
	// rkt's layout, byte for byte.
	keyFile := filepath.Join(td, "prefix.d", "example.com", "app", fp)
	if want := fp + "\t" + keyFile + "\n"; r.Stdout != want {
		t.Errorf("trust stdout = %q, want %q", r.Stdout, want)
	}
	got, err := os.ReadFile(keyFile)
	want, _ := os.ReadFile(pubkeys)
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("%s differs from pubkeys.gpg (err %v)", keyFile, err)
	}

	r = acsign(t, nil, append(append([]string{"verify"}, store...), img)...)
	ok(t, r, "verify")
	if want := fp + "\tCarly Container (ACI signing key) <carly@example.com>\n"; r.Stdout != want {
		t.Errorf("verify stdout = %q, want %q", r.Stdout, want)
	}
	// Image on stdin, keys chosen by --name.
	r = acsign(t, data, append(append([]string{"verify"}, store...), "--name", "example.com/app/sub", "-", img+".asc")...)
	ok(t, r, "verify -")

	// Refusals. Each case gets its own image and key setup.
	other := newGPG(t)
	other.run(true, "--quick-gen-key", "Mallory <m@example.com>", "ed25519", "sign", "never")
	g.run(true, "--faked-system-time", "20200101T000000", "--quick-gen-key", "Old <old@example.com>", "rsa2048", "sign", "1d")
	g.run(true, "--quick-gen-key", "Rev <rev@example.com>", "rsa2048", "sign", "never")

	mk := func(name, signer string, by *gpg, extra ...string) string {
		p := filepath.Join(dir, strings.NewReplacer("/", "_", ".", "_").Replace(name)+"-"+strings.Split(signer, "@")[0]+".aci")
		makeACI(t, p, name)
		by.run(true, append(append(extra, "--local-user", signer, "--armor", "--detach-sig"), p)...)
		return p
	}
	trustKey := func(prefix, who string, by *gpg) {
		f := filepath.Join(dir, "key-"+strings.Split(who, "@")[0]+".asc")
		by.run(true, "--armor", "--output", f, "--export", who)
		ok(t, acsign(t, nil, append(append([]string{"trust"}, store...), "--prefix", prefix, "--skip-fingerprint-review", f)...), "trust "+who)
	}
	trustKey("example.com/foo", "carly@example.com", g)
	trustKey("example.com/old", "old@example.com", g)
	trustKey("example.com/rev", "rev@example.com", g)

	tamperedImg := filepath.Join(dir, "tampered.aci")
	os.WriteFile(tamperedImg, append(bytes.Clone(data), 0), 0o644)
	os.Link(img+".asc", tamperedImg+".asc")

	sigBytes, _ := os.ReadFile(img + ".asc")
	tamperedSig := filepath.Join(dir, "app.aci.bad.asc")
	os.WriteFile(tamperedSig, tamperArmored(t, sigBytes), 0o644)

	revImg := mk("example.com/rev", "rev@example.com", g)
	revFP := strings.ToUpper(g.fingerprint("rev@example.com"))
	cert, err := os.ReadFile(filepath.Join(g.home, "openpgp-revocs.d", revFP+".rev"))
	if err != nil {
		t.Fatal(err)
	}
	g.run(true, "--import", writeFile(t, dir, "rev.asc", strings.Replace(string(cert), ":-----BEGIN", "-----BEGIN", 1)))
	trustKey("example.com/rev", "rev@example.com", g) // now the revoked key

	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantMsg  string
	}{
		{"tampered image", []string{tamperedImg}, 4, "signature does not match the data"},
		{"tampered signature", []string{img, tamperedSig}, 4, "signature does not match the data"},
		{"wrong key", []string{mk("example.com/app", "m@example.com", other)}, 4, "signature made by unknown key"},
		{"other prefix", []string{mk("example.com/bar", "carly@example.com", g)}, 4, `no trusted key for "example.com/bar"`},
		{"foo vs foobar", []string{mk("example.com/foobar", "carly@example.com", g)}, 4, `no trusted key for "example.com/foobar"`},
		{"foo/bar is under foo", []string{mk("example.com/foo/bar", "carly@example.com", g)}, 0, ""},
		{"expired key", []string{mk("example.com/old", "old@example.com", g, "--faked-system-time", "20200101T010000")}, 4, "key expired on 2020-01-02"},
		{"revoked key", []string{revImg}, 4, "key revoked"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := acsign(t, nil, append(append([]string{"verify"}, store...), tt.args...)...)
			if r.Code != tt.wantCode || !strings.Contains(r.Stderr, tt.wantMsg) {
				t.Errorf("verify %s: exit %d, stderr %q; want %d and %q", tt.args, r.Code, r.Stderr, tt.wantCode, tt.wantMsg)
			}
		})
	}
	t.Run("unknown signer hint", func(t *testing.T) {
		r := acsign(t, nil, append(append([]string{"verify"}, store...), mk("example.com/bar", "carly@example.com", g))...)
		if !strings.Contains(r.Stderr, "hint: if you trust the publisher, add their key with: acsign trust --prefix example.com/bar") {
			t.Errorf("verify stderr = %q, want a trust hint naming the prefix", r.Stderr)
		}
	})
}

// tamperArmored flips a bit in the signature value and re-armors it with
// gpg's own dearmor/enarmor, keeping the armor checksum valid.
func tamperArmored(t *testing.T, sig []byte) []byte {
	t.Helper()
	g := newGPG(t)
	dir := t.TempDir()
	in := writeFile(t, dir, "sig.asc", string(sig))
	g.run(true, "--output", in+".bin", "--dearmor", in)
	b, _ := os.ReadFile(in + ".bin")
	b[len(b)-10] ^= 0x40
	os.WriteFile(in+".bin", b, 0o644)
	g.run(true, "--output", in+".out", "--enarmor", in+".bin")
	out, _ := os.ReadFile(in + ".out")
	// --enarmor writes an "ARMORED FILE" block; a signature block is wanted.
	return []byte(strings.ReplaceAll(string(out), "PGP ARMORED FILE", "PGP SIGNATURE"))
}

// trust rm deletes a local key; a system key is masked with an empty file.
func TestTrustRemoveAndMask(t *testing.T) {
	dir := t.TempDir()
	td, sys := filepath.Join(dir, "local"), filepath.Join(dir, "system")
	repo := testutil.RepoRoot(t)
	pub := filepath.Join(repo, "testdata", "keys", "tutorial.pub.asc")
	ok(t, acsign(t, nil, "trust", "--trust-dir", sys, "--system-trust-dir", "", "--root", "--skip-fingerprint-review", pub), "trust into the system tree")
	store := []string{"--trust-dir", td, "--system-trust-dir", sys}

	r := acsign(t, nil, append([]string{"trust", "list"}, store...)...)
	ok(t, r, "trust list")
	fields := strings.Split(strings.TrimSpace(r.Stdout), "\t")
	if len(fields) != 5 || fields[0] != "root" || fields[4] != "system" {
		t.Fatalf("trust list = %q, want one system root key", r.Stdout)
	}
	fp := fields[2]

	img, sig := filepath.Join(repo, "testdata", "keys", "hello.txt"), filepath.Join(repo, "testdata", "keys", "hello.txt.asc")
	ok(t, acsign(t, nil, append(append([]string{"verify"}, store...), "--name", "example.com/x", img, sig)...), "verify with a system key")

	ok(t, acsign(t, nil, append(append([]string{"trust", "rm"}, store...), fp)...), "trust rm")
	if st, err := os.Stat(filepath.Join(td, "root.d", fp)); err != nil || st.Size() != 0 {
		t.Fatalf("trust rm of a system key: mask file = %v, %v; want an empty file", st, err)
	}
	r = acsign(t, nil, append(append([]string{"verify"}, store...), "--name", "example.com/x", img, sig)...)
	if r.Code != 4 {
		t.Errorf("verify with a masked key: exit %d, want 4", r.Code)
	}
	if r := acsign(t, nil, append([]string{"trust", "list"}, store...)...); r.Stdout != "" {
		t.Errorf("trust list after masking = %q, want nothing", r.Stdout)
	}
	if r := acsign(t, nil, append(append([]string{"trust", "rm"}, store...), fp)...); r.Code != 5 {
		t.Errorf("trust rm twice: exit %d, want 5", r.Code)
	}
	// Local keys are deleted outright.
	ok(t, acsign(t, nil, append(append([]string{"trust"}, store...), "--prefix", "example.com", "--skip-fingerprint-review", pub)...), "trust local")
	ok(t, acsign(t, nil, append(append([]string{"trust", "rm"}, store...), "--prefix", "example.com", fp)...), "trust rm local")
	if _, err := os.Stat(filepath.Join(td, "prefix.d", "example.com", fp)); !os.IsNotExist(err) {
		t.Errorf("trust rm of a local key left the file: %v", err)
	}
}

// Keys by URL: http only with --insecure-options=http; by discovery.
func TestTrustURLAndDiscovery(t *testing.T) {
	repo := testutil.RepoRoot(t)
	pub, err := os.ReadFile(filepath.Join(repo, "testdata", "keys", "tutorial.pub.asc"))
	if err != nil {
		t.Fatal(err)
	}
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/pubkeys.gpg":
			w.Write(pub)
		case r.URL.Query().Get("ac-discovery") == "1":
			fmt.Fprintf(w, `<html><head><meta name="ac-discovery-pubkeys" content="127.0.0.1/app %s/pubkeys.gpg"></head></html>`, srv.URL)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	port := srv.URL[strings.LastIndex(srv.URL, ":")+1:]
	dir := t.TempDir()
	store := []string{"--trust-dir", filepath.Join(dir, "td"), "--system-trust-dir", ""}
	base := append(append([]string{"trust"}, store...), "--prefix", "example.com/app", "--skip-fingerprint-review")

	r := acsign(t, nil, append(base, srv.URL+"/pubkeys.gpg")...)
	if r.Code != 2 || !strings.Contains(r.Stderr, "--insecure-options=http") {
		t.Errorf("trust http URL: exit %d, stderr %q; want 2 and the flag named", r.Code, r.Stderr)
	}
	ok(t, acsign(t, nil, append(append(base[:len(base):len(base)], "--insecure-options=http"), srv.URL+"/pubkeys.gpg")...), "trust http URL with the flag")

	disc := append(append([]string{"trust"}, store...), "--prefix", "127.0.0.1/app", "--skip-fingerprint-review",
		"--insecure-options=http", "--discovery-port", port)
	r = acsign(t, nil, disc...)
	ok(t, r, "trust by discovery")
	if !strings.Contains(r.Stdout, filepath.Join("prefix.d", "127.0.0.1", "app")) {
		t.Errorf("trust by discovery stdout = %q, want a key under prefix.d/127.0.0.1/app", r.Stdout)
	}
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"trust", "--root", "--prefix", "x", "k"}, "exclude each other"},
		{[]string{"trust", "k"}, "give --prefix NAME or --root"},
		{[]string{"trust", "--prefix", "https://example.com/x", "k"}, "not a URL"},
		{[]string{"keygen", "--name", "x"}, "needs a passphrase"},
		{[]string{"keygen", "--name", "x", "--no-passphrase", "--expire", "soon"}, "--expire"},
		{[]string{"verify", "-"}, "give SIG"},
		{[]string{"verify", "/dev/null", "sig"}, "not a regular file"},
		{[]string{"sign", "--key", "k", "a", "--overwrite"}, "flags go before arguments"},
		{[]string{"sign", "--key", "-", "-o", "x.asc", "-"}, "only one of the key, the image and the passphrase file"},
		{[]string{"sign", "--key", "-", "-"}, "only one of the key, the image and the passphrase file"},
		{[]string{"sign", "--key", "k", "--passphrase-file", "-", "-"}, "only one of the key, the image and the passphrase file"},
		{[]string{"keygen", "--name", "x", "--passphrase-file", "/dev/zero"}, "too large"},
		{[]string{"verify", "--keyring", "k", "--trust-dir", "d", "img"}, "--keyring excludes"},
		{[]string{"export"}, "export needs --key"},
		{[]string{"sign", "img"}, "sign needs --key"},
		{[]string{"sign", "img", "--key", "k"}, "flag --key after argument \"img\""},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := acsign(t, []byte{}, tt.args...)
			if r.Code != 2 || !strings.Contains(r.Stderr, tt.want) {
				t.Errorf("acsign %v: exit %d, stderr %q; want 2 and %q", tt.args, r.Code, r.Stderr, tt.want)
			}
			// One line, and a pointer to the help: nothing on stdout.
			if r.Stdout != "" || strings.Count(r.Stderr, "\n") != 2 {
				t.Errorf("acsign %v: stdout %q, stderr %q; want one error line and the help pointer", tt.args, r.Stdout, r.Stderr)
			}
		})
	}
}

// $ACIKIT_TRUST_DIR in a user's profile must not make --keyring a usage
// error: only a --trust-dir given on the command line conflicts with it.
func TestVerifyKeyringWithTrustDirEnv(t *testing.T) {
	repo := testutil.RepoRoot(t)
	keys := filepath.Join(repo, "testdata", "keys")
	t.Setenv("ACIKIT_TRUST_DIR", t.TempDir())
	r := acsign(t, nil, "verify", "--keyring", filepath.Join(keys, "tutorial.pub.asc"), filepath.Join(keys, "hello.txt"))
	ok(t, r, "verify --keyring with $ACIKIT_TRUST_DIR set")
	if !strings.HasPrefix(r.Stdout, "899a11432652c38cd562f8ef45f63c9e34a0d876\t") {
		t.Errorf("verify --keyring stdout = %q, want the tutorial key's fingerprint", r.Stdout)
	}
}

// An image that cannot be read is an I/O failure (exit 1), not a bad
// signature (exit 4).
func TestVerifyUnreadableImage(t *testing.T) {
	repo := testutil.RepoRoot(t)
	keys := filepath.Join(repo, "testdata", "keys")
	r := acsign(t, nil, "verify", "--keyring", filepath.Join(keys, "tutorial.pub.asc"), t.TempDir(), filepath.Join(keys, "hello.txt.asc"))
	if r.Code != 1 || !strings.Contains(r.Stderr, "is a directory") {
		t.Errorf("verify DIR SIG: exit %d, stderr %q; want 1 and the read error", r.Code, r.Stderr)
	}
}

// --passphrase-file - reads the passphrase from stdin, like every other
// file argument.
func TestPassphraseFromStdin(t *testing.T) {
	dir := t.TempDir()
	sec, pub, img := filepath.Join(dir, "secret.asc"), filepath.Join(dir, "pubkeys.gpg"), filepath.Join(dir, "app.aci")
	ok(t, acsign(t, []byte("stdin secret\n"), "keygen", "--name", "T", "--email", "t@example.com", "--type", "ed25519",
		"--passphrase-file", "-", "--secret-out", sec, "--public-out", pub), "keygen --passphrase-file -")
	makeACI(t, img, "example.com/app")
	ok(t, acsign(t, []byte("stdin secret\n"), "sign", "--key", sec, "--passphrase-file", "-", img), "sign --passphrase-file -")
	ok(t, acsign(t, nil, "verify", "--keyring", pub, img), "verify")
	if r := acsign(t, []byte("other\n"), "sign", "--key", sec, "--passphrase-file", "-", "--overwrite", img); r.Code == 0 || !strings.Contains(r.Stderr, "wrong passphrase") {
		t.Errorf("sign with a wrong passphrase on stdin: exit %d, stderr %q; want a wrong passphrase error", r.Code, r.Stderr)
	}
}

// --trust-dir given to "trust" before list or rm beats $ACIKIT_TRUST_DIR;
// a trust flag that list or rm does not take is refused.
func TestTrustDirBeforeSubcommand(t *testing.T) {
	dir := t.TempDir()
	td, envDir := filepath.Join(dir, "given"), filepath.Join(dir, "env")
	pub := filepath.Join(testutil.RepoRoot(t), "testdata", "keys", "tutorial.pub.asc")
	for _, d := range []string{td, envDir} {
		ok(t, acsign(t, nil, "trust", "--trust-dir", d, "--system-trust-dir", "", "--root", "--skip-fingerprint-review", pub), "trust into "+d)
	}
	t.Setenv("ACIKIT_TRUST_DIR", envDir)
	t.Setenv("ACIKIT_SYSTEM_TRUST_DIR", "")
	r := acsign(t, nil, "trust", "--trust-dir", td, "list", "--json")
	ok(t, r, "trust --trust-dir T list")
	if !strings.Contains(r.Stdout, td) || strings.Contains(r.Stdout, envDir) {
		t.Errorf("trust --trust-dir T list = %q, want the keys of %s only", r.Stdout, td)
	}
	fp := strings.Split(strings.TrimSpace(acsign(t, nil, "trust", "list").Stdout), "\t")[2]
	ok(t, acsign(t, nil, "trust", "--trust-dir", td, "rm", fp), "trust --trust-dir T rm")
	if _, err := os.Stat(filepath.Join(td, "root.d", fp)); !os.IsNotExist(err) {
		t.Errorf("trust --trust-dir T rm left %s in T: %v", fp, err)
	}
	if _, err := os.Stat(filepath.Join(envDir, "root.d", fp)); err != nil {
		t.Errorf("trust --trust-dir T rm touched $ACIKIT_TRUST_DIR: %v", err)
	}
	r = acsign(t, nil, "trust", "--root", "rm", fp)
	if r.Code != 2 || !strings.Contains(r.Stderr, "--root") {
		t.Errorf("trust --root rm: exit %d, stderr %q; want a usage error naming --root", r.Code, r.Stderr)
	}
}

// An existing output is refused in one line that names --overwrite.
func TestExistsSaysOverwrite(t *testing.T) {
	dir := t.TempDir()
	sec, pub := filepath.Join(dir, "secret.asc"), filepath.Join(dir, "pubkeys.gpg")
	ok(t, acsign(t, nil, "keygen", "--name", "x", "--type", "ed25519", "--no-passphrase", "--secret-out", sec, "--public-out", pub), "keygen")
	img := filepath.Join(dir, "img.aci")
	os.WriteFile(img, []byte("image"), 0o644)
	os.WriteFile(img+".asc", []byte("mine"), 0o644)
	for _, args := range [][]string{
		{"keygen", "--name", "x", "--type", "ed25519", "--no-passphrase", "--secret-out", sec, "--public-out", filepath.Join(dir, "new.gpg")},
		{"sign", "--key", sec, img},
	} {
		r := acsign(t, nil, args...)
		if r.Code != 1 || strings.Count(r.Stderr, "\n") != 1 || !strings.HasSuffix(r.Stderr, ": file exists (use --overwrite to replace it)\n") {
			t.Errorf("acsign %s: exit %d, stderr %q; want one line ending in the --overwrite hint", strings.Join(args, " "), r.Code, r.Stderr)
		}
	}
}

// A missing input file exits 5 (not found) in every command; a missing
// signature beside an image is a trust failure (4).
func TestMissingInput(t *testing.T) {
	dir := t.TempDir()
	sec, pub := filepath.Join(dir, "secret.asc"), filepath.Join(dir, "pubkeys.gpg")
	ok(t, acsign(t, nil, "keygen", "--name", "x", "--type", "ed25519", "--no-passphrase", "--secret-out", sec, "--public-out", pub), "keygen")
	img := filepath.Join(dir, "img.aci")
	os.WriteFile(img, []byte("image"), 0o644)
	missing := filepath.Join(dir, "missing")
	for _, tt := range []struct {
		args []string
		code int
	}{
		{[]string{"sign", "--key", missing, img}, 5},
		{[]string{"sign", "--key", sec, missing}, 5},
		{[]string{"verify", "--keyring", pub, missing}, 5},
		{[]string{"verify", "--name", "example.com/x", missing, img}, 5},
		{[]string{"verify", "--keyring", missing, img}, 5},
		{[]string{"verify", "--keyring", pub, img, missing}, 4},
		{[]string{"trust", "--trust-dir", dir, "--root", "--skip-fingerprint-review", missing}, 5},
		{[]string{"export", "--key", missing}, 5},
		{[]string{"keygen", "--name", "y", "--passphrase-file", missing, "--secret-out", filepath.Join(dir, "s2")}, 5},
	} {
		r := acsign(t, nil, tt.args...)
		if r.Code != tt.code || !strings.Contains(r.Stderr, missing) || strings.Count(r.Stderr, "\n") != 1 {
			t.Errorf("acsign %s: exit %d, stderr %q; want %d and one line naming the file", strings.Join(tt.args, " "), r.Code, r.Stderr, tt.code)
		}
	}
}
