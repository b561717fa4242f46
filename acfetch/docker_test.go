package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/acikit/acikit/internal/aci"
	"github.com/acikit/acikit/internal/testutil"
)

// runEnv runs bin with extra environment variables (the registry's CA
// through SSL_CERT_FILE, DOCKER_CONFIG) and optional stdin.
func runEnv(t *testing.T, env []string, stdin string, bin string, args ...string) testutil.Result {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = strings.NewReader(stdin)
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run %s: %v", bin, err)
	}
	return testutil.Result{Stdout: so.String(), Stderr: se.String(), Code: code}
}

// TestFetchDocker fetches skopeo-pushed busybox images from Debian's
// docker-registry (TLS from a test CA, htpasswd) and compares the stored
// image with docker2aci's output for the same reference.
func TestFetchDocker(t *testing.T) {
	reg := testutil.StartRegistry(t)
	layout := testutil.BusyboxLayout(t)
	reg.Push(t, "oci:"+layout+":latest", "research/busybox:s2", "--format", "v2s2")
	reg.Push(t, "oci:"+layout+":multi", "research/multi:latest", "--all")
	acfetch, d2a := testutil.Binary(t, "acfetch"), testutil.Binary(t, "docker2aci")
	dir := t.TempDir()
	dockerCfg := filepath.Join(dir, "docker")
	os.MkdirAll(dockerCfg, 0o700)
	cfg := `{"auths":{"` + reg.Host + `":{"auth":"` + base64.StdEncoding.EncodeToString([]byte("u:p")) + `"}}}`
	os.WriteFile(filepath.Join(dockerCfg, "config.json"), []byte(cfg), 0o600)
	authDir := filepath.Join(dir, "auth.d")
	os.MkdirAll(authDir, 0o700)
	os.WriteFile(filepath.Join(authDir, "reg.json"), []byte(`{"rktKind":"dockerAuth","rktVersion":"v1","registries":["`+reg.Host+
		`"],"credentials":{"user":"u","password":"p"}}`), 0o600)
	env := []string{"SSL_CERT_FILE=" + reg.CAFile, "DOCKER_CONFIG=" + filepath.Join(dir, "none")}
	withConfig := []string{"SSL_CERT_FILE=" + reg.CAFile, "DOCKER_CONFIG=" + dockerCfg}
	image := "docker://" + reg.Host + "/research/busybox:s2"

	// docker2aci's output for the same image: the manifest to match.
	want := filepath.Join(dir, "want.aci")
	if r := runEnv(t, env, "p\n", d2a, "--username", "u", "--password-stdin", "-o", want, image); r.Code != 0 {
		t.Fatalf("docker2aci %s: exit %d\n%s", image, r.Code, r.Stderr)
	}
	fh, err := os.Open(want)
	if err != nil {
		t.Fatal(err)
	}
	wantRes, err := aci.Validate(context.Background(), fh, aci.ValidateOptions{})
	fh.Close()
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name     string
		env      []string
		args     []string
		image    string
		wantCode int
		wantErr  string
	}{
		{"refused without --insecure-options=image", env, []string{"--auth-dir", authDir}, image, 4,
			"signature verification for docker images is not supported (try --insecure-options=image)"},
		{"untrusted certificate", []string{"DOCKER_CONFIG=" + dockerCfg, "SSL_CERT_FILE=/dev/null"}, []string{"--insecure-options=image"}, image, 1, "certificate"},
		{"no credentials", env, []string{"--insecure-options=image"}, image, 4, "UNAUTHORIZED"},
		{"missing platform", withConfig, []string{"--insecure-options=image", "--platform", "linux/s390x"},
			"docker://" + reg.Host + "/research/multi:latest", 5, "no image for platform linux/s390x"},
		{"auth.d dockerAuth", env, []string{"--insecure-options=image", "--auth-dir", authDir}, image, 0, ""},
		{"~/.docker/config.json, docker: form", withConfig, []string{"--insecure-options=image"}, "docker:" + reg.Host + "/research/busybox:s2", 0, ""},
		{"tls skipped on request", []string{"DOCKER_CONFIG=" + dockerCfg, "SSL_CERT_FILE=/dev/null"}, []string{"--insecure-options=image,tls"}, image, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := filepath.Join(t.TempDir(), "store")
			base := []string{"--store-dir", store}
			args := append(append(append([]string{"fetch"}, base...), tt.args...), tt.image)
			r := runEnv(t, tt.env, "", acfetch, args...)
			if r.Code != tt.wantCode || !strings.Contains(r.Stderr, tt.wantErr) {
				t.Fatalf("acfetch %s: exit %d, stderr %q; want exit %d and %q", strings.Join(args, " "), r.Code, r.Stderr, tt.wantCode, tt.wantErr)
			}
			if tt.wantCode != 0 {
				if r.Stdout != "" {
					t.Errorf("acfetch %s printed %q on failure", tt.name, r.Stdout)
				}
				if l := runEnv(t, nil, "", acfetch, append([]string{"list", "--json"}, base...)...); strings.TrimSpace(l.Stdout) != "[]" {
					t.Errorf("store after a failed fetch lists %s, want []", l.Stdout)
				}
				if m, _ := filepath.Glob(filepath.Join(store, "tmp", "*")); len(m) != 0 {
					t.Errorf("tmp/ after a failed fetch holds %v", m)
				}
				return
			}
			id := strings.TrimSpace(r.Stdout)
			if id != wantRes.ID {
				t.Errorf("acfetch %s = %s, want docker2aci's image ID %s", tt.image, id, wantRes.ID)
			}
			m := runEnv(t, nil, "", acfetch, append([]string{"cat-manifest"}, append(base, id)...)...)
			if strings.TrimSpace(m.Stdout) != strings.TrimSpace(string(wantRes.RawManifest)) {
				t.Errorf("acfetch cat-manifest %s =\n%s\nwant docker2aci's\n%s", id, m.Stdout, wantRes.RawManifest)
			}
			if v := runEnv(t, nil, "", acfetch, append([]string{"verify"}, base...)...); v.Code != 0 {
				t.Errorf("acfetch verify: exit %d\n%s", v.Code, v.Stderr)
			}
			// The source URL is recorded: --pull-policy=new answers from the
			// store without the registry (no credentials given this time).
			again := runEnv(t, []string{"SSL_CERT_FILE=/dev/null", "DOCKER_CONFIG=" + filepath.Join(dir, "none")}, "", acfetch,
				append(append([]string{"fetch"}, base...), "--insecure-options=image", "--pull-policy=new", tt.image)...)
			if again.Code != 0 || strings.TrimSpace(again.Stdout) != id {
				t.Errorf("acfetch --pull-policy=new %s: exit %d, stdout %q, want %s\n%s", tt.image, again.Code, again.Stdout, id, again.Stderr)
			}
		})
	}
}
