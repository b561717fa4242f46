package dockerconv

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/acikit/acikit/internal/errkind"
	"github.com/acikit/acikit/internal/testutil"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// multiArchLayout copies the fixture layout and makes its index.json point to
// an OCI index of two platforms (linux/amd64 and linux/arm64/v8).
func multiArchLayout(t *testing.T, f *fixtures) string {
	dir := filepath.Join(t.TempDir(), "multi")
	if err := os.CopyFS(dir, os.DirFS(f.layout)); err != nil {
		t.Fatal(err)
	}
	var idx v1.IndexManifest
	readJSONFile(filepath.Join(dir, "index.json"), &idx)
	amd := idx.Manifests[0]
	var m v1.Manifest
	readJSONFile(blobPath(dir, amd.Digest), &m)
	var cfg map[string]any
	readJSONFile(blobPath(dir, m.Config.Digest), &cfg)
	cfg["architecture"], cfg["variant"] = "arm64", "v8"
	putBlob := func(v any) (v1.Hash, int64) {
		b, _ := json.Marshal(v)
		sum := sha256.Sum256(b)
		h := v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])}
		os.WriteFile(blobPath(dir, h), b, 0o644)
		return h, int64(len(b))
	}
	m.Config.Digest, m.Config.Size = putBlob(cfg)
	armDigest, armSize := putBlob(m)
	amd.Annotations = nil
	amd.Platform = &v1.Platform{OS: "linux", Architecture: "amd64"}
	arm := v1.Descriptor{MediaType: amd.MediaType, Digest: armDigest, Size: armSize, Platform: &v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}}
	list := v1.IndexManifest{SchemaVersion: 2, MediaType: "application/vnd.oci.image.index.v1+json", Manifests: []v1.Descriptor{amd, arm}}
	ld, ls := putBlob(list)
	top := v1.IndexManifest{SchemaVersion: 2, Manifests: []v1.Descriptor{{MediaType: "application/vnd.oci.image.index.v1+json", Digest: ld, Size: ls,
		Annotations: map[string]string{refNameAnnotation: "latest"}}}}
	b, _ := json.Marshal(top)
	os.WriteFile(filepath.Join(dir, "index.json"), b, 0o644)
	return dir
}

func TestRegistry(t *testing.T) {
	f := getFixtures(t)
	testutil.RequireCommand(t, "skopeo", "skopeo")
	reg := testutil.StartRegistry(t)
	reg.Push(t, "oci:"+f.layout+":latest", "research/busybox:s2", "--format", "v2s2")
	reg.Push(t, "oci:"+f.layout+":latest", "research/busybox:oci", "--format", "oci")
	multi := multiArchLayout(t, f)
	reg.Push(t, "oci:"+multi+":latest", "research/multi:latest", "--all")
	// The same list as a Docker manifest list.
	reg.Push(t, "oci:"+multi+":latest", "research/multi:v2s2", "--all", "--format", "v2s2")

	creds := Options{Transport: reg.Transport(), Username: "u", Password: "p"}
	name := strings.ReplaceAll(reg.Host, ":", "_")
	tests := []struct {
		name, ref string
		opts      Options
		wantArch  string
		wantErr   string
		kind      error
	}{
		{name: "schema2", ref: "research/busybox:s2", opts: creds, wantArch: "amd64"},
		{name: "oci manifest", ref: "research/busybox:oci", opts: creds, wantArch: "amd64"},
		{name: "oci index amd64", ref: "research/multi:latest", opts: withPlatform(creds, "linux/amd64"), wantArch: "amd64"},
		{name: "manifest list arm64", ref: "research/multi:v2s2", opts: withPlatform(creds, "linux/arm64"), wantArch: "aarch64"},
		{name: "missing platform", ref: "research/multi:latest", opts: withPlatform(creds, "linux/s390x"), wantErr: "no image for platform linux/s390x", kind: errkind.NotFound},
		{name: "wrong password", ref: "research/busybox:s2", opts: Options{Transport: reg.Transport(), Username: "u", Password: "bad"}, wantErr: "UNAUTHORIZED", kind: errkind.Trust},
		{name: "untrusted certificate", ref: "research/busybox:s2", opts: Options{Username: "u", Password: "p"}, wantErr: "certificate"},
		{name: "tls skipped on request", ref: "research/busybox:s2", opts: Options{Username: "u", Password: "p", InsecureTLS: true}, wantArch: "amd64"},
		{name: "no such tag", ref: "research/busybox:nope", opts: creds, wantErr: "MANIFEST_UNKNOWN", kind: errkind.NotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, err := ParseSource("docker://"+reg.Host+"/"+tt.ref, "")
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			res, err := Convert(context.Background(), src, &buf, tt.opts)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Convert(%s) = %v, want error containing %q", tt.ref, err, tt.wantErr)
				}
				if tt.kind != nil && !errors.Is(err, tt.kind) {
					t.Errorf("Convert(%s) error %v, want kind %v", tt.ref, err, tt.kind)
				}
				return
			}
			if err != nil {
				t.Fatalf("Convert(%s) = %v, want nil", tt.ref, err)
			}
			validate(t, buf.Bytes(), res.ID)
			if names, _ := aciContent(t, buf.Bytes()); strings.Join(names, " ") != strings.Join(wantFiles, " ") {
				t.Errorf("Convert(%s) entries = %v, want %v", tt.ref, names, wantFiles)
			}
			wantName := name + "/" + strings.Split(tt.ref, ":")[0]
			if string(res.Manifest.Name) != wantName {
				t.Errorf("name = %q, want %q", res.Manifest.Name, wantName)
			}
			if a, _ := res.Manifest.Labels.Get("arch"); a != tt.wantArch {
				t.Errorf("arch = %q, want %q", a, tt.wantArch)
			}
			if res.Manifest.App == nil || res.Manifest.App.UserLabels["com.example.k"] != "v" {
				t.Errorf("userLabels missing on the registry path")
			}
			if v, _ := res.Manifest.Annotations.Get(annoRegistryURL); v != reg.Host {
				t.Errorf("registryurl = %q, want %q", v, reg.Host)
			}
		})
	}

	t.Run("digest mismatch", func(t *testing.T) {
		// Overwrite the busybox layer in the registry's storage.
		blobs := filepath.Join(reg.Dir, "data/docker/registry/v2/blobs/sha256")
		var biggest string
		var size int64
		filepath.Walk(blobs, func(p string, fi os.FileInfo, err error) error {
			if err == nil && !fi.IsDir() && fi.Size() > size {
				biggest, size = p, fi.Size()
			}
			return nil
		})
		b, _ := os.ReadFile(biggest)
		b[len(b)/2] ^= 0xff
		os.WriteFile(biggest, b, 0o644)
		src, _ := ParseSource("docker://"+reg.Host+"/research/busybox:s2", "")
		_, err := Convert(context.Background(), src, &bytes.Buffer{}, creds)
		if !errors.Is(err, ErrDigest) || !errors.Is(err, errkind.Invalid) {
			t.Fatalf("Convert(tampered blob) = %v, want ErrDigest marked Invalid", err)
		}
	})
}

func withPlatform(o Options, p string) Options {
	o.Platform = p
	return o
}

// TestRegistryErrorOneLine: a server answering with an HTML page gives a
// one-line error of the right kind, not the page.
func TestRegistryErrorOneLine(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, "<!DOCTYPE HTML>\n<html>\n  <body>\n    <h1>Error response</h1>\n  </body>\n</html>\n")
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	src, err := ParseSource("docker://"+host+"/research/busybox:1", "")
	if err != nil {
		t.Fatal(err)
	}
	_, err = Convert(context.Background(), src, &bytes.Buffer{}, Options{InsecureHTTP: true})
	if err == nil || strings.ContainsAny(err.Error(), "\r\n") {
		t.Fatalf("Convert(html 404) = %q, want a one-line error", err)
	}
	if !errors.Is(err, errkind.NotFound) {
		t.Errorf("Convert(html 404) error %v, want kind %v", err, errkind.NotFound)
	}
}
