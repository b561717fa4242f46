package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/acikit/acikit/internal/pgp"
	"github.com/acikit/acikit/internal/testutil"
	"github.com/acikit/acikit/internal/trust"
)

func TestHelpGolden(t *testing.T) {
	for _, cmd := range [][]string{{}, {"fetch"}, {"list"}, {"rm"}, {"gc"}, {"export"}, {"cat-manifest"}, {"verify"}} {
		name := strings.Join(append([]string{"acfetch"}, cmd...), "-")
		t.Run(name, func(t *testing.T) {
			r := testutil.Run(t, nil, testutil.Binary(t, "acfetch"), append(cmd, "--help")...)
			if r.Code != 0 {
				t.Fatalf("%s --help: exit %d\n%s", name, r.Code, r.Stderr)
			}
			testutil.Golden(t, filepath.Join("testdata", name+".golden"), []byte(r.Stdout))
		})
	}
}

// fixture is a signed image served over plain http on 127.0.0.1, a trust
// store that trusts its key, and a store directory.
type fixture struct {
	dir, storeDir, trustDir string
	url                     string
	image, sig              []byte
	delay                   atomic.Int64 // per-32KiB delay in ns, to make a fetch slow
}

func newFixture(t *testing.T, size int) *fixture {
	t.Helper()
	fx := &fixture{dir: t.TempDir()}
	fx.storeDir = filepath.Join(fx.dir, "store")
	fx.trustDir = filepath.Join(fx.dir, "trust")
	fx.image = makeImage(t, "example.com/hello", size)
	key, err := pgp.Keygen(pgp.KeygenOptions{Name: "hello", Email: "hello@example.com", Type: pgp.Ed25519})
	if err != nil {
		t.Fatal(err)
	}
	var sig bytes.Buffer
	if err := pgp.Sign(context.Background(), &sig, bytes.NewReader(fx.image), key); err != nil {
		t.Fatal(err)
	}
	fx.sig = sig.Bytes()
	pub, _ := pgp.ArmorPublic(key)
	if _, err := trust.New(trust.Options{LocalDir: fx.trustDir}).Add(trust.Prefix, "example.com/hello", pub); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var data []byte
		// Any directory serves the image, so a test can make the URL long.
		switch {
		case strings.HasSuffix(r.URL.Path, "/hello.aci"):
			data = fx.image
		case strings.HasSuffix(r.URL.Path, "/hello.aci.asc"):
			data = fx.sig
		default:
			http.NotFound(w, r)
			return
		}
		testutil.ServeSlowly(w, data, 32<<10, time.Duration(fx.delay.Load()))
	}))
	t.Cleanup(srv.Close)
	fx.url = srv.URL + "/hello.aci"
	return fx
}

func (fx *fixture) run(t *testing.T, args ...string) testutil.Result {
	t.Helper()
	cmd := args[0]
	rest := append([]string{"--store-dir", fx.storeDir}, args[1:]...)
	if cmd == "fetch" {
		rest = append([]string{"--trust-dir", fx.trustDir, "--system-trust-dir", "", "--auth-dir", filepath.Join(fx.dir, "none")}, rest...)
	}
	return testutil.Run(t, nil, testutil.Binary(t, "acfetch"), append([]string{cmd}, rest...)...)
}

func makeImage(t *testing.T, name string, size int) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	tw := tar.NewWriter(zw)
	manifest := fmt.Sprintf(`{"acKind":"ImageManifest","acVersion":"0.8.11","name":%q,"labels":[{"name":"version","value":"1.0"},{"name":"os","value":"linux"},{"name":"arch","value":"amd64"}]}`, name)
	tw.WriteHeader(&tar.Header{Name: "manifest", Mode: 0o644, Size: int64(len(manifest)), Typeflag: tar.TypeReg})
	tw.Write([]byte(manifest))
	tw.WriteHeader(&tar.Header{Name: "rootfs/", Mode: 0o755, Typeflag: tar.TypeDir})
	data := make([]byte, size)
	rng := rand.NewChaCha8([32]byte{1})
	rng.Read(data) // incompressible: the file stays big

	tw.WriteHeader(&tar.Header{Name: "rootfs/data", Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg})
	tw.Write(data)
	tw.Close()
	zw.Close()
	return buf.Bytes()
}

func TestFetchListExportRm(t *testing.T) {
	fx := newFixture(t, 100000)
	if r := fx.run(t, "fetch", fx.url); r.Code != 2 {
		t.Errorf("fetch over http without the opt-in: exit %d, want 2\n%s", r.Code, r.Stderr)
	}
	r := fx.run(t, "fetch", "--insecure-options=http", fx.url)
	if r.Code != 0 || !strings.HasPrefix(r.Stdout, "sha512-") {
		t.Fatalf("fetch: exit %d, stdout %q\n%s", r.Code, r.Stdout, r.Stderr)
	}
	id := strings.TrimSpace(r.Stdout)
	if r := fx.run(t, "list", "--json"); r.Code != 0 || !strings.Contains(r.Stdout, id) {
		t.Errorf("list --json = %q (exit %d), want it to hold %s", r.Stdout, r.Code, id)
	}
	if r := fx.run(t, "cat-manifest", "example.com/hello:1.0"); r.Code != 0 || !strings.Contains(r.Stdout, `"example.com/hello"`) {
		t.Errorf("cat-manifest = %q (exit %d)", r.Stdout, r.Code)
	}
	out := filepath.Join(fx.dir, "exported.aci")
	if r := fx.run(t, "export", "-o", out, id[:20]); r.Code != 0 {
		t.Fatalf("export: exit %d\n%s", r.Code, r.Stderr)
	}
	got, _ := os.ReadFile(out)
	gotSig, _ := os.ReadFile(out + ".asc")
	if !bytes.Equal(got, fx.image) || !bytes.Equal(gotSig, fx.sig) {
		t.Errorf("export gave %d bytes and a %d-byte signature, want the fetched %d and %d", len(got), len(gotSig), len(fx.image), len(fx.sig))
	}
	if r := fx.run(t, "verify"); r.Code != 0 {
		t.Errorf("verify: exit %d\n%s", r.Code, r.Stderr)
	}
	if r := fx.run(t, "rm", "example.com/hello"); r.Code != 0 || strings.TrimSpace(r.Stdout) != id {
		t.Errorf("rm = %q (exit %d), want %s", r.Stdout, r.Code, id)
	}
	if r := fx.run(t, "cat-manifest", id); r.Code != 5 {
		t.Errorf("cat-manifest after rm: exit %d, want 5", r.Code)
	}
}

// TestKilledFetch kills a fetch halfway with SIGKILL: the store must verify
// clean and a new fetch must work.
func TestKilledFetch(t *testing.T) {
	fx := newFixture(t, 4<<20)
	fx.delay.Store(int64(20 * time.Millisecond))
	cmd := exec.Command(testutil.Binary(t, "acfetch"), "fetch", "--store-dir", fx.storeDir, "--trust-dir", fx.trustDir,
		"--system-trust-dir", "", "--insecure-options=http", fx.url)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait until the download is under way: a temporary file has grown.
	deadline := time.Now().Add(20 * time.Second)
	for {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("the fetch never started writing")
		}
		ents, _ := filepath.Glob(filepath.Join(fx.storeDir, "tmp", "import-*"))
		if len(ents) == 1 {
			if fi, err := os.Stat(ents[0]); err == nil && fi.Size() > 0 {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	cmd.Process.Signal(os.Kill)
	cmd.Wait()
	fx.delay.Store(0)
	if r := fx.run(t, "verify"); r.Code != 0 {
		t.Errorf("verify after SIGKILL: exit %d\n%s", r.Code, r.Stderr)
	}
	r := fx.run(t, "fetch", "--insecure-options=http", fx.url)
	if r.Code != 0 || !strings.HasPrefix(r.Stdout, "sha512-") {
		t.Fatalf("fetch after SIGKILL: exit %d\n%s", r.Code, r.Stderr)
	}
	if ents, _ := filepath.Glob(filepath.Join(fx.storeDir, "tmp", "*")); len(ents) != 0 {
		t.Errorf("tmp/ after a new fetch holds %v, want nothing", ents)
	}
}

// --store-dir given before the command name beats $ACIKIT_STORE_DIR for
// every store command.
func TestStoreDirBeforeCommand(t *testing.T) {
	fx := newFixture(t, 1000)
	storeA := filepath.Join(fx.dir, "storeA")
	fetchInto := func(store string) string {
		r := testutil.Run(t, nil, testutil.Binary(t, "acfetch"), "--store-dir", store, "--trust-dir", fx.trustDir,
			"--system-trust-dir", "", "--insecure-options=http", fx.url)
		if r.Code != 0 {
			t.Fatalf("fetch into %s: exit %d\n%s", store, r.Code, r.Stderr)
		}
		return strings.TrimSpace(r.Stdout)
	}
	id := fetchInto(fx.storeDir)
	emptyA := filepath.Join(fx.dir, "emptyA")
	t.Setenv("ACIKIT_STORE_DIR", emptyA)
	acfetch := func(args ...string) testutil.Result {
		return testutil.Run(t, nil, testutil.Binary(t, "acfetch"), append([]string{"--store-dir", fx.storeDir}, args...)...)
	}
	if r := acfetch("list", "--json"); r.Code != 0 || !strings.Contains(r.Stdout, id) {
		t.Errorf("acfetch --store-dir B list = %q (exit %d, %s), want %s", r.Stdout, r.Code, r.Stderr, id)
	}
	if r := acfetch("cat-manifest", "example.com/hello"); r.Code != 0 || !strings.Contains(r.Stdout, "example.com/hello") {
		t.Errorf("acfetch --store-dir B cat-manifest: exit %d, stdout %q, stderr %q", r.Code, r.Stdout, r.Stderr)
	}
	out := filepath.Join(fx.dir, "out.aci")
	if r := acfetch("export", "-o", out, id); r.Code != 0 {
		t.Errorf("acfetch --store-dir B export: exit %d, stderr %q", r.Code, r.Stderr)
	} else if got, _ := os.ReadFile(out); !bytes.Equal(got, fx.image) {
		t.Errorf("acfetch --store-dir B export wrote %d bytes, want the image's %d", len(got), len(fx.image))
	}
	if r := acfetch("verify"); r.Code != 0 || !strings.Contains(r.Stderr, fx.storeDir) {
		t.Errorf("acfetch --store-dir B verify: exit %d, stderr %q, want it to name %s", r.Code, r.Stderr, fx.storeDir)
	}
	if r := acfetch("gc", "--older-than", "1ns"); r.Code != 0 || strings.TrimSpace(r.Stdout) != id {
		t.Errorf("acfetch --store-dir B gc = %q (exit %d, %s), want %s removed", r.Stdout, r.Code, r.Stderr, id)
	}
	// rm acts on B and leaves the store of the environment alone.
	fetchInto(fx.storeDir)
	t.Setenv("ACIKIT_STORE_DIR", storeA)
	fetchInto(storeA)
	if r := acfetch("rm", "example.com/hello"); r.Code != 0 || strings.TrimSpace(r.Stdout) != id {
		t.Errorf("acfetch --store-dir B rm = %q (exit %d, %s), want %s", r.Stdout, r.Code, r.Stderr, id)
	}
	if r := testutil.Run(t, nil, testutil.Binary(t, "acfetch"), "list", "--json"); !strings.Contains(r.Stdout, id) {
		t.Errorf("after rm in B, the store of $ACIKIT_STORE_DIR lost the image: %q", r.Stdout)
	}
	if r := acfetch("list", "--json"); strings.Contains(r.Stdout, id) {
		t.Errorf("after rm in B, B still lists the image: %q", r.Stdout)
	}
	// A flag the command does not take is refused, not dropped.
	r := testutil.Run(t, nil, testutil.Binary(t, "acfetch"), "--insecure-options=image", "list")
	if r.Code != 2 || !strings.Contains(r.Stderr, "--insecure-options") || strings.Count(r.Stderr, "\n") != 2 {
		t.Errorf("acfetch --insecure-options=image list: exit %d, stderr %q; want a usage error naming the flag", r.Code, r.Stderr)
	}
}

// An existing output is refused in one line that names --overwrite.
func TestExistsSaysOverwrite(t *testing.T) {
	fx := newFixture(t, 1000)
	id := strings.TrimSpace(fx.run(t, "fetch", "--insecure-options=http", fx.url).Stdout)
	taken := filepath.Join(fx.dir, "taken.aci")
	os.WriteFile(taken, []byte("mine"), 0o644)
	for _, args := range [][]string{
		{"export", "-o", taken, id},
		{"fetch", "--insecure-options=http", "-o", taken, fx.url},
	} {
		r := fx.run(t, args...)
		if r.Code != 1 || strings.Count(r.Stderr, "\n") != 1 || !strings.Contains(r.Stderr, taken) ||
			!strings.HasSuffix(r.Stderr, ": file exists (use --overwrite to replace it)\n") {
			t.Errorf("acfetch %s: exit %d, stderr %q; want one line naming the file and --overwrite", strings.Join(args, " "), r.Code, r.Stderr)
		}
		if b, _ := os.ReadFile(taken); string(b) != "mine" {
			t.Errorf("acfetch %s replaced the file", strings.Join(args, " "))
		}
	}
}

// A missing image file exits 5 (not found), as in every tool.
func TestMissingInput(t *testing.T) {
	fx := newFixture(t, 1000)
	missing := filepath.Join(fx.dir, "missing.aci")
	for _, args := range [][]string{{"fetch", missing}, {"fetch", "--insecure-options=image", missing}} {
		r := fx.run(t, args...)
		if r.Code != 5 || !strings.Contains(r.Stderr, missing) || strings.Count(r.Stderr, "\n") != 1 {
			t.Errorf("acfetch %s: exit %d, stderr %q; want 5 and one line naming the file", strings.Join(args, " "), r.Code, r.Stderr)
		}
	}
}

// rm, export and cat-manifest complete the stored image names; a dash
// completes the flags.
func TestBashCompletion(t *testing.T) {
	fx := newFixture(t, 1000)
	fx.run(t, "fetch", "--insecure-options=http", fx.url)
	t.Setenv("ACIKIT_STORE_DIR", fx.storeDir)
	bin := testutil.Binary(t, "acfetch")
	for _, tt := range []struct{ line, want string }{
		{"acfetch rm ", "example.com/hello"},
		{"acfetch rm exa", "example.com/hello"},
		{"acfetch export ", "example.com/hello"},
		{"acfetch cat-manifest ", "example.com/hello"},
		{"acfetch rm --", "--store-dir"},
		{"acfetch export --", "--output"},
		{"acfetch ve", "verify version"},
	} {
		if got := strings.Join(testutil.Complete(t, "acfetch", bin, tt.line), " "); !strings.Contains(got, tt.want) {
			t.Errorf("completion of %q = %q, want %q", tt.line, got, tt.want)
		}
	}
	// A store that does not exist is not made by completing.
	missing := filepath.Join(fx.dir, "nostore")
	t.Setenv("ACIKIT_STORE_DIR", missing)
	testutil.Complete(t, "acfetch", bin, "acfetch rm ")
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Errorf("completion made the store %s: %v", missing, err)
	}
}
