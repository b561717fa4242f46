package main

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/acikit/acikit/internal/testutil"
)

// TestUserStory is the whole story of the README: a static hello built with
// gcc, packed with actool, signed with a new acsign key that the trust store
// trusts for every name, served over http on 127.0.0.1, fetched and
// verified with acfetch, run with acrun: "Hello AppC". An unsigned copy is
// refused, and the stored image runs by name.
func TestUserStory(t *testing.T) {
	e := newEnv(t)
	gcc := testutil.RequireCommand(t, "gcc", "gcc")
	python := testutil.RequireCommand(t, "python3", "python3")
	root := testutil.RepoRoot(t)
	layout := filepath.Join(e.dir, "layout")
	www := filepath.Join(e.dir, "www")
	for _, d := range []string{filepath.Join(layout, "rootfs", "bin"), www} {
		os.MkdirAll(d, 0o755)
	}
	if out, err := exec.Command(gcc, "-static", "-Os", "-o", filepath.Join(layout, "rootfs", "bin", "hello"),
		filepath.Join(root, "testdata", "hello", "hello.c")).CombinedOutput(); err != nil {
		testutil.Skip(t, "gcc -static failed (apt-get install libc6-dev): "+string(out))
	}
	m, _ := os.ReadFile(filepath.Join(root, "testdata", "hello", "manifest"))
	os.WriteFile(filepath.Join(layout, "manifest"), m, 0o644)

	tool := func(name string, args ...string) testutil.Result {
		t.Helper()
		cmd := exec.Command(toolBin(t, name), args...)
		cmd.Env = e.environ()
		var so, se strings.Builder
		cmd.Stdout, cmd.Stderr = &so, &se
		err := cmd.Run()
		r := testutil.Result{Stdout: so.String(), Stderr: se.String(), Code: exitCode(err)}
		if r.Code != 0 {
			t.Fatalf("%s %q = exit %d\n%s", name, args, r.Code, r.Stderr)
		}
		return r
	}
	aci := filepath.Join(www, "hello.aci")
	id := strings.TrimSpace(tool("actool", "build", layout, aci).Stdout)
	tool("acsign", "keygen", "--name", "acikit test", "--email", "test@example.com", "--no-passphrase",
		"--secret-out", filepath.Join(e.dir, "test.key"), "--public-out", filepath.Join(www, "pubkeys.gpg"))
	tool("acsign", "sign", "--key", filepath.Join(e.dir, "test.key"), aci)
	tool("acsign", "trust", "--root", "--skip-fingerprint-review", filepath.Join(www, "pubkeys.gpg"))

	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	srv := exec.Command(python, "-m", "http.server", "--bind", "127.0.0.1", "--directory", www, strconv.Itoa(port))
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { srv.Process.Kill(); srv.Wait() }()
	url := "http://127.0.0.1:" + strconv.Itoa(port) + "/hello.aci"
	waitFor(t, 10*time.Second, "the http server", func() bool {
		c, err := net.Dial("tcp4", "127.0.0.1:"+strconv.Itoa(port))
		if err == nil {
			c.Close()
		}
		return err == nil
	})

	if got := strings.TrimSpace(tool("acfetch", "--insecure-options=http", url).Stdout); got != id {
		t.Fatalf("acfetch stored %q, actool built %q", got, id)
	}
	r := e.run("--insecure-options=http", url)
	if r.Code != 0 || r.Stdout != "Hello AppC\n" {
		t.Errorf("acrun URL = exit %d, stdout %q, stderr %q; want Hello AppC", r.Code, r.Stdout, r.Stderr)
	}
	r = e.run("--net=none", "example.com/hello:1.0.0")
	if r.Code != 0 || r.Stdout != "Hello AppC\n" {
		t.Errorf("acrun NAME = exit %d, stdout %q, stderr %q; want Hello AppC", r.Code, r.Stdout, r.Stderr)
	}
	// An unsigned copy is refused, before anything runs.
	unsigned := filepath.Join(www, "unsigned.aci")
	b, _ := os.ReadFile(aci)
	os.WriteFile(unsigned, b, 0o644)
	r = e.run("--net=none", "--insecure-options=http", "http://127.0.0.1:"+strconv.Itoa(port)+"/unsigned.aci")
	if r.Code != 4 || r.Stdout != "" {
		t.Errorf("acrun of an unsigned image = exit %d, stdout %q; want 4 and nothing run", r.Code, r.Stdout)
	}
}
