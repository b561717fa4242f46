//go:build linux

package main

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

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

// On a terminal, docker2aci says it is reading an archive from stdin (the
// spool can take a while) and draws a bar with the image name and sizes
// done/total, each line within the terminal's 80 columns; the image goes
// to stdout untouched. With stderr a pipe, no bar bytes appear.
func TestProgressOnTerminal(t *testing.T) {
	dir := t.TempDir()
	big := make([]byte, 8<<20)
	rand.NewChaCha8([32]byte{2}).Read(big)
	in := legacyArchive(t, dir, []tarFile{{"bin/true", "x"}, {"data", string(big)}})
	archive, err := os.ReadFile(in)
	if err != nil {
		t.Fatal(err)
	}
	bin := testutil.Binary(t, "docker2aci")
	r := testutil.RunStderrTTY(t, archive, 80, bin, "--compression", "none", "-o", "-", "-")
	if r.Code != 0 {
		t.Fatalf("docker2aci -: exit %d, stderr %q", r.Code, r.Stderr)
	}
	if len(r.Stdout) < 8<<20 {
		t.Errorf("docker2aci -o - wrote %d bytes on stdout, want the image", len(r.Stdout))
	}
	if strings.Contains(r.Stdout, "reading the archive") || strings.Contains(r.Stdout, "Converting") {
		t.Errorf("a message reached stdout")
	}
	if !strings.HasPrefix(r.Stderr, "docker2aci: reading the archive from stdin\n") {
		t.Errorf("stderr = %q, want it to start with the stdin message on its own line", r.Stderr)
	}
	frames := 0
	for _, l := range testutil.TerminalLines(r.Stderr) {
		if n := utf8.RuneCountInString(l); n > 80 {
			t.Errorf("line of %d columns on an 80-column terminal: %q", n, l)
		}
		if strings.HasPrefix(l, "Converting ") {
			frames++
			if !strings.Contains(l, "MiB/8.0 MiB") && !strings.Contains(l, "KiB/8.0 MiB") {
				t.Errorf("bar %q, want done/total sizes", l)
			}
			if !strings.Contains(l, "example/tool") {
				t.Errorf("bar %q, want the image name", l)
			}
		}
	}
	if frames == 0 {
		t.Errorf("no bar drawn: %q", r.Stderr)
	}

	// --quiet on a terminal: neither the message nor a bar.
	q := testutil.RunStderrTTY(t, archive, 80, bin, "--quiet", "--compression", "none", "-o", "-", "-")
	if q.Code != 0 || q.Stderr != "" {
		t.Errorf("docker2aci --quiet - on a terminal: exit %d, stderr %q; want 0 and nothing", q.Code, q.Stderr)
	}

	// stderr a pipe: no bar, no escapes.
	p := testutil.Run(t, archive, bin, "--compression", "none", "-o", filepath.Join(dir, "out.aci"), "-")
	if p.Code != 0 {
		t.Fatalf("docker2aci - with stderr a pipe: exit %d, stderr %q", p.Code, p.Stderr)
	}
	if strings.ContainsAny(p.Stderr, "\r\x1b") || strings.Contains(p.Stderr, "Converting") {
		t.Errorf("bar drawn on a pipe: stderr %q", p.Stderr)
	}
}
