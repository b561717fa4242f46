package testutil

import (
	"bytes"
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

	"golang.org/x/crypto/bcrypt"
)

// Registry is Debian's docker-registry running on 127.0.0.1 with TLS from a
// CA made for the test and htpasswd Basic auth.
type Registry struct {
	Host    string // 127.0.0.1:PORT
	Dir     string // config, certificates, storage (Dir/data)
	CertDir string // holds ca.crt, for skopeo --dest-cert-dir
	CAFile  string // the CA certificate (PEM), for SSL_CERT_FILE
	Pool    *x509.CertPool
	User    string
	Pass    string
}

// StartRegistry starts docker-registry (user "u", password "p") and stops it
// when t ends. It skips when docker-registry is not installed.
func StartRegistry(t testing.TB) *Registry {
	t.Helper()
	bin := RequireCommand(t, "docker-registry", "docker-registry")
	dir := t.TempDir()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(24 * time.Hour), IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(key)
	certs := filepath.Join(dir, "certs")
	if err := os.MkdirAll(certs, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(p, typ string, b []byte) {
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b}), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(certs, "ca.crt"), "CERTIFICATE", caDER)
	write(filepath.Join(dir, "server.crt"), "CERTIFICATE", der)
	write(filepath.Join(dir, "server.key"), "EC PRIVATE KEY", keyDER)
	hash, _ := bcrypt.GenerateFromPassword([]byte("p"), bcrypt.MinCost)
	if err := os.WriteFile(filepath.Join(dir, "htpasswd"), []byte("u:"+string(hash)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
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
	if err := os.WriteFile(filepath.Join(dir, "config.yml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
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
	return &Registry{Host: host, Dir: dir, CertDir: certs, CAFile: filepath.Join(certs, "ca.crt"), Pool: pool, User: "u", Pass: "p"}
}

// Push copies src (a skopeo source such as oci:DIR:TAG) to the repository
// path dst (NAME:TAG) with skopeo; args go before the source (--all,
// --format v2s2).
func (r *Registry) Push(t testing.TB, src, dst string, args ...string) {
	t.Helper()
	RequireCommand(t, "skopeo", "skopeo")
	a := append([]string{"copy", "-q", "--dest-cert-dir", r.CertDir, "--dest-creds", r.User + ":" + r.Pass}, args...)
	a = append(a, src, "docker://"+r.Host+"/"+dst)
	if out, err := exec.Command("skopeo", a...).CombinedOutput(); err != nil {
		t.Fatalf("skopeo %s: %v\n%s", strings.Join(a, " "), err, out)
	}
}

// Transport returns an HTTP transport that trusts the registry's CA.
func (r *Registry) Transport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = &tls.Config{RootCAs: r.Pool}
	return t
}

// BusyboxLayout builds, with Debian's umoci, an OCI image layout under a
// temporary directory holding a busybox-static image for linux/amd64 (tag
// "latest") and the same for linux/arm64/v8 (tag "arm64"), plus an OCI index
// of both (tag "multi"). The image has a user, an entrypoint, env, an exposed
// port, a volume and a label. It returns the layout directory.
func BusyboxLayout(t testing.TB) string {
	t.Helper()
	RequireCommand(t, "umoci", "umoci")
	bb := RequireCommand(t, "busybox", "busybox-static")
	d := t.TempDir()
	layout := filepath.Join(d, "layout")
	img := layout + ":latest"
	run := func(args ...string) {
		t.Helper()
		if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	run("umoci", "init", "--layout", layout)
	run("umoci", "new", "--image", img)
	bundle := filepath.Join(d, "bundle")
	run("umoci", "unpack", "--image", img, bundle)
	rootfs := filepath.Join(bundle, "rootfs")
	for _, dir := range []string{"bin", "etc", "data"} {
		if err := os.MkdirAll(filepath.Join(rootfs, dir), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(bb)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(rootfs, "bin/busybox"), data, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, l := range []string{"sh", "true", "echo"} {
		if err := os.Symlink("busybox", filepath.Join(rootfs, "bin", l)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(rootfs, "etc/passwd"), []byte("root:x:0:0:root:/:/bin/sh\napp:x:1000:1000::/:/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run("umoci", "repack", "--image", img, bundle)
	run("umoci", "config", "--image", img, "--config.user", "app", "--config.exposedports", "8080/tcp",
		"--config.volume", "/data", "--config.env", "PATH=/bin", "--config.entrypoint", "/bin/echo",
		"--config.cmd", "hi", "--config.label", "com.example.k=v", "--os", "linux", "--architecture", "amd64")
	run("umoci", "config", "--image", img, "--tag", "arm64", "--architecture", "arm64")
	multiIndex(t, layout)
	return layout
}

// multiIndex adds tag "multi": an OCI index of tags latest (linux/amd64) and
// arm64 (linux/arm64/v8).
func multiIndex(t testing.TB, layout string) {
	t.Helper()
	type desc struct {
		MediaType   string            `json:"mediaType"`
		Digest      string            `json:"digest"`
		Size        int64             `json:"size"`
		Annotations map[string]string `json:"annotations,omitempty"`
		Platform    map[string]string `json:"platform,omitempty"`
	}
	type index struct {
		SchemaVersion int    `json:"schemaVersion"`
		MediaType     string `json:"mediaType,omitempty"`
		Manifests     []desc `json:"manifests"`
	}
	const refName = "org.opencontainers.image.ref.name"
	b, err := os.ReadFile(filepath.Join(layout, "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	var top index
	if err := json.Unmarshal(b, &top); err != nil {
		t.Fatal(err)
	}
	var list index
	list.SchemaVersion, list.MediaType = 2, "application/vnd.oci.image.index.v1+json"
	platforms := map[string]map[string]string{
		"latest": {"os": "linux", "architecture": "amd64"},
		"arm64":  {"os": "linux", "architecture": "arm64", "variant": "v8"},
	}
	for _, d := range top.Manifests {
		if p, ok := platforms[d.Annotations[refName]]; ok {
			d.Annotations, d.Platform = nil, p
			list.Manifests = append(list.Manifests, d)
		}
	}
	if len(list.Manifests) != 2 {
		t.Fatalf("layout %s: want tags latest and arm64, index.json has %s", layout, b)
	}
	lb, _ := json.Marshal(list)
	sum := sha256.Sum256(lb)
	if err := os.WriteFile(filepath.Join(layout, "blobs/sha256", hex.EncodeToString(sum[:])), lb, 0o644); err != nil {
		t.Fatal(err)
	}
	top.Manifests = append(top.Manifests, desc{MediaType: list.MediaType, Digest: "sha256:" + hex.EncodeToString(sum[:]),
		Size: int64(len(lb)), Annotations: map[string]string{refName: "multi"}})
	tb, _ := json.Marshal(top)
	if err := os.WriteFile(filepath.Join(layout, "index.json"), tb, 0o644); err != nil {
		t.Fatal(err)
	}
}
