package progress

import (
	"bytes"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestEnabled(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tests := []struct {
		name  string
		w     any
		quiet bool
		want  bool
	}{
		{"buffer", &bytes.Buffer{}, false, false},
		{"regular file", f, false, false},
		{"quiet", f, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, _ := tt.w.(interface{ Write([]byte) (int, error) })
			if got := Enabled(w, tt.quiet); got != tt.want {
				t.Errorf("Enabled(%s, %v) = %v, want %v", tt.name, tt.quiet, got, tt.want)
			}
		})
	}
}

func TestBarCounts(t *testing.T) {
	var out bytes.Buffer
	b := New(&out, "ACI", "https://example.com/hello.aci", 2048)
	b.Write(make([]byte, 1024))
	b.Write(make([]byte, 1024))
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "Downloading ACI") {
		t.Errorf("bar output = %q, want it to name the download", out.String())
	}
}

// frames splits what a bar wrote into the lines a terminal shows: every
// redraw starts at \r, and ANSI escapes take no columns.
func frames(s string) []string {
	s = ansi.ReplaceAllString(s, "")
	var out []string
	for _, l := range strings.FieldsFunc(s, func(r rune) bool { return r == '\r' || r == '\n' }) {
		out = append(out, l)
	}
	return out
}

var ansi = regexp.MustCompile(`\x1b\[[0-9;?]*[A-Za-z]`)

const longURL = "https://registry.example.com/some/very/deep/path/to/images/with/a/long/name/hello-world-image-1.2.3-linux-amd64.aci"

// No redraw may be wider than the terminal, or the terminal wraps it and
// every later \r redraw leaves the wrapped part behind.
func TestBarFitsWidth(t *testing.T) {
	for _, width := range []int{40, 80, 200} {
		for _, total := range []int64{50 << 20, -1} {
			var out bytes.Buffer
			clock := time.Unix(1000, 0)
			b := newBar(&out, "Downloading ACI", longURL, total, width, func() time.Time { return clock })
			for i := 0; i < 50; i++ {
				clock = clock.Add(300 * time.Millisecond)
				b.Write(make([]byte, 1<<20))
			}
			b.Close()
			fs := frames(out.String())
			if len(fs) < 10 {
				t.Errorf("width %d total %d: %d frames, want a redraw per throttle period: %q", width, total, len(fs), out.String())
			}
			for _, f := range fs {
				if n := utf8.RuneCountInString(f); n >= width {
					t.Errorf("width %d total %d: frame of %d columns (want < %d): %q", width, total, n, width, f)
				}
			}
			if width == 80 && !strings.Contains(out.String(), "…") {
				t.Errorf("width %d: the long URL was not shortened in the middle: %q", width, fs[0])
			}
			if width == 200 && !strings.Contains(out.String(), "hello-world-image-1.2.3-linux-amd64.aci") {
				t.Errorf("width 200: the file name at the end of the URL is lost: %q", fs[0])
			}
			if !strings.HasSuffix(out.String(), "\r\x1b[K") {
				t.Errorf("width %d: Close does not clear the line: %q", width, out.String())
			}
		}
	}
}

// A complete bar clears its line at once: the caller may log before Close.
func TestBarClearsWhenComplete(t *testing.T) {
	var out bytes.Buffer
	b := newBar(&out, "Downloading ACI", "https://example.com/a.aci", 2048, 80, time.Now)
	b.Write(make([]byte, 1024))
	b.Write(make([]byte, 1024))
	if !strings.HasSuffix(out.String(), "\r\x1b[K") {
		t.Errorf("complete bar = %q, want its line cleared", out.String())
	}
	n := out.Len()
	b.Close()
	if out.Len() != n {
		t.Errorf("Close after completion wrote %q", out.String()[n:])
	}
}

// A short name is never shortened.
func TestBarShortName(t *testing.T) {
	var out bytes.Buffer
	b := newBar(&out, "Downloading ACI", "https://example.com/a.aci", 4096, 80, time.Now)
	b.Write(make([]byte, 1024))
	b.Close()
	if !strings.Contains(out.String(), "Downloading ACI https://example.com/a.aci ") {
		t.Errorf("bar = %q, want the whole name", out.String())
	}
	if !strings.Contains(out.String(), "1.0 KiB/4.0 KiB") {
		t.Errorf("bar = %q, want done/total", out.String())
	}
}

// The first frame comes after a few microseconds: a rate from it is
// absurd (GB/s), so no rate or ETA shows until half a second has passed
// and bytes arrived.
func TestBarNoFirstFrameRate(t *testing.T) {
	var out bytes.Buffer
	clock := time.Unix(1000, 0)
	b := newBar(&out, "Downloading ACI", "https://example.com/a.aci", 100<<20, 80, func() time.Time { return clock })
	clock = clock.Add(time.Millisecond)
	b.Write(make([]byte, 1<<20))
	fs := frames(out.String())
	if len(fs) == 0 {
		t.Fatalf("no first frame: %q", out.String())
	}
	for _, f := range fs {
		if strings.Contains(f, "/s") || strings.Contains(f, "ETA") {
			t.Errorf("frame before 0.5 s shows a rate: %q", f)
		}
	}
	clock = clock.Add(time.Second)
	b.Write(make([]byte, 1<<20))
	fs = frames(out.String())
	if last := fs[len(fs)-1]; !strings.Contains(last, "MiB/s") || !strings.Contains(last, "ETA") {
		t.Errorf("frame after 1 s = %q, want a rate and an ETA", last)
	}
	// Time passing without bytes gives no rate either.
	out.Reset()
	clock = time.Unix(2000, 0)
	b = newBar(&out, "Downloading ACI", "https://example.com/a.aci", 100<<20, 80, func() time.Time { return clock })
	clock = clock.Add(2 * time.Second)
	b.Write(nil)
	for _, f := range frames(out.String()) {
		if strings.Contains(f, "/s") {
			t.Errorf("frame with no bytes shows a rate: %q", f)
		}
	}
}

// Old code check through the public constructor: an 80-column fallback.
func TestNewFitsDefaultWidth(t *testing.T) {
	var out bytes.Buffer
	b := New(&out, "ACI", longURL, 50<<20)
	for i := 0; i < 5; i++ {
		b.Write(make([]byte, 10<<20))
		time.Sleep(250 * time.Millisecond)
	}
	b.Close()
	for _, f := range frames(out.String()) {
		if n := utf8.RuneCountInString(f); n >= 80 {
			t.Errorf("frame of %d columns on a non-terminal (80 assumed): %q", n, f)
		}
	}
}
