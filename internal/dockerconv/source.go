package dockerconv

import (
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/acikit/acikit/internal/errkind"
	"github.com/acikit/acikit/internal/log"
	"github.com/google/go-containerregistry/pkg/authn"
)

// SourceKind tells where an image is read from.
type SourceKind int

// The kinds of source.
const (
	// Archive is a file: a docker save archive of any era or an oci-archive.
	Archive SourceKind = iota
	// Layout is an OCI image layout directory.
	Layout
	// Registry is a Docker registry (v2 API).
	Registry
)

// Source names one image.
type Source struct {
	Kind SourceKind
	// Path is the archive file ("-" reads Stdin) or the layout directory.
	Path  string
	Stdin io.Reader
	// Ref is, for Registry, the reference [REGISTRY/]NAME[:TAG|@DIGEST]; for
	// Archive and Layout it optionally picks one image: NAME[:TAG] in a docker
	// save archive, or the ref name (tag) in an OCI index.
	Ref string
	// Original is what the user typed (annotation appc.io/docker/originalname).
	Original string
}

// ParseSource reads the command-line forms:
//
//	docker://[REGISTRY/]NAME[:TAG|@DIGEST]   a registry
//	oci:DIR[:TAG]                            an OCI layout
//	oci-archive:FILE[:TAG], docker-archive:FILE[:NAME[:TAG]]
//	FILE, -                                  an archive of any kind (sniffed)
//	DIR                                      an OCI layout
//
// image is the --image flag (NAME[:TAG] inside a file).
func ParseSource(arg, image string) (Source, error) {
	switch {
	case arg == "":
		return Source{}, errkind.Usagef("no image given")
	case strings.HasPrefix(arg, "docker://"):
		if image != "" {
			return Source{}, errkind.Usagef("flag --image works only with files and layouts")
		}
		ref := strings.TrimPrefix(arg, "docker://")
		if ref == "" {
			return Source{}, errkind.Usagef("%q: no image name", arg)
		}
		return Source{Kind: Registry, Ref: ref, Original: ref}, nil
	case strings.HasPrefix(arg, "oci:"), strings.HasPrefix(arg, "oci-archive:"), strings.HasPrefix(arg, "docker-archive:"):
		scheme, rest, _ := strings.Cut(arg, ":")
		p, tag := rest, ""
		if i := strings.Index(rest, ":"); i >= 0 {
			p, tag = rest[:i], rest[i+1:]
		}
		if p == "" {
			return Source{}, errkind.Usagef("%q: no path after %s:", arg, scheme)
		}
		if tag != "" && image != "" {
			return Source{}, errkind.Usagef("%q names an image and so does --image", arg)
		}
		if image != "" {
			tag = image
		}
		kind := Archive
		if scheme == "oci" {
			kind = Layout
		}
		return Source{Kind: kind, Path: p, Ref: tag, Original: image}, nil
	}
	if arg != "-" {
		if st, err := os.Stat(arg); err == nil && st.IsDir() {
			return Source{Kind: Layout, Path: arg, Ref: image, Original: image}, nil
		}
	}
	return Source{Kind: Archive, Path: arg, Ref: image, Original: image}, nil
}

// Options tune Open and Convert. The zero value converts a squashed image
// for this machine's platform with no credentials.
type Options struct {
	// Platform is os/arch[/variant] picked from manifest lists and OCI
	// indexes; "" means this machine's.
	Platform string
	// Keychain supplies registry credentials (the tool passes
	// authn.DefaultKeychain, which reads ~/.docker/config.json); nil means
	// anonymous unless Username is set.
	Keychain authn.Keychain
	// Username and Password, when Username is set, are used for Basic auth
	// and to fetch Bearer tokens, instead of the keychain.
	Username, Password string
	// InsecureHTTP allows plain HTTP to registries; InsecureTLS skips
	// certificate checks. Without InsecureHTTP every request must be HTTPS.
	InsecureHTTP, InsecureTLS bool
	// Transport is the base HTTP transport (tests add a CA here); nil means
	// http.DefaultTransport.
	Transport http.RoundTripper
	// IdleTimeout ends a registry request that receives nothing for this
	// long (httpidle.DefaultTimeout when 0, none when negative).
	IdleTimeout time.Duration
	// TempDir holds the spool file when an archive comes from a pipe or is
	// compressed as a whole ("" = os.TempDir()).
	TempDir string
	// Compression of written ACIs: "gzip" (default) or "none".
	Compression string
	// Log receives debug and warning lines; nil discards them.
	Log *log.Logger
	// Progress, when set, is called as layer bytes are read with the bytes
	// done so far and the total (-1 if unknown).
	Progress func(done, total int64)
	// Now stamps the manifest and rootfs entries; nil means the Unix epoch,
	// which keeps image IDs reproducible.
	Now func() time.Time
}

func (o *Options) logger() *log.Logger {
	if o.Log == nil {
		return log.Discard
	}
	return o.Log
}
