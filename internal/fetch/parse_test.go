package fetch

import (
	"errors"
	"strings"
	"testing"

	"github.com/acikit/acikit/internal/errkind"
)

func TestParseRef(t *testing.T) {
	files := map[string]bool{"hello": true}
	isFile := func(p string) bool { return files[p] }
	tests := []struct {
		in      string
		kind    Kind
		want    string
		wantErr error
	}{
		{"example.com/hello:1.0,os=linux", KindName, "example.com/hello:1.0,os=linux", nil},
		{"example.com/hello", KindName, "example.com/hello", nil},
		{"https://example.com/hello.aci", KindHTTPS, "https://example.com/hello.aci", nil},
		{"http://127.0.0.1:8000/hello.aci", KindHTTP, "http://127.0.0.1:8000/hello.aci", nil},
		{"file:///tmp/x.aci", KindFile, "/tmp/x.aci", nil},
		{"/tmp/x.aci", KindFile, "/tmp/x.aci", nil},
		{"./x", KindFile, "./x", nil},
		{"x.aci", KindFile, "x.aci", nil},
		{"hello", KindFile, "hello", nil},
		{"-", KindStdin, "-", nil},
		{"", 0, "", errkind.Usage},
		{"docker://busybox", KindDocker, "docker://busybox", nil},
		{"docker:busybox:1.36", KindDocker, "docker://busybox:1.36", nil},
		{"docker://127.0.0.1:5000/a/b@sha256:" + strings.Repeat("0", 64), KindDocker, "docker://127.0.0.1:5000/a/b@sha256:" + strings.Repeat("0", 64), nil},
		{"docker://", 0, "", errkind.Usage},
		{"docker://Bad/Name", 0, "", errkind.Usage},
		{"ftp://x/y.aci", 0, "", errkind.Usage},
		{"https://", 0, "", errkind.Usage},
		{"Example.com/Hello", 0, "", errkind.Usage},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			r, err := parseRef(tt.in, isFile)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Errorf("ParseRef(%q) error = %v, want %v", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseRef(%q) = %v", tt.in, err)
			}
			if r.Kind != tt.kind || r.String() != tt.want {
				t.Errorf("ParseRef(%q) = %s %q, want %s %q", tt.in, r.Kind, r, tt.kind, tt.want)
			}
		})
	}
}

func TestSignatureLocation(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://x.org/a/hello.aci", "https://x.org/a/hello.aci.asc"},
		{"https://x.org/a/hello", "https://x.org/a/hello.asc https://x.org/a/hello.aci.asc"},
		{"https://x.org/a/hello.tar.gz", "https://x.org/a/hello.tar.gz.asc https://x.org/a/hello.tar.gz.aci.asc"},
		{"https://x.org/hello.aci?token=1", "https://x.org/hello.aci.asc?token=1"},
	}
	for _, tt := range tests {
		if got := strings.Join(signatureURLs(tt.in), " "); got != tt.want {
			t.Errorf("signatureURLs(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseMaxAge(t *testing.T) {
	tests := []struct {
		in   string
		want int64
	}{
		{"", 0},
		{"max-age=60", 60},
		{"public, max-age=3600", 3600},
		{"max-age=060", 0},
		{"max-age=0", 0},
		{"max-age=abc", 0},
		{"max-age=60, no-cache", 0},
		{"no-store, max-age=60", 0},
		{"MAX-AGE=5", 5},
		{`max-age="7"`, 7},
		{"max-age=99999999999999999999999", 1<<31 - 1},
	}
	for _, tt := range tests {
		if got := ParseMaxAge(tt.in); got != tt.want {
			t.Errorf("ParseMaxAge(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestParseAuthConfig(t *testing.T) {
	tests := []struct {
		name, in string
		want     map[string]string
		wantErr  bool
	}{
		{"basic", `{"rktKind":"auth","rktVersion":"v1","domains":["Example.com"],"type":"basic","credentials":{"user":"u","password":"p"}}`,
			map[string]string{"example.com": "Basic dTpw"}, false},
		{"oauth", `{"rktKind":"auth","rktVersion":"v1","domains":["a.org","b.org:8443"],"type":"oauth","credentials":{"token":"tok"}}`,
			map[string]string{"a.org": "Bearer tok", "b.org:8443": "Bearer tok"}, false},
		{"docker", `{"rktKind":"dockerAuth","rktVersion":"v1","registries":["r"],"credentials":{"user":"u","password":"p"}}`, nil, false},
		{"bad kind", `{"rktKind":"x","rktVersion":"v1"}`, nil, true},
		{"bad version", `{"rktKind":"auth","rktVersion":"v2","domains":["a"],"type":"basic","credentials":{"user":"u"}}`, nil, true},
		{"no domains", `{"rktKind":"auth","rktVersion":"v1","type":"basic","credentials":{"user":"u"}}`, nil, true},
		{"no user", `{"rktKind":"auth","rktVersion":"v1","domains":["a"],"type":"basic","credentials":{"password":"secret"}}`, nil, true},
		{"bad type", `{"rktKind":"auth","rktVersion":"v1","domains":["a"],"type":"aws","credentials":{}}`, nil, true},
		{"syntax", `{"rktKind": "auth", "credentials": {"password": "hunter2"`, nil, true},
		{"token with newline", `{"rktKind":"auth","rktVersion":"v1","domains":["a"],"type":"oauth","credentials":{"token":"a\nb"}}`, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseAuthConfig([]byte(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseAuthConfig(%s) error = %v, want error %v", tt.name, err, tt.wantErr)
			}
			if err != nil && (strings.Contains(err.Error(), "secret") || strings.Contains(err.Error(), "hunter2")) {
				t.Errorf("ParseAuthConfig(%s) error %q shows a credential", tt.name, err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("ParseAuthConfig(%s) = %v, want %v", tt.name, got, tt.want)
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("ParseAuthConfig(%s)[%s] = %q, want %q", tt.name, k, got[k], v)
				}
			}
		})
	}
}

func FuzzParseRef(f *testing.F) {
	for _, s := range []string{"example.com/hello:1.0,os=linux", "https://x/y.aci", "http://h:1/a", "-", "./a", "/a.aci", "file://x", "docker://a", "docker:b:1", "docker://127.0.0.1:5000/a/b@sha256:00", "a:b:c", "a,b=c,b=d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := parseRef(s, func(string) bool { return false })
		if err != nil {
			if !errors.Is(err, errkind.Usage) {
				t.Errorf("ParseRef(%q) error %v is not a usage error", s, err)
			}
			return
		}
		if r.Kind == KindName {
			// A name must read back to itself.
			r2, err := parseRef(r.String(), func(string) bool { return false })
			if err != nil || r2.String() != r.String() {
				t.Errorf("ParseRef(%q).String() = %q does not parse back: %v", s, r.String(), err)
			}
		}
	})
}

func FuzzParseAuthConfig(f *testing.F) {
	f.Add([]byte(`{"rktKind":"auth","rktVersion":"v1","domains":["a.org"],"type":"basic","credentials":{"user":"u","password":"p"}}`))
	f.Add([]byte(`{"rktKind":"auth","rktVersion":"v1","domains":["a.org"],"type":"oauth","credentials":{"token":"t"}}`))
	f.Add([]byte(`{"rktKind":"dockerAuth"}`))
	f.Add([]byte(`{`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseAuthConfig(data)
		if err != nil {
			return
		}
		for host, v := range m {
			if host == "" || strings.ContainsAny(v, "\r\n") {
				t.Errorf("ParseAuthConfig gave host %q value with a line break or empty host", host)
			}
		}
	})
}

func FuzzParseMaxAge(f *testing.F) {
	for _, s := range []string{"max-age=60", "no-cache", "max-age=060", "public, max-age=1", `max-age="5"`, "max-age=-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if n := ParseMaxAge(s); n < 0 {
			t.Errorf("ParseMaxAge(%q) = %d, want >= 0", s, n)
		}
	})
}
