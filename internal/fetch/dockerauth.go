package fetch

import (
	"encoding/json"
	"errors"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/acikit/acikit/internal/errkind"
)

// Docker registry credentials come from auth.d files of rkt's dockerAuth
// kind:
//
//	{"rktKind": "dockerAuth", "rktVersion": "v1",
//	 "registries": ["registry-1.docker.io", "127.0.0.1:5000"],
//	 "credentials": {"user": "u", "password": "p"}}
//
// and, for registries none of them names, from the keychain the tool passes
// (~/.docker/config.json).

// DockerCredential is a user and password for one registry. Its String
// never shows the password.
type DockerCredential struct {
	User, Password string
}

func (c DockerCredential) String() string   { return "docker credentials for " + c.User }
func (c DockerCredential) GoString() string { return c.String() }

// ParseDockerAuthConfig parses one auth.d file and returns the credentials
// per registry host (nil, nil for a file of another kind).
func ParseDockerAuthConfig(data []byte) (map[string]DockerCredential, error) {
	var f struct {
		Kind        string          `json:"rktKind"`
		Version     string          `json:"rktVersion"`
		Registries  []string        `json:"registries"`
		Credentials json.RawMessage `json:"credentials"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, errkind.Invalidf("bad JSON at offset %d", se.Offset)
		}
		return nil, errkind.Invalidf("bad auth config structure")
	}
	if f.Kind != "dockerAuth" {
		return nil, nil
	}
	if f.Version != "v1" {
		return nil, errkind.Invalidf("rktVersion %q: want \"v1\"", f.Version)
	}
	if len(f.Registries) == 0 {
		return nil, errkind.Invalidf("no registries")
	}
	var c struct{ User, Password string }
	if json.Unmarshal(f.Credentials, &c) != nil || c.User == "" {
		return nil, errkind.Invalidf("docker credentials need user and password")
	}
	out := map[string]DockerCredential{}
	for _, r := range f.Registries {
		r = registryKey(r)
		if r == "" || strings.ContainsAny(r, "/ \t\r\n") {
			return nil, errkind.Invalidf("bad registry %q", r)
		}
		out[r] = DockerCredential{User: c.User, Password: c.Password}
	}
	return out, nil
}

// registryKey is the form registry names are matched in: lower case, and
// Docker Hub's several names as one.
func registryKey(r string) string {
	r = strings.ToLower(strings.TrimSpace(r))
	switch r {
	case "docker.io", "index.docker.io", "registry-1.docker.io":
		return "index.docker.io"
	}
	return r
}

// DockerKeychain returns the keychain for docker:// images: the dockerAuth
// entries first, then next (nil: anonymous).
func (a *Auth) DockerKeychain(next authn.Keychain) authn.Keychain {
	var m map[string]DockerCredential
	if a != nil {
		m = a.docker
	}
	return dockerKeychain{creds: m, next: next}
}

type dockerKeychain struct {
	creds map[string]DockerCredential
	next  authn.Keychain
}

func (k dockerKeychain) Resolve(r authn.Resource) (authn.Authenticator, error) {
	if c, ok := k.creds[registryKey(r.RegistryStr())]; ok {
		return &authn.Basic{Username: c.User, Password: c.Password}, nil
	}
	if k.next != nil {
		return k.next.Resolve(r)
	}
	return authn.Anonymous, nil
}
