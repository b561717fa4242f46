package fetch

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/klauspost/compress/gzip"

	"github.com/acikit/acikit/internal/log"
	"github.com/acikit/acikit/internal/pgp"
	"github.com/acikit/acikit/internal/store"
	"github.com/acikit/acikit/internal/trust"
)

// testImage is an ACI built for a test: its bytes (gzip) and image ID.
type testImage struct {
	data []byte
	id   string
}

type dep struct {
	name   string
	labels map[string]string
	id     string
}

// makeACI builds a small gzip ACI named name with labels, a payload of
// size bytes and the given dependencies.
func makeACI(t testing.TB, name string, labels map[string]string, size int, deps ...dep) testImage {
	t.Helper()
	type label struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	}
	m := map[string]any{"acKind": "ImageManifest", "acVersion": "0.8.11", "name": name}
	var ls []label
	for _, k := range []string{"version", "os", "arch"} {
		if v, ok := labels[k]; ok {
			ls = append(ls, label{k, v})
		}
	}
	if ls != nil {
		m["labels"] = ls
	}
	var ds []map[string]any
	for _, d := range deps {
		e := map[string]any{"imageName": d.name}
		if d.id != "" {
			e["imageID"] = d.id
		}
		var dl []label
		for k, v := range d.labels {
			dl = append(dl, label{k, v})
		}
		if dl != nil {
			e["labels"] = dl
		}
		ds = append(ds, e)
	}
	if ds != nil {
		m["dependencies"] = ds
	}
	manifest, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var tarBuf bytes.Buffer
	tw := tar.NewWriter(&tarBuf)
	add := func(name string, data []byte, mode int64, typ byte) {
		hdr := &tar.Header{Name: name, Mode: mode, Size: int64(len(data)), Typeflag: typ, ModTime: time.Unix(1e9, 0)}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		tw.Write(data)
	}
	add("manifest", manifest, 0o644, tar.TypeReg)
	add("rootfs", nil, 0o755, tar.TypeDir)
	payload := make([]byte, size)
	for i := range payload {
		payload[i] = byte(i*7 + i/251)
	}
	add("rootfs/payload", payload, 0o644, tar.TypeReg)
	tw.Close()
	sum := sha512.Sum512(tarBuf.Bytes())
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(tarBuf.Bytes())
	zw.Close()
	return testImage{data: gz.Bytes(), id: "sha512-" + hex.EncodeToString(sum[:])}
}

var (
	keysOnce sync.Once
	keys     map[string]*openpgp.Entity
)

// testKey returns one of a few throwaway ed25519 keys (made once).
func testKey(t testing.TB, who string) *openpgp.Entity {
	t.Helper()
	keysOnce.Do(func() {
		keys = map[string]*openpgp.Entity{}
		for _, n := range []string{"hello", "other", "unknown"} {
			e, err := pgp.Keygen(pgp.KeygenOptions{Name: n + " signer", Email: n + "@example.com", Type: pgp.Ed25519})
			if err != nil {
				panic(err)
			}
			keys[n] = e
		}
	})
	return keys[who]
}

func sign(t testing.TB, who string, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := pgp.Sign(context.Background(), &b, bytes.NewReader(data), testKey(t, who)); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// newTrust makes a trust store where "hello" is trusted for
// example.com/hello and "other" for example.com/other.
func newTrust(t testing.TB) *trust.Store {
	t.Helper()
	ts := trust.New(trust.Options{LocalDir: filepath.Join(t.TempDir(), "trust")})
	for who, prefix := range map[string]string{"hello": "example.com/hello", "other": "example.com/other"} {
		armored, err := pgp.ArmorPublic(testKey(t, who))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ts.Add(trust.Prefix, prefix, armored); err != nil {
			t.Fatal(err)
		}
	}
	return ts
}

// server serves files over TLS for every host name (the test client dials
// it whatever the URL says), with ETags and Range through ServeContent.
type server struct {
	*httptest.Server
	mu       sync.Mutex
	files    map[string][]byte
	requests []string       // "GET /path [range]" in order
	cut      map[string]int // path → responses still to cut halfway
	deferSig map[string]int // path → 202 answers still to give
	always   map[string]bool
	slow     map[string]time.Duration
}

func newServer(t testing.TB) *server {
	s := &server{files: map[string][]byte{}, cut: map[string]int{}, deferSig: map[string]int{}, always: map[string]bool{}, slow: map[string]time.Duration{}}
	s.Server = httptest.NewTLSServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *server) put(p string, data []byte) {
	s.mu.Lock()
	s.files[p] = data
	s.mu.Unlock()
}

func (s *server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests = append(s.requests, strings.TrimSpace(fmt.Sprintf("GET %s %s %s", r.URL.Path, r.Header.Get("Range"), r.Header.Get("If-None-Match"))))
	data, ok := s.files[r.URL.Path]
	cut := s.cut[r.URL.Path] > 0
	always := s.always[r.URL.Path]
	if s.cut[r.URL.Path] > 0 {
		s.cut[r.URL.Path]--
	}
	deferred := s.deferSig[r.URL.Path] > 0
	if deferred {
		s.deferSig[r.URL.Path]--
	}
	delay := s.slow[r.URL.Path]
	s.mu.Unlock()
	if r.URL.Query().Get("ac-discovery") == "1" {
		name := strings.TrimPrefix(r.URL.Path, "/")
		fmt.Fprintf(w, `<html><head>
<meta name="ac-discovery" content="example.com https://example.com/images/{name}-{version}-{os}-{arch}.{ext}">
<meta name="ac-discovery-pubkeys" content="example.com https://example.com/pubkeys.gpg">
</head></html><!-- %s -->`, name)
		return
	}
	if !ok {
		http.NotFound(w, r)
		return
	}
	if deferred {
		w.WriteHeader(http.StatusAccepted)
		return
	}
	sum := sha512.Sum512(data)
	w.Header().Set("ETag", `"`+hex.EncodeToString(sum[:8])+`"`)
	if always {
		// Promise everything, deliver half, whatever was asked.
		w.Header().Set("Content-Length", fmt.Sprint(len(data)))
		w.Write(data[:len(data)/2])
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler)
	}
	var ww http.ResponseWriter = w
	if cut {
		ww = &cutter{ResponseWriter: w, left: len(data) / 2}
	}
	if delay > 0 {
		ww = &slowWriter{ResponseWriter: ww, delay: delay}
	}
	http.ServeContent(ww, r, "", time.Unix(1e9, 0), bytes.NewReader(data))
}

// cutter aborts the connection after left bytes of body.
type cutter struct {
	http.ResponseWriter
	left int
}

func (c *cutter) Write(p []byte) (int, error) {
	if len(p) > c.left {
		c.ResponseWriter.Write(p[:c.left])
		c.ResponseWriter.(http.Flusher).Flush()
		panic(http.ErrAbortHandler)
	}
	c.left -= len(p)
	return c.ResponseWriter.Write(p)
}

// slowWriter trickles the body out in small pieces.
type slowWriter struct {
	http.ResponseWriter
	delay time.Duration
}

func (s *slowWriter) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		k := min(len(p), 4096)
		m, err := s.ResponseWriter.Write(p[:k])
		n += m
		if err != nil {
			return n, err
		}
		s.ResponseWriter.(http.Flusher).Flush()
		time.Sleep(s.delay)
		p = p[k:]
	}
	return n, nil
}

func (s *server) log() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.requests...)
}

// client returns an HTTP client that trusts the server's CA and sends every
// connection to it, so URLs can name example.com.
func (s *server) client() *http.Client {
	c := s.Server.Client()
	tr := c.Transport.(*http.Transport).Clone()
	addr := s.Listener.Addr().String()
	tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
	return &http.Client{Transport: tr}
}

// publish puts an image and its signature (by who; "" for none) under
// /images/ with the discovery naming for linux/amd64.
func (s *server) publish(t testing.TB, file string, img testImage, who string) {
	s.put("/images/"+file, img.data)
	if who != "" {
		s.put("/images/"+strings.TrimSuffix(file, ".aci")+".aci.asc", sign(t, who, img.data))
	}
}

type env struct {
	srv   *server
	store *store.Store
	trust *trust.Store
	dir   string
}

func newEnv(t testing.TB) *env {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(filepath.Join(dir, "store"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return &env{srv: newServer(t), store: st, trust: newTrust(t), dir: dir}
}

func (e *env) fetcher(t testing.TB, mod func(*Options)) *Fetcher {
	t.Helper()
	o := Options{Store: e.store, Trust: e.trust, Client: e.srv.client(), Log: log.ForTest(t.Logf),
		Backoff: 10 * time.Millisecond, ReadTimeout: 5 * time.Second}
	if mod != nil {
		mod(&o)
	}
	f, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// assertEmpty checks that the store holds nothing and no temporary file.
func (e *env) assertEmpty(t testing.TB) {
	t.Helper()
	list, err := e.store.List()
	if err != nil || len(list) != 0 {
		t.Errorf("store List = %d images (%v), want 0", len(list), err)
	}
	ents, _ := os.ReadDir(filepath.Join(e.store.Dir(), "tmp"))
	if len(ents) != 0 {
		t.Errorf("store tmp/ holds %d files, want 0", len(ents))
	}
	blobs, _ := filepath.Glob(filepath.Join(e.store.Dir(), "blobs", "sha512", "*", "*"))
	if len(blobs) != 0 {
		t.Errorf("store holds blobs %v, want none", blobs)
	}
}

var helloLabels = map[string]string{"version": "1.0", "os": "linux", "arch": "amd64"}
