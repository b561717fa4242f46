package progress

import (
	"bytes"
	"os"
	"strings"
	"testing"
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
