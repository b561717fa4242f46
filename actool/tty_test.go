//go:build linux

package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/acikit/acikit/internal/testutil"
)

// An image is never written to a terminal; text still is.
func TestImageNotToTerminal(t *testing.T) {
	dir := layout(t, helloManifest(t))
	img := filepath.Join(t.TempDir(), "in.aci")
	if r := actool(t, nil, "build", dir, img); r.Code != 0 {
		t.Fatal(r.Stderr)
	}
	bin := testutil.Binary(t, "actool")
	for _, args := range [][]string{{"build", dir, "-"}, {"patch-manifest", "--name", "example.com/x", img, "-"}} {
		r := testutil.RunStdoutTTY(t, nil, bin, args...)
		if r.Code != 2 || r.Stdout != "" || r.Stderr != "actool: refusing to write an image to a terminal\nactool: hint: redirect stdout or give a file\n" {
			t.Errorf("actool %s on a terminal: exit %d, stdout %d bytes, stderr %q; want 2, nothing, the refusal", strings.Join(args, " "), r.Code, len(r.Stdout), r.Stderr)
		}
	}
	if r := testutil.RunStdoutTTY(t, nil, bin, "cat-manifest", img); r.Code != 0 || !strings.Contains(r.Stdout, "acKind") {
		t.Errorf("actool cat-manifest on a terminal: exit %d, stdout %q, stderr %q; want the manifest", r.Code, r.Stdout, r.Stderr)
	}
}
