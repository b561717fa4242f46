package fetch

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
)

func TestDockerRefURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"docker://busybox", "docker://index.docker.io/library/busybox:latest"},
		{"docker:busybox", "docker://index.docker.io/library/busybox:latest"},
		{"docker://docker.io/library/busybox:latest", "docker://index.docker.io/library/busybox:latest"},
		{"docker://127.0.0.1:5000/r/b:s2", "docker://127.0.0.1:5000/r/b:s2"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			r, err := parseRef(tt.in, func(string) bool { return false })
			if err != nil || r.URL != tt.want {
				t.Errorf("ParseRef(%q).URL = %q, %v, want %q", tt.in, r.URL, err, tt.want)
			}
		})
	}
}

func TestDockerFileName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"busybox", "library-busybox-latest.aci"},
		{"127.0.0.1:5000/research/busybox:s2", "research-busybox-s2.aci"},
		{"r.io/a/b@sha256:" + strings.Repeat("1", 64), "a-b.aci"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := dockerFileName(&Ref{Kind: KindDocker, Docker: tt.in}); got != tt.want {
				t.Errorf("dockerFileName(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseDockerAuthConfig(t *testing.T) {
	tests := []struct {
		name, in string
		want     map[string]DockerCredential
		wantErr  bool
	}{
		{"docker", `{"rktKind":"dockerAuth","rktVersion":"v1","registries":["Quay.io","docker.io"],"credentials":{"user":"u","password":"p"}}`,
			map[string]DockerCredential{"quay.io": {"u", "p"}, "index.docker.io": {"u", "p"}}, false},
		{"other kind", `{"rktKind":"auth","rktVersion":"v1","domains":["a"],"type":"basic","credentials":{"user":"u","password":"p"}}`, nil, false},
		{"bad version", `{"rktKind":"dockerAuth","rktVersion":"v2","registries":["r"],"credentials":{"user":"u"}}`, nil, true},
		{"no registries", `{"rktKind":"dockerAuth","rktVersion":"v1","credentials":{"user":"u"}}`, nil, true},
		{"no user", `{"rktKind":"dockerAuth","rktVersion":"v1","registries":["r"],"credentials":{"password":"secret"}}`, nil, true},
		{"bad registry", `{"rktKind":"dockerAuth","rktVersion":"v1","registries":["https://r/"],"credentials":{"user":"u"}}`, nil, true},
		{"syntax", `{"rktKind": "dockerAuth", "credentials": {"password": "hunter2"`, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseDockerAuthConfig([]byte(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseDockerAuthConfig(%s) error = %v, want error %v", tt.name, err, tt.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), "hunter2") {
				t.Errorf("ParseDockerAuthConfig(%s) error %q shows the password", tt.name, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseDockerAuthConfig(%s) mismatch (-want +got):\n%s", tt.name, diff)
			}
		})
	}
}

type staticKeychain struct{ user string }

func (k staticKeychain) Resolve(authn.Resource) (authn.Authenticator, error) {
	return &authn.Basic{Username: k.user, Password: "x"}, nil
}

func TestDockerKeychain(t *testing.T) {
	a := &Auth{docker: map[string]DockerCredential{"index.docker.io": {"hub", "secret"}, "127.0.0.1:5000": {"local", "secret"}}}
	tests := []struct {
		ref  string
		next authn.Keychain
		want string // user name, "" for anonymous
	}{
		{"busybox", nil, "hub"},
		{"registry-1.docker.io/library/busybox", nil, "hub"},
		{"127.0.0.1:5000/a/b", nil, "local"},
		{"quay.io/a/b", nil, ""},
		{"quay.io/a/b", staticKeychain{"config"}, "config"},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			r, err := name.ParseReference(tt.ref)
			if err != nil {
				t.Fatal(err)
			}
			au, err := a.DockerKeychain(tt.next).Resolve(r.Context())
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := au.Authorization()
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Username != tt.want {
				t.Errorf("DockerKeychain().Resolve(%s) user = %q, want %q", tt.ref, cfg.Username, tt.want)
			}
		})
	}
	if s := fmt.Sprintf("%v %+v %#v", a.docker, a.docker, a.docker); strings.Contains(s, "secret") {
		t.Errorf("credentials formatted as %q show the password", s)
	}
}

func FuzzParseDockerAuthConfig(f *testing.F) {
	f.Add([]byte(`{"rktKind":"dockerAuth","rktVersion":"v1","registries":["r.io"],"credentials":{"user":"u","password":"p"}}`))
	f.Add([]byte(`{"rktKind":"auth"}`))
	f.Add([]byte(`{`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseDockerAuthConfig(data)
		if err != nil {
			return
		}
		for r, c := range m {
			if r == "" || r != registryKey(r) || c.User == "" {
				t.Errorf("ParseDockerAuthConfig gave registry %q (user %q): empty or not normalized", r, c.User)
			}
		}
	})
}
