package discovery

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/acikit/acikit/internal/errkind"
	"github.com/google/go-cmp/cmp"
)

func FuzzParseApp(f *testing.F) {
	for _, s := range []string{
		"example.com/app", "example.com/app:1.0.0,os=linux,arch=amd64", "a.b/c,v=x=y&z+w q",
		"example.com/app:1:2", "example.com/app,os=linux:1", "example.com/app,", "example.com/app:",
		"example.com/app,os=linux,os=darwin", "example.com/app,name=x", "Example.com", "a,o%73=1", ":",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseApp(s)
		if err != nil {
			if !errors.Is(err, errkind.Usage) || strings.Contains(err.Error(), "\n") && !strings.Contains(s, "\n") {
				t.Fatalf("ParseApp(%q) = %q, want a one-line usage error", s, err)
			}
			return
		}
		back, err := ParseApp(a.String())
		if err != nil {
			t.Fatalf("ParseApp(%q).String() = %q, which does not parse: %v", s, a.String(), err)
		}
		if d := cmp.Diff(a, back); d != "" {
			t.Fatalf("ParseApp(%q) does not round-trip (-first +second):\n%s", s, d)
		}
		if a.Version() == "" {
			t.Fatalf("ParseApp(%q).Version() is empty", s)
		}
	})
}

func FuzzParseMeta(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.html"))
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Add(`<meta name="ac-discovery" content="a https://x/{name}.{ext}">`)
	f.Add(`<meta name=ac-discovery-pubkeys content="a https://x/k">`)
	vars := map[string]string{"name": "example.com/app", "version": "1", "os": "linux", "arch": "amd64", "ext": "aci"}
	f.Fuzz(func(t *testing.T, page string) {
		tags, err := parseMeta(strings.NewReader(page))
		if err != nil {
			t.Fatalf("parseMeta = %v, want no error from a strings.Reader", err)
		}
		for _, tag := range tags {
			if tag.name != metaEndpoint && tag.name != metaPubkeys {
				t.Fatalf("parseMeta returned tag name %q", tag.name)
			}
			if tag.prefix == "" || tag.url == "" || strings.ContainsAny(tag.prefix+tag.url, " \t\n\r\f") {
				t.Fatalf("parseMeta returned %+v, want two non-empty fields without spaces", tag)
			}
			prefixMatches("example.com/app", tag.prefix)
			// An unclosed brace stays literal, but a known placeholder never survives.
			if u, ok := expandTemplate(tag.url, vars); ok && strings.Contains(u, "{name}") {
				t.Fatalf("expandTemplate(%q) = %q, left {name}", tag.url, u)
			}
		}
		// A truncated page never yields more tags than the whole one.
		half, _ := parseMeta(strings.NewReader(page[:len(page)/2]))
		if len(half) > len(tags) {
			t.Fatalf("parseMeta(first half) = %d tags, whole page %d", len(half), len(tags))
		}
	})
}
