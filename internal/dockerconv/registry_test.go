package dockerconv

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/acikit/acikit/internal/errkind"
	"github.com/acikit/acikit/internal/testutil"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"golang.org/x/crypto/bcrypt"
)

type testRegistry struct {
	host, dir string
	pool      *x509.CertPool
}

// startRegistry runs Debian's docker-registry on 127.0.0.1 with TLS from a
// CA made here and htpasswd Basic auth (user "u", password "p").
func startRegistry(t *testing.T) *testRegistry {
	t.Helper()
	bin := testutil.RequireCommand(t, "docker-registry", "docker-registry")
	dir := t.TempDir()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(time.Hour), IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(key)
	certs := filepath.Join(dir, "certs")
	os.MkdirAll(certs, 0o755)
	write := func(p, typ string, b []byte) {
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b}), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(certs, "ca.crt"), "CERTIFICATE", caDER)
	write(filepath.Join(dir, "server.crt"), "CERTIFICATE", der)
	write(filepath.Join(dir, "server.key"), "EC PRIVATE KEY", keyDER)
	hash, _ := bcrypt.GenerateFromPassword([]byte("p"), bcrypt.MinCost)
	os.WriteFile(filepath.Join(dir, "htpasswd"), []byte("u:"+string(hash)+"\n"), 0o600)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	host := l.Addr().String()
	l.Close()
	cfg := fmt.Sprintf(`version: 0.1
log: {level: error}
storage:
  filesystem: {rootdirectory: %s/data}
http:
  addr: %s
  tls: {certificate: %s/server.crt, key: %s/server.key}
auth:
  htpasswd: {realm: test, path: %s/htpasswd}
`, dir, host, dir, dir, dir)
	os.WriteFile(filepath.Join(dir, "config.yml"), []byte(cfg), 0o644)
	cmd := exec.Command(bin, "serve", filepath.Join(dir, "config.yml"))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	for i := 0; ; i++ {
		c, err := tls.Dial("tcp", host, &tls.Config{RootCAs: pool})
		if err == nil {
			c.Close()
			break
		}
		if i > 100 {
			t.Fatalf("registry did not start: %v\n%s", err, stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return &testRegistry{host: host, dir: dir, pool: pool}
}

func (r *testRegistry) push(t *testing.T, src, dst string, args ...string) {
	t.Helper()
	a := append([]string{"copy", "-q", "--dest-cert-dir", filepath.Join(r.dir, "certs"), "--dest-creds", "u:p"}, args...)
	a = append(a, src, "docker://"+r.host+"/"+dst)
	if out, err := exec.Command("skopeo", a...).CombinedOutput(); err != nil {
		t.Fatalf("skopeo %s: %v\n%s", strings.Join(a, " "), err, out)
	}
}

func (r *testRegistry) transport() http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = &tls.Config{RootCAs: r.pool}
	return t
}

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
	reg := startRegistry(t)
	reg.push(t, "oci:"+f.layout+":latest", "research/busybox:s2", "--format", "v2s2")
	reg.push(t, "oci:"+f.layout+":latest", "research/busybox:oci", "--format", "oci")
	multi := multiArchLayout(t, f)
	reg.push(t, "oci:"+multi+":latest", "research/multi:latest", "--all")
	// The same list as a Docker manifest list.
	reg.push(t, "oci:"+multi+":latest", "research/multi:v2s2", "--all", "--format", "v2s2")

	creds := Options{Transport: reg.transport(), Username: "u", Password: "p"}
	name := strings.ReplaceAll(reg.host, ":", "_")
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
		{name: "wrong password", ref: "research/busybox:s2", opts: Options{Transport: reg.transport(), Username: "u", Password: "bad"}, wantErr: "UNAUTHORIZED", kind: errkind.Trust},
		{name: "untrusted certificate", ref: "research/busybox:s2", opts: Options{Username: "u", Password: "p"}, wantErr: "certificate"},
		{name: "tls skipped on request", ref: "research/busybox:s2", opts: Options{Username: "u", Password: "p", InsecureTLS: true}, wantArch: "amd64"},
		{name: "no such tag", ref: "research/busybox:nope", opts: creds, wantErr: "MANIFEST_UNKNOWN", kind: errkind.NotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, err := ParseSource("docker://"+reg.host+"/"+tt.ref, "")
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
			if v, _ := res.Manifest.Annotations.Get(annoRegistryURL); v != reg.host {
				t.Errorf("registryurl = %q, want %q", v, reg.host)
			}
		})
	}

	t.Run("digest mismatch", func(t *testing.T) {
		// Overwrite the busybox layer in the registry's storage.
		blobs := filepath.Join(reg.dir, "data/docker/registry/v2/blobs/sha256")
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
		src, _ := ParseSource("docker://"+reg.host+"/research/busybox:s2", "")
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
