//go:build linux

package main

import (
	"os"
	"testing"

	"github.com/acikit/acikit/internal/testutil"
)

// An image is never written to a terminal.
func TestImageNotToTerminal(t *testing.T) {
	dir := t.TempDir()
	in := legacyArchive(t, dir, []tarFile{{"bin/true", "x"}})
	r := testutil.RunStdoutTTY(t, nil, testutil.Binary(t, "docker2aci"), "-o", "-", in)
	if r.Code != 2 || r.Stdout != "" || r.Stderr != "docker2aci: refusing to write an image to a terminal\ndocker2aci: hint: redirect stdout or give a file\n" {
		t.Errorf("docker2aci -o - on a terminal: exit %d, stdout %d bytes, stderr %q; want 2, nothing, the refusal", r.Code, len(r.Stdout), r.Stderr)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("docker2aci -o - on a terminal left files: %v", entries)
	}
}
