package discovery

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
)

func readTestdata(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestParseMeta(t *testing.T) {
	ep := func(prefix, url string) metaTag { return metaTag{name: metaEndpoint, prefix: prefix, url: url} }
	pk := func(prefix, url string) metaTag { return metaTag{name: metaPubkeys, prefix: prefix, url: url} }
	tests := []struct {
		file string
		want []metaTag
	}{
		{"several.html", []metaTag{
			ep("example.com", "https://storage.example.com/{name}-{version}-{os}-{arch}.{ext}"),
			ep("example.com", "https://mirror.example.com/{os}/{arch}/{name}/{version}.{ext}"),
			ep("example.com", "https://storage.example.com/noarch/{name}-{version}.{ext}"),
			ep("example.com", "https://storage.example.com/{channel}/{name}-{version}-{os}-{arch}.{ext}"),
			ep("example.com/my", "https://wrong.example.com/string-prefix/{name}.{ext}"),
			ep("example.com/other", "https://wrong.example.com/other/{name}.{ext}"),
			ep("example.com", "file:///etc/{name}.{ext}"),
			pk("example.com", "https://example.com/pubkeys.gpg"),
			pk("example.com", "https://keys.example.com/second.gpg"),
			pk("example.com/other", "https://wrong.example.com/other.gpg"),
		}},
		{"broken.html", []metaTag{
			// The unclosed tag swallows the next line as attributes, as a browser would.
			ep("example.com/broken", "https://broken.example.com/{name}-{version}.{ext}"),
			ep("example.com/broken", "https://upper.example.com/{name}.{ext}"),
			ep("example.com/broken", "https://reversed.example.com/{name}.{ext}"),
			ep("example.com/broken", "https://quoted.example.com/{name}.{ext}"),
			pk("example.com/broken", "https://broken.example.com/key.gpg"),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := parseMeta(strings.NewReader(readTestdata(t, tt.file)))
			if err != nil {
				t.Fatalf("parseMeta(%s) = %v", tt.file, err)
			}
			if d := cmp.Diff(tt.want, got, cmp.AllowUnexported(metaTag{})); d != "" {
				t.Errorf("parseMeta(%s) mismatch (-want +got):\n%s", tt.file, d)
			}
		})
	}
}

func TestParseMetaReadError(t *testing.T) {
	errBoom := errors.New("connection reset")
	r := io.MultiReader(strings.NewReader(readTestdata(t, "several.html")[:300]), iotest.ErrReader(errBoom))
	if _, err := parseMeta(r); !errors.Is(err, errBoom) {
		t.Errorf("parseMeta(failing reader) = %v, want %v", err, errBoom)
	}
}

func TestPrefixMatches(t *testing.T) {
	tests := []struct {
		name, prefix string
		want         bool
	}{
		{"example.com/app", "example.com/app", true},
		{"example.com/app", "example.com", true},
		{"example.com/app", "example.com/", true},
		{"example.com/app/sub", "example.com/app", true},
		{"example.com/application", "example.com/app", false},
		{"example.com/app", "example.co", false},
		{"example.com/app", "example.com/app/sub", false},
		{"example.com/app", "/", false},
		{"example.com/app", "", false},
		{"example.com", "example.com", true},
	}
	for _, tt := range tests {
		if got := prefixMatches(tt.name, tt.prefix); got != tt.want {
			t.Errorf("prefixMatches(%q, %q) = %v, want %v", tt.name, tt.prefix, got, tt.want)
		}
	}
}

func TestExpandTemplate(t *testing.T) {
	vars := map[string]string{"name": "example.com/app", "version": "1.0", "os": "linux", "arch": "amd64",
		"ext": "aci", "tricky": "{os}"}
	tests := []struct {
		tpl, want string
		ok        bool
	}{
		{"https://x/{name}-{version}-{os}-{arch}.{ext}", "https://x/example.com/app-1.0-linux-amd64.aci", true},
		{"https://x/{name}.{ext}", "https://x/example.com/app.aci", true},
		{"https://x/static.aci", "https://x/static.aci", true},
		{"https://x/{name}-{channel}.{ext}", "", false},
		{"https://x/{}.{ext}", "", false},
		{"https://x/{name", "https://x/{name", true},
		{"https://x/}{name}", "https://x/}example.com/app", true},
		{"https://x/{{name}}", "", false},
		{"https://x/{tricky}", "https://x/{os}", true}, // values are not expanded again
		{"", "", true},
	}
	for _, tt := range tests {
		got, ok := expandTemplate(tt.tpl, vars)
		if got != tt.want || ok != tt.ok {
			t.Errorf("expandTemplate(%q) = %q, %v, want %q, %v", tt.tpl, got, ok, tt.want, tt.ok)
		}
	}
}

func TestWebURL(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"https://example.com/a.aci", true},
		{"http://example.com/a.aci", true},
		{"file:///etc/passwd", false},
		{"javascript:alert(1)", false},
		{"/relative.aci", false},
		{"https:///nohost", false},
		{"https://exa mple.com/", false},
	}
	for _, tt := range tests {
		if got := webURL(tt.in); got != tt.want {
			t.Errorf("webURL(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
