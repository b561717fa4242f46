//go:build linux

package main

import (
	"strings"
	"testing"

	"github.com/acikit/acikit/internal/testutil"
)

// An image is never written to a terminal.
func TestImageNotToTerminal(t *testing.T) {
	fx := newFixture(t, 1000)
	id := strings.TrimSpace(fx.run(t, "fetch", "--insecure-options=http", fx.url).Stdout)
	bin := testutil.Binary(t, "acfetch")
	for _, args := range [][]string{
		{"export", "--store-dir", fx.storeDir, id},
		{"export", "--store-dir", fx.storeDir, "-o", "-", id},
		{"fetch", "--store-dir", fx.storeDir, "--trust-dir", fx.trustDir, "--insecure-options=http", "-o", "-", fx.url},
	} {
		r := testutil.RunStdoutTTY(t, nil, bin, args...)
		if r.Code != 2 || r.Stdout != "" || r.Stderr != "acfetch: refusing to write an image to a terminal\nacfetch: hint: redirect stdout or give a file\n" {
			t.Errorf("acfetch %s on a terminal: exit %d, stdout %d bytes, stderr %q; want 2, nothing, the refusal", strings.Join(args, " "), r.Code, len(r.Stdout), r.Stderr)
		}
	}
	if r := testutil.RunStdoutTTY(t, nil, bin, "cat-manifest", "--store-dir", fx.storeDir, id); r.Code != 0 || !strings.Contains(r.Stdout, "acKind") {
		t.Errorf("acfetch cat-manifest on a terminal: exit %d, stdout %q, stderr %q; want the manifest", r.Code, r.Stdout, r.Stderr)
	}
}
