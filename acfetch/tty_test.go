//go:build linux

package main

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

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

// The progress bar fits an 80-column terminal even for a long URL: a
// redraw that wraps leaves a line behind on every \r. With stderr a pipe,
// no bar is drawn at all.
func TestProgressFitsTerminal(t *testing.T) {
	fx := newFixture(t, 2<<20)
	fx.delay.Store(int64(25 * time.Millisecond)) // about 1.6 s: several redraws, a rate
	long := strings.Replace(fx.url, "/hello.aci", "/a/very/long/path/that/goes/on/and/on/past/the/edge/of/any/terminal/hello.aci", 1)
	bin := testutil.Binary(t, "acfetch")
	r := testutil.RunStderrTTY(t, nil, 80, bin, "fetch", "--store-dir", fx.storeDir, "--trust-dir", fx.trustDir, "--system-trust-dir", "", "--insecure-options=http", long)
	if r.Code != 0 {
		t.Fatalf("acfetch fetch: exit %d, stderr %q", r.Code, r.Stderr)
	}
	lines := testutil.TerminalLines(r.Stderr)
	bars := 0
	for _, l := range lines {
		if utf8.RuneCountInString(l) > 80 {
			t.Errorf("line of %d columns on an 80-column terminal: %q", utf8.RuneCountInString(l), l)
		}
		if strings.HasPrefix(l, "Downloading ACI ") {
			bars++
		}
	}
	if bars < 2 {
		t.Errorf("%d bar frames, want several: %q", bars, r.Stderr)
	}
	if !strings.Contains(r.Stderr, "…") {
		t.Errorf("the long URL is not shortened: %q", r.Stderr)
	}

	// --quiet on a terminal: no bar either.
	rm := fx.run(t, "rm", strings.TrimSpace(r.Stdout))
	if rm.Code != 0 {
		t.Fatalf("acfetch rm: exit %d, stderr %q", rm.Code, rm.Stderr)
	}
	q := testutil.RunStderrTTY(t, nil, 80, bin, "fetch", "--quiet", "--store-dir", fx.storeDir, "--trust-dir", fx.trustDir, "--system-trust-dir", "", "--insecure-options=http", long)
	if q.Code != 0 || strings.ContainsAny(q.Stderr, "\r\x1b") || strings.Contains(q.Stderr, "Downloading") {
		t.Errorf("acfetch fetch --quiet on a terminal: exit %d, stderr %q; want 0 and no bar", q.Code, q.Stderr)
	}

	// stderr a pipe: messages only, no bar bytes.
	rm = fx.run(t, "rm", strings.TrimSpace(q.Stdout))
	if rm.Code != 0 {
		t.Fatalf("acfetch rm: exit %d, stderr %q", rm.Code, rm.Stderr)
	}
	p := fx.run(t, "fetch", "--insecure-options=http", long)
	if p.Code != 0 {
		t.Fatalf("acfetch fetch with stderr a pipe: exit %d, stderr %q", p.Code, p.Stderr)
	}
	if strings.ContainsAny(p.Stderr, "\r\x1b") || strings.Contains(p.Stderr, "Downloading") {
		t.Errorf("bar drawn on a pipe: stderr %q", p.Stderr)
	}
}
