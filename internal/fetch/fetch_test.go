package fetch

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/acikit/acikit/internal/discovery"
	"github.com/acikit/acikit/internal/errkind"
	"github.com/acikit/acikit/internal/store"
	"github.com/acikit/acikit/internal/testutil"
)

const helloFile = "example.com/hello-1.0-linux-amd64.aci"

func TestFetchByNameURLAndFile(t *testing.T) {
	e := newEnv(t)
	img := makeACI(t, "example.com/hello", helloLabels, 10000)
	e.srv.publish(t, helloFile, img, "hello")
	local := filepath.Join(e.dir, "hello.aci")
	os.WriteFile(local, img.data, 0o644)
	os.WriteFile(local+".asc", sign(t, "hello", img.data), 0o644)

	tests := []struct{ name, image string }{
		{"name", "example.com/hello:1.0"},
		{"https", "https://example.com/images/" + helloFile},
		{"file", local},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.store.Remove(img.id)
			res, err := e.fetcher(t, nil).Fetch(context.Background(), tt.image)
			if err != nil {
				t.Fatalf("Fetch(%s) = %v", tt.image, err)
			}
			if len(res) != 1 || res[0].ID != img.id || res[0].Cached {
				t.Fatalf("Fetch(%s) = %+v, want one fresh result with ID %s", tt.image, res, img.id)
			}
			if res[0].Signer == nil || res[0].Signer.Fingerprint != pgpFingerprint(t, "hello") {
				t.Errorf("Fetch(%s) signer = %+v, want the hello key", tt.image, res[0].Signer)
			}
			im, err := e.store.Get(img.id)
			if err != nil || !im.Signed || im.Name != "example.com/hello" {
				t.Errorf("store Get = %+v, %v, want a signed example.com/hello", im, err)
			}
			f, _ := e.store.OpenBlob(img.id)
			got, _ := readAll(f)
			if !bytes.Equal(got, img.data) {
				t.Errorf("stored blob differs from the fetched bytes")
			}
		})
	}
}

func TestDiscoverPublicKeysForTrust(t *testing.T) {
	e := newEnv(t)
	app, _ := discovery.ParseApp("example.com/hello")
	res, err := discovery.DiscoverPublicKeys(context.Background(), app, discovery.Options{Client: e.srv.client()})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.PublicKeys) != 1 || res.PublicKeys[0] != "https://example.com/pubkeys.gpg" {
		t.Errorf("DiscoverPublicKeys = %v, want [https://example.com/pubkeys.gpg]", res.PublicKeys)
	}
}

func TestFetchRefusals(t *testing.T) {
	good := makeACI(t, "example.com/hello", helloLabels, 5000)
	evil := makeACI(t, "example.com/evil", helloLabels, 5000)
	other := makeACI(t, "example.com/hello", helloLabels, 6000)
	big := makeACI(t, "example.com/hello", helloLabels, 300000)
	tests := []struct {
		name    string
		setup   func(e *env)
		image   string
		mod     func(*Options)
		wantErr error
	}{
		{"wrong signature", func(e *env) {
			e.srv.put("/images/"+helloFile, good.data)
			e.srv.put("/images/"+helloFile+".asc", sign(t, "hello", other.data))
		}, "example.com/hello:1.0", nil, errkind.Trust},
		{"unknown key", func(e *env) { e.srv.publish(t, helloFile, good, "unknown") },
			"example.com/hello:1.0", nil, errkind.Trust},
		{"key for another prefix by name", func(e *env) { e.srv.publish(t, helloFile, good, "other") },
			"example.com/hello:1.0", nil, errkind.Trust},
		{"key for another prefix by URL", func(e *env) { e.srv.publish(t, "x.aci", good, "other") },
			"https://example.com/images/x.aci", nil, errkind.Trust},
		{"no signature", func(e *env) { e.srv.publish(t, helloFile, good, "") },
			"example.com/hello:1.0", nil, errkind.Trust},
		{"manifest name differs", func(e *env) { e.srv.publish(t, helloFile, evil, "hello") },
			"example.com/hello:1.0", nil, errkind.Invalid},
		{"label differs", func(e *env) { e.srv.publish(t, "example.com/hello-2.0-linux-amd64.aci", good, "hello") },
			"example.com/hello:2.0", nil, errkind.Invalid},
		{"tls error", func(e *env) { e.srv.publish(t, helloFile, good, "hello") },
			"https://example.com/images/" + helloFile, func(o *Options) {
				tr := o.Client.Transport.(*http.Transport).Clone()
				tr.TLSClientConfig.RootCAs = nil
				o.Client = &http.Client{Transport: tr}
				o.Retries = -1
			}, nil},
		{"http without opt-in", nil, "http://127.0.0.1:1/hello.aci", nil, errkind.Usage},
		{"truncated body", func(e *env) {
			e.srv.publish(t, helloFile, big, "hello")
			e.srv.always["/images/"+helloFile] = true
		}, "example.com/hello:1.0", func(o *Options) { o.Retries = 2 }, nil},
		{"truncated file", func(e *env) {
			e.srv.put("/images/"+helloFile, big.data[:len(big.data)/2])
			e.srv.put("/images/"+helloFile+".asc", sign(t, "hello", big.data[:len(big.data)/2]))
		}, "example.com/hello:1.0", nil, errkind.Invalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			if tt.setup != nil {
				tt.setup(e)
			}
			res, err := e.fetcher(t, tt.mod).Fetch(context.Background(), tt.image)
			if err == nil {
				t.Fatalf("Fetch(%s) = %+v, want an error", tt.image, res)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("Fetch(%s) error = %v, want kind %v", tt.image, err, tt.wantErr)
			}
			t.Logf("refused: %v", err)
			e.assertEmpty(t)
		})
	}
}

func TestFetchNotModifiedAndPolicies(t *testing.T) {
	e := newEnv(t)
	img := makeACI(t, "example.com/hello", helloLabels, 4000)
	e.srv.publish(t, "hello.aci", img, "hello")
	url := "https://example.com/images/hello.aci"
	if _, err := e.fetcher(t, nil).Fetch(context.Background(), url); err != nil {
		t.Fatal(err)
	}
	before := len(e.srv.log())
	res, err := e.fetcher(t, nil).Fetch(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	reqs := e.srv.log()[before:]
	if !res[0].Cached || len(reqs) != 1 || !strings.Contains(reqs[0], `"`) {
		t.Errorf("re-fetch = cached %v with requests %q, want one conditional request answered 304", res[0].Cached, reqs)
	}
	// never and new answer from the store without a request.
	for _, p := range []PullPolicy{PullNever, PullNew} {
		before = len(e.srv.log())
		res, err := e.fetcher(t, func(o *Options) { o.Pull = p }).Fetch(context.Background(), "example.com/hello:1.0")
		if err != nil || !res[0].Cached || len(e.srv.log()) != before {
			t.Errorf("Fetch with policy %d = %+v, %v, %d requests, want cached and none", p, res, err, len(e.srv.log())-before)
		}
	}
	_, err = e.fetcher(t, func(o *Options) { o.Pull = PullNever }).Fetch(context.Background(), "example.com/absent")
	if !errors.Is(err, errkind.NotFound) {
		t.Errorf("Fetch(absent, never) error = %v, want not found", err)
	}
}

func TestFetchMaxAgeSkipsRequest(t *testing.T) {
	e := newEnv(t)
	img := makeACI(t, "example.com/hello", helloLabels, 4000)
	e.srv.publish(t, "hello.aci", img, "hello")
	st := e.store
	_ = st
	url := "https://example.com/images/hello.aci"
	f := e.fetcher(t, nil)
	if _, err := f.Fetch(context.Background(), url); err != nil {
		t.Fatal(err)
	}
	r, _ := e.store.Remote(url)
	r.MaxAge = 3600
	e.store.UpdateRemote(r)
	before := len(e.srv.log())
	res, err := f.Fetch(context.Background(), url)
	if err != nil || !res[0].Cached || len(e.srv.log()) != before {
		t.Errorf("Fetch within max-age = %+v, %v, %d requests, want cached and none", res, err, len(e.srv.log())-before)
	}
}

func TestFetchResumesBrokenTransfer(t *testing.T) {
	e := newEnv(t)
	img := makeACI(t, "example.com/hello", helloLabels, 400000)
	e.srv.publish(t, helloFile, img, "hello")
	e.srv.cut["/images/"+helloFile] = 1
	res, err := e.fetcher(t, nil).Fetch(context.Background(), "example.com/hello:1.0")
	if err != nil {
		t.Fatal(err)
	}
	if res[0].ID != img.id {
		t.Errorf("resumed Fetch ID = %s, want %s", res[0].ID, img.id)
	}
	ranged := false
	for _, r := range e.srv.log() {
		ranged = ranged || strings.Contains(r, "bytes=")
	}
	if !ranged {
		t.Errorf("requests %q: want a Range request", e.srv.log())
	}
}

func TestFetchDeferredSignature(t *testing.T) {
	e := newEnv(t)
	img := makeACI(t, "example.com/hello", helloLabels, 4000)
	e.srv.publish(t, helloFile, img, "hello")
	e.srv.deferSig["/images/"+helloFile+".asc"] = 1
	res, err := e.fetcher(t, nil).Fetch(context.Background(), "example.com/hello:1.0")
	if err != nil || res[0].Signer == nil {
		t.Fatalf("Fetch with a 202 signature = %+v, %v, want verified", res, err)
	}
}

func TestFetchConcurrent(t *testing.T) {
	e := newEnv(t)
	img := makeACI(t, "example.com/hello", helloLabels, 200000)
	e.srv.publish(t, helloFile, img, "hello")
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, err := store.Open(e.store.Dir(), store.Options{})
			if err != nil {
				errs[i] = err
				return
			}
			f := e.fetcher(t, func(o *Options) { o.Store = st })
			_, errs[i] = f.Fetch(context.Background(), "example.com/hello:1.0")
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	list, _ := e.store.List()
	var blobs []string
	all, _ := filepath.Glob(filepath.Join(e.store.Dir(), "blobs", "sha512", "*", "sha512-*"))
	for _, b := range all {
		if !strings.HasSuffix(b, ".asc") {
			blobs = append(blobs, b)
		}
	}
	if len(list) != 1 || len(blobs) != 1 {
		t.Errorf("after 4 concurrent fetches: %d index entries, blobs %v, want 1 and 1", len(list), blobs)
	}
}

func TestFetchDependencies(t *testing.T) {
	e := newEnv(t)
	base := makeACI(t, "example.com/hello/base", helloLabels, 3000)
	app := makeACI(t, "example.com/hello", helloLabels, 3000,
		dep{name: "example.com/hello/base", labels: map[string]string{"version": "1.0"}, id: base.id})
	e.srv.publish(t, helloFile, app, "hello")
	e.srv.publish(t, "example.com/hello/base-1.0-linux-amd64.aci", base, "hello")
	res, err := e.fetcher(t, nil).Fetch(context.Background(), "example.com/hello:1.0")
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 || res[0].ID != app.id || res[1].ID != base.id || !res[1].Dependency {
		t.Errorf("Fetch with a dependency = %+v, want app then base", res)
	}
}

func TestSave(t *testing.T) {
	e := newEnv(t)
	img := makeACI(t, "example.com/hello", helloLabels, 3000)
	e.srv.publish(t, helloFile, img, "hello")
	f := e.fetcher(t, func(o *Options) { o.Store = nil })
	out := filepath.Join(e.dir, "out", "h.aci")
	os.MkdirAll(filepath.Dir(out), 0o755)
	_, p, err := f.Save(context.Background(), "example.com/hello:1.0", SaveOptions{Path: out})
	if err != nil || p != out {
		t.Fatalf("Save = %q, %v", p, err)
	}
	got, _ := os.ReadFile(out)
	if !bytes.Equal(got, img.data) {
		t.Errorf("saved file differs")
	}
	if _, err := os.Stat(out + ".asc"); err != nil {
		t.Errorf("signature not saved: %v", err)
	}
	var buf bytes.Buffer
	if _, _, err := f.Save(context.Background(), "example.com/hello:1.0", SaveOptions{Writer: &buf, TempDir: e.dir}); err != nil || !bytes.Equal(buf.Bytes(), img.data) {
		t.Errorf("Save to a writer = %d bytes, %v, want the image", buf.Len(), err)
	}
	// A refused image writes nothing.
	e.srv.publish(t, helloFile, img, "unknown")
	bad := filepath.Join(e.dir, "out", "bad.aci")
	if _, _, err := f.Save(context.Background(), "example.com/hello:1.0", SaveOptions{Path: bad}); err == nil {
		t.Errorf("Save of a badly signed image succeeded")
	}
	if ents, _ := os.ReadDir(filepath.Dir(bad)); len(ents) != 2 {
		t.Errorf("output dir holds %d files after a refusal, want the 2 from before", len(ents))
	}
}

// TestFetchPythonHTTPServer serves a directory with python3 -m http.server,
// as the AppC tutorials do, and fetches over plain http with the opt-in.
func TestFetchPythonHTTPServer(t *testing.T) {
	py := testutil.RequireCommand(t, "python3", "python3")
	e := newEnv(t)
	img := makeACI(t, "example.com/hello", helloLabels, 3000)
	dir := filepath.Join(e.dir, "www")
	os.MkdirAll(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "hello.aci"), img.data, 0o644)
	os.WriteFile(filepath.Join(dir, "hello.aci.asc"), sign(t, "hello", img.data), 0o644)
	port := freePort(t)
	cmd := exec.Command(py, "-m", "http.server", port, "--bind", "127.0.0.1", "--directory", dir)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	url := "http://127.0.0.1:" + port + "/hello.aci"
	waitHTTP(t, url)

	plain := func(o *Options) { o.Client = nil }
	if _, err := e.fetcher(t, plain).Fetch(context.Background(), url); !errors.Is(err, errkind.Usage) {
		t.Errorf("Fetch(%s) without http = %v, want a usage refusal", url, err)
	}
	e.assertEmpty(t)
	res, err := e.fetcher(t, func(o *Options) { plain(o); o.Insecure.HTTP = true }).Fetch(context.Background(), url)
	if err != nil || res[0].ID != img.id {
		t.Errorf("Fetch(%s) with http = %+v, %v, want %s", url, res, err, img.id)
	}
}

func waitHTTP(t *testing.T, url string) {
	t.Helper()
	for i := 0; i < 100; i++ {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("server at %s did not come up", url)
}
