package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/acikit/acikit/internal/testutil"
)

// A converted image runs with acrun: entrypoint plus cmd, the user name kept
// for resolution at run time against the image's /etc/passwd.
func TestConvertedImageRuns(t *testing.T) {
	testutil.RequireRoot(t)
	layout := testutil.BusyboxLayout(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "bb.aci")
	r := testutil.Run(t, nil, testutil.Binary(t, "docker2aci"), "-o", out, "oci:"+layout+":latest")
	if r.Code != 0 {
		t.Fatalf("docker2aci = exit %d: %s", r.Code, r.Stderr)
	}
	acrun := testutil.Binary(t, "acrun")
	base := []string{"--store-dir", filepath.Join(dir, "store"), "--pod-dir", filepath.Join(dir, "pods"),
		"--insecure-options=image", "--net=none", "--volume", "volume-data,kind=empty"}
	r = testutil.Run(t, nil, acrun, append(base, out)...)
	if r.Code != 0 || strings.TrimSpace(r.Stdout) != "hi" {
		t.Fatalf("acrun converted image = exit %d, stdout %q, stderr %q; want 0 and %q", r.Code, r.Stdout, r.Stderr, "hi")
	}
	r = testutil.Run(t, nil, acrun, append(base, out, "--exec", "/bin/busybox", "--", "id", "-u")...)
	if r.Code != 0 || strings.TrimSpace(r.Stdout) != "1000" {
		t.Errorf("id -u in the converted image = exit %d, stdout %q, stderr %q; want user app (1000)", r.Code, r.Stdout, r.Stderr)
	}
	testutil.Run(t, nil, acrun, "--pod-dir", filepath.Join(dir, "pods"), "gc", "--grace", "0s")
}
