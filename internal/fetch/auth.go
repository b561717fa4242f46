package fetch

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/acikit/acikit/internal/errkind"
)

// Auth holds per-host credentials read from auth.d directories in rkt's
// format, one JSON object per file:
//
//	{"rktKind": "auth", "rktVersion": "v1", "domains": ["example.com"],
//	 "type": "basic", "credentials": {"user": "u", "password": "p"}}
//
// with type "basic" (user, password) or "oauth" (token, sent as Bearer).
// Files of kind "dockerAuth" hold docker:// registry credentials (see
// ParseDockerAuthConfig). Credentials never appear
// in errors, logs or fmt output.
type Auth struct {
	byHost map[string]string           // host → Authorization header value
	docker map[string]DockerCredential // registry → dockerAuth credentials
}

type authFile struct {
	Kind        string          `json:"rktKind"`
	Version     string          `json:"rktVersion"`
	Domains     []string        `json:"domains"`
	Type        string          `json:"type"`
	Credentials json.RawMessage `json:"credentials"`
}

// ParseAuthConfig parses one auth.d file and returns the Authorization
// header value per domain (nil, nil for a kind it does not handle).
func ParseAuthConfig(data []byte) (map[string]string, error) {
	var f authFile
	if err := json.Unmarshal(data, &f); err != nil {
		// The syntax error gives an offset, never the content.
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, errkind.Invalidf("bad JSON at offset %d", se.Offset)
		}
		return nil, errkind.Invalidf("bad auth config structure")
	}
	switch f.Kind {
	case "auth":
	case "dockerAuth":
		return nil, nil
	default:
		return nil, errkind.Invalidf("rktKind %q: want \"auth\" or \"dockerAuth\"", f.Kind)
	}
	if f.Version != "v1" {
		return nil, errkind.Invalidf("rktVersion %q: want \"v1\"", f.Version)
	}
	if len(f.Domains) == 0 {
		return nil, errkind.Invalidf("no domains")
	}
	var value string
	switch f.Type {
	case "basic":
		var c struct{ User, Password string }
		if json.Unmarshal(f.Credentials, &c) != nil || c.User == "" {
			return nil, errkind.Invalidf("basic credentials need user and password")
		}
		value = "Basic " + base64.StdEncoding.EncodeToString([]byte(c.User+":"+c.Password))
	case "oauth":
		var c struct{ Token string }
		if json.Unmarshal(f.Credentials, &c) != nil || c.Token == "" {
			return nil, errkind.Invalidf("oauth credentials need a token")
		}
		if strings.ContainsAny(c.Token, "\r\n") {
			return nil, errkind.Invalidf("oauth token holds a line break")
		}
		value = "Bearer " + c.Token
	default:
		return nil, errkind.Invalidf("auth type %q: want basic or oauth", f.Type)
	}
	out := map[string]string{}
	for _, d := range f.Domains {
		d = strings.ToLower(strings.TrimSpace(d))
		if d == "" || strings.ContainsAny(d, "/ \t\r\n") {
			return nil, errkind.Invalidf("bad domain %q", d)
		}
		out[d] = value
	}
	return out, nil
}

// LoadAuth reads every *.json file of the given auth.d directories, in
// order, so a later directory (the user's) overrides an earlier one (the
// system's) for the same domain. Missing directories are skipped.
func LoadAuth(dirs ...string) (*Auth, error) {
	a := &Auth{byHost: map[string]string{}, docker: map[string]DockerCredential{}}
	for _, dir := range dirs {
		files, err := filepath.Glob(filepath.Join(dir, "*.json"))
		if err != nil {
			return nil, err
		}
		sort.Strings(files)
		for _, file := range files {
			data, err := os.ReadFile(file)
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("read auth config: %w", err)
			}
			m, err := ParseAuthConfig(data)
			if err != nil {
				return nil, fmt.Errorf("auth config %s: %w", file, err)
			}
			for d, v := range m {
				a.byHost[d] = v
			}
			dm, err := ParseDockerAuthConfig(data)
			if err != nil {
				return nil, fmt.Errorf("auth config %s: %w", file, err)
			}
			for r, c := range dm {
				a.docker[r] = c
			}
		}
	}
	return a, nil
}

// Authorization returns the header value for a request to host (a host name
// or host:port; host:port is tried first), or "".
func (a *Auth) Authorization(host string) string {
	if a == nil {
		return ""
	}
	host = strings.ToLower(host)
	if v, ok := a.byHost[host]; ok {
		return v
	}
	if h, _, ok := strings.Cut(host, ":"); ok {
		return a.byHost[h]
	}
	return ""
}

// Headers returns the credentials in the form discovery.Options.Headers takes.
func (a *Auth) Headers() map[string]http.Header {
	if a == nil {
		return nil
	}
	out := map[string]http.Header{}
	for h, v := range a.byHost {
		out[h] = http.Header{"Authorization": {v}}
	}
	return out
}

// Hosts lists the hosts that have credentials, for diagnostics.
func (a *Auth) Hosts() []string {
	if a == nil {
		return nil
	}
	var hs []string
	for h := range a.byHost {
		hs = append(hs, h)
	}
	sort.Strings(hs)
	return hs
}

// String never shows a credential.
func (a *Auth) String() string { return fmt.Sprintf("auth for %d hosts", len(a.Hosts())) }

// GoString never shows a credential either (%#v).
func (a *Auth) GoString() string { return a.String() }
