package fetch

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/acikit/acikit/internal/aci"
	"github.com/acikit/acikit/internal/dockerconv"
	"github.com/acikit/acikit/internal/errkind"
	"github.com/acikit/acikit/internal/log"
	"github.com/acikit/acikit/internal/store"
	"github.com/acikit/acikit/internal/testutil"
)

// dockerEnv is Debian's docker-registry on 127.0.0.1 (TLS from a test CA,
// htpasswd) holding a busybox image pushed by skopeo as schema2, as an OCI
// manifest, and as an OCI index of linux/amd64 and linux/arm64/v8.
type dockerEnv struct {
	reg     *testutil.Registry
	auth    *Auth // a dockerAuth file for the registry
	authDir string
}

func newDockerEnv(t *testing.T) *dockerEnv {
	t.Helper()
	reg := testutil.StartRegistry(t)
	layout := testutil.BusyboxLayout(t)
	reg.Push(t, "oci:"+layout+":latest", "research/busybox:s2", "--format", "v2s2")
	reg.Push(t, "oci:"+layout+":latest", "research/busybox:oci", "--format", "oci")
	reg.Push(t, "oci:"+layout+":multi", "research/multi:latest", "--all")
	dir := t.TempDir()
	cfg := `{"rktKind":"dockerAuth","rktVersion":"v1","registries":["` + reg.Host + `"],"credentials":{"user":"u","password":"p"}}`
	if err := os.WriteFile(filepath.Join(dir, "docker.json"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	auth, err := LoadAuth(dir)
	if err != nil {
		t.Fatal(err)
	}
	return &dockerEnv{reg: reg, auth: auth, authDir: dir}
}

// fetcher returns a Fetcher on a new store that trusts the registry's CA
// and has the dockerAuth credentials and --insecure-options=image.
func (e *dockerEnv) fetcher(t *testing.T, mod func(*Options)) (*Fetcher, *store.Store) {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "store"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	o := Options{Store: st, Client: &http.Client{Transport: e.reg.Transport()}, Auth: e.auth,
		Insecure: Insecure{Image: true}, Log: log.ForTest(t.Logf)}
	if mod != nil {
		mod(&o)
	}
	if o.Trust == nil && !o.Insecure.Image {
		o.Trust = newTrust(t)
	}
	f, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return f, st
}

func storeEmpty(t *testing.T, st *store.Store) {
	t.Helper()
	list, err := st.List()
	if err != nil || len(list) != 0 {
		t.Errorf("store List = %d images (%v), want 0", len(list), err)
	}
	for _, pat := range []string{"tmp/*", "blobs/sha512/*/*"} {
		if m, _ := filepath.Glob(filepath.Join(st.Dir(), pat)); len(m) != 0 {
			t.Errorf("store holds %v, want nothing", m)
		}
	}
}

// checkStored validates the stored blob, and compares its ID and manifest
// with what dockerconv (docker2aci's library) writes for the same image.
func checkStored(t *testing.T, st *store.Store, res *Result, ref string, opts dockerconv.Options) {
	t.Helper()
	im, err := st.Get(res.ID)
	if err != nil {
		t.Fatalf("store Get(%s) = %v", res.ID, err)
	}
	blob, err := st.OpenBlob(res.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer blob.Close()
	v, err := aci.Validate(context.Background(), blob, aci.ValidateOptions{})
	if err != nil {
		t.Fatalf("Validate(stored %s) = %v", ref, err)
	}
	if v.ID != res.ID || !bytes.Equal(v.RawManifest, im.Manifest) {
		t.Errorf("stored blob of %s has ID %s and manifest %s, want %s and the indexed %s", ref, v.ID, v.RawManifest, res.ID, im.Manifest)
	}
	if v.Compression.String() != "none" {
		t.Errorf("stored blob of %s is %s, want uncompressed", ref, v.Compression)
	}
	src, err := dockerconv.ParseSource(ref, "")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	want, err := dockerconv.Convert(context.Background(), src, &buf, opts)
	if err != nil {
		t.Fatalf("dockerconv.Convert(%s) = %v", ref, err)
	}
	wantRaw, _ := want.Manifest.MarshalJSON()
	if want.ID != res.ID || !bytes.Equal(wantRaw, im.Manifest) {
		t.Errorf("Fetch(%s) = %s with manifest\n%s\nwant docker2aci's %s with\n%s", ref, res.ID, im.Manifest, want.ID, wantRaw)
	}
}

func TestFetchDocker(t *testing.T) {
	e := newDockerEnv(t)
	host := e.reg.Host
	dockerCfg := t.TempDir()
	cfg := `{"auths":{"` + host + `":{"auth":"` + base64.StdEncoding.EncodeToString([]byte("u:p")) + `"}}}`
	if err := os.WriteFile(filepath.Join(dockerCfg, "config.json"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DOCKER_CONFIG", dockerCfg)
	conv := dockerconv.Options{Transport: e.reg.Transport(), Username: "u", Password: "p"}
	tests := []struct {
		name, image string
		mod         func(*Options)
		wantArch    string
		wantErr     string
		kind        error
	}{
		{name: "schema2", image: "docker://" + host + "/research/busybox:s2", wantArch: "amd64"},
		{name: "oci manifest, docker: form", image: "docker:" + host + "/research/busybox:oci", wantArch: "amd64"},
		{name: "index, --platform", image: "docker://" + host + "/research/multi:latest",
			mod: func(o *Options) { o.Platform = "linux/arm64" }, wantArch: "aarch64"},
		{name: "~/.docker/config.json", image: "docker://" + host + "/research/busybox:s2",
			mod: func(o *Options) { o.Auth, o.DockerKeychain = nil, authn.DefaultKeychain }, wantArch: "amd64"},
		{name: "tls skipped on request", image: "docker://" + host + "/research/busybox:s2",
			mod: func(o *Options) { o.Client, o.Insecure.TLS = nil, true }, wantArch: "amd64"},
		{name: "refused without --insecure-options=image", image: "docker://" + host + "/research/busybox:s2",
			mod:     func(o *Options) { o.Insecure.Image = false },
			wantErr: "signature verification for docker images is not supported (try --insecure-options=image)", kind: errkind.Trust},
		{name: "no credentials", image: "docker://" + host + "/research/busybox:s2",
			mod: func(o *Options) { o.Auth = nil }, wantErr: "UNAUTHORIZED", kind: errkind.Trust},
		{name: "untrusted certificate", image: "docker://" + host + "/research/busybox:s2",
			mod: func(o *Options) { o.Client = nil }, wantErr: "certificate"},
		{name: "plain http refused", image: "docker://" + host + "/research/busybox:s2",
			mod: func(o *Options) { o.Client = &http.Client{Transport: plainOnly{}} }, wantErr: "plain http"},
		{name: "missing platform", image: "docker://" + host + "/research/multi:latest",
			mod: func(o *Options) { o.Platform = "linux/s390x" }, wantErr: "no image for platform linux/s390x", kind: errkind.NotFound},
		{name: "no such tag", image: "docker://" + host + "/research/busybox:nope", wantErr: "MANIFEST_UNKNOWN", kind: errkind.NotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, st := e.fetcher(t, tt.mod)
			res, err := f.Fetch(context.Background(), tt.image)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Fetch(%s) = %v, want error containing %q", tt.image, err, tt.wantErr)
				}
				if tt.kind != nil && !errors.Is(err, tt.kind) {
					t.Errorf("Fetch(%s) error %v, want kind %v", tt.image, err, tt.kind)
				}
				storeEmpty(t, st)
				return
			}
			if err != nil {
				t.Fatalf("Fetch(%s) = %v, want nil", tt.image, err)
			}
			if len(res) != 1 || res[0].Cached || res[0].Signer != nil {
				t.Fatalf("Fetch(%s) = %+v, want one fresh unsigned result", tt.image, res)
			}
			if a, _ := res[0].Manifest.Labels.Get("arch"); a != tt.wantArch {
				t.Errorf("Fetch(%s) arch = %q, want %q", tt.image, a, tt.wantArch)
			}
			o := conv
			if tt.mod != nil {
				var fo Options
				tt.mod(&fo)
				o.Platform = fo.Platform
			}
			checkStored(t, st, res[0], "docker://"+strings.TrimPrefix(strings.TrimPrefix(tt.image, "docker:"), "//"), o)
		})
	}
}

// plainOnly stands for a transport that would speak plain http: the
// converter must refuse before using it without Insecure.HTTP.
type plainOnly struct{}

func (plainOnly) RoundTrip(r *http.Request) (*http.Response, error) {
	return nil, errors.New("plainOnly transport used")
}

func TestFetchDockerPullPolicy(t *testing.T) {
	e := newDockerEnv(t)
	image := "docker://" + e.reg.Host + "/research/busybox:s2"
	f, st := e.fetcher(t, nil)
	first, err := f.Fetch(context.Background(), image)
	if err != nil {
		t.Fatalf("Fetch(%s) = %v", image, err)
	}
	im, err := st.Get(first[0].ID)
	if err != nil || im.SourceURL != image || im.Signed {
		t.Fatalf("stored %s: %+v, %v; want source %s, unsigned", first[0].ID, im, err, image)
	}
	tests := []struct {
		name, image string
		pull        PullPolicy
		wantCached  bool
		kind        error
	}{
		{"new reuses", image, PullNew, true, nil},
		{"new reuses the docker: form", "docker:" + strings.TrimPrefix(image, "docker://"), PullNew, true, nil},
		{"never reuses", image, PullNever, true, nil},
		{"never, other tag", "docker://" + e.reg.Host + "/research/busybox:oci", PullNever, false, errkind.NotFound},
		{"update converts again", image, PullUpdate, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f2, err := New(Options{Store: st, Client: &http.Client{Transport: e.reg.Transport()}, Auth: e.auth,
				Insecure: Insecure{Image: true}, Pull: tt.pull})
			if err != nil {
				t.Fatal(err)
			}
			res, err := f2.Fetch(context.Background(), tt.image)
			if tt.kind != nil {
				if !errors.Is(err, tt.kind) {
					t.Fatalf("Fetch(%s, %v) = %v, want kind %v", tt.image, tt.pull, err, tt.kind)
				}
				return
			}
			if err != nil {
				t.Fatalf("Fetch(%s, %v) = %v", tt.image, tt.pull, err)
			}
			if res[0].ID != first[0].ID || res[0].Cached != tt.wantCached {
				t.Errorf("Fetch(%s, %v) = %s cached %v, want %s cached %v", tt.image, tt.pull, res[0].ID, res[0].Cached, first[0].ID, tt.wantCached)
			}
		})
	}
	if list, _ := st.List(); len(list) != 1 {
		t.Errorf("store holds %d images, want 1", len(list))
	}
}

func TestSaveDocker(t *testing.T) {
	e := newDockerEnv(t)
	image := "docker://" + e.reg.Host + "/research/busybox:s2"
	f, st := e.fetcher(t, func(o *Options) { o.Store = nil })
	dir := t.TempDir()
	res, path, err := f.Save(context.Background(), image, SaveOptions{Dir: dir})
	if err != nil {
		t.Fatalf("Save(%s) = %v", image, err)
	}
	if want := filepath.Join(dir, "research-busybox-s2.aci"); path != want {
		t.Errorf("Save(%s) path = %s, want %s", image, path, want)
	}
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	v, err := aci.Validate(context.Background(), fh, aci.ValidateOptions{})
	if err != nil || v.ID != res.ID || v.Compression.String() != "gzip" {
		t.Errorf("Validate(%s) = %s %v, %v; want %s gzip", path, v.ID, v.Compression, err, res.ID)
	}
	var out bytes.Buffer
	res2, _, err := f.Save(context.Background(), image, SaveOptions{Writer: &out, TempDir: t.TempDir()})
	if err != nil || res2.ID != res.ID {
		t.Fatalf("Save(%s, to a writer) = %v, %v; want %s", image, res2, err, res.ID)
	}
	if v, err := aci.Validate(context.Background(), &out, aci.ValidateOptions{}); err != nil || v.ID != res.ID {
		t.Errorf("Validate(saved to writer) = %s, %v; want %s", v.ID, err, res.ID)
	}
	_ = st
}

type countWriter struct {
	n      int64
	closed bool
}

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }
func (c *countWriter) Close() error                { c.closed = true; return nil }

func TestLayerProgress(t *testing.T) {
	tests := []struct {
		name    string
		updates [][2]int64 // done, total
		want    int64
	}{
		{"steps", [][2]int64{{10, 100}, {60, 100}, {100, 100}}, 100},
		{"big step", [][2]int64{{100 << 10, -1}, {300 << 10, -1}}, 300 << 10},
		{"none", nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var bar *countWriter
			starts := 0
			p := &layerProgress{start: func(total int64) io.WriteCloser {
				starts++
				if len(tt.updates) > 0 && total != tt.updates[0][1] {
					t.Errorf("progress started with total %d, want %d", total, tt.updates[0][1])
				}
				bar = &countWriter{}
				return bar
			}}
			for _, u := range tt.updates {
				p.update(u[0], u[1])
			}
			p.close()
			if len(tt.updates) == 0 {
				if starts != 0 {
					t.Errorf("progress started %d times without updates, want 0", starts)
				}
				return
			}
			if starts != 1 || bar.n != tt.want || !bar.closed {
				t.Errorf("progress after %v: %d starts, %d bytes, closed %v; want 1, %d, true", tt.updates, starts, bar.n, bar.closed, tt.want)
			}
		})
	}
}
