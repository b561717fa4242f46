package fetch

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/acikit/acikit/internal/discovery"
	"github.com/acikit/acikit/internal/errkind"
	"github.com/acikit/acikit/internal/pgp"
)

// Kind says how an image string is fetched.
type Kind int

// The kinds of image strings.
const (
	KindName   Kind = iota + 1 // NAME[:version][,label=value...] through discovery
	KindHTTPS                  // https:// URL
	KindHTTP                   // http:// URL (needs Insecure.HTTP)
	KindFile                   // a file path (or file:// URL)
	KindStdin                  // "-"
	KindDocker                 // docker://[REGISTRY/]NAME[:TAG|@DIGEST], converted (needs Insecure.Image)
)

func (k Kind) String() string {
	switch k {
	case KindName:
		return "name"
	case KindHTTPS:
		return "https"
	case KindHTTP:
		return "http"
	case KindFile:
		return "file"
	case KindStdin:
		return "stdin"
	case KindDocker:
		return "docker"
	}
	return "unknown"
}

// Ref is a parsed image string.
type Ref struct {
	Kind Kind
	// App is set for KindName: the name and labels as typed (no defaults).
	App *discovery.App
	// URL is set for KindHTTP and KindHTTPS.
	URL string
	// Path is set for KindFile.
	Path string
	// Docker is set for KindDocker: the reference as typed after the scheme;
	// URL is then its canonical docker:// form, the store's key for it.
	Docker string
}

func (r *Ref) String() string {
	switch r.Kind {
	case KindName:
		return r.App.String()
	case KindHTTP, KindHTTPS:
		return r.URL
	case KindFile:
		return r.Path
	case KindDocker:
		return "docker://" + r.Docker
	}
	return "-"
}

// ParseRef classifies an image string as rkt does: a scheme decides for
// URLs; without one, "-" is stdin, an absolute path, an existing file, a
// string holding "./" or ending in ".aci" are files, and anything else is an
// app name. docker://REF and docker:REF are Docker registry images.
func ParseRef(s string) (*Ref, error) {
	return parseRef(s, func(p string) bool {
		fi, err := os.Stat(p)
		return err == nil && fi.Mode().IsRegular()
	})
}

func parseRef(s string, isFile func(string) bool) (*Ref, error) {
	switch {
	case s == "":
		return nil, errkind.Usagef("empty image string")
	case s == "-":
		return &Ref{Kind: KindStdin}, nil
	}
	if rest, ok := strings.CutPrefix(s, "docker:"); ok {
		return parseDocker(s, strings.TrimPrefix(rest, "//"))
	}
	if scheme, rest, ok := strings.Cut(s, "://"); ok {
		switch strings.ToLower(scheme) {
		case "https", "http":
			u, err := url.Parse(s)
			if err != nil || u.Host == "" {
				return nil, errkind.Usagef("image URL %q: not a valid URL", s)
			}
			k := KindHTTPS
			if strings.EqualFold(scheme, "http") {
				k = KindHTTP
			}
			return &Ref{Kind: k, URL: u.String()}, nil
		case "file":
			if rest == "" {
				return nil, errkind.Usagef("image URL %q: no path", s)
			}
			return &Ref{Kind: KindFile, Path: rest}, nil
		default:
			return nil, errkind.Usagef("image %q: unsupported scheme %q", s, scheme)
		}
	}
	if filepath.IsAbs(s) || isFile(s) || strings.Contains(s, "./") || strings.HasSuffix(s, ".aci") {
		return &Ref{Kind: KindFile, Path: s}, nil
	}
	app, err := discovery.ParseApp(s)
	if err != nil {
		return nil, fmt.Errorf("image string: %w", err)
	}
	return &Ref{Kind: KindName, App: app}, nil
}

// signatureURLs are where the detached signature of an image URL may live,
// in the order they are tried: pgp.SignatureNames applied to the URL's path
// (the query stays as it is).
func signatureURLs(image string) []string {
	u, err := url.Parse(image)
	if err != nil {
		return []string{pgp.SignatureName(image)}
	}
	var out []string
	for _, p := range pgp.SignatureNames(u.Path) {
		v := *u
		v.Path, v.RawPath = p, ""
		out = append(out, v.String())
	}
	return out
}
