package dockerconv

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"

	"github.com/acikit/acikit/internal/errkind"
	"github.com/acikit/acikit/internal/httpidle"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// dockerHubName is the registry part of names of Docker Hub images, as the
// reference docker2aci writes it (go-containerregistry says index.docker.io).
const dockerHubName = "registry-1.docker.io"

// ParsePlatform reads os/arch[/variant]; "" means this machine.
func ParsePlatform(s string) (v1.Platform, error) {
	if s == "" {
		p := v1.Platform{OS: runtime.GOOS, Architecture: runtime.GOARCH}
		if p.Architecture == "arm64" {
			p.Variant = "" // v8 is implied; indexes may or may not say it
		}
		return p, nil
	}
	parts := strings.Split(s, "/")
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" {
		return v1.Platform{}, errkind.Usagef("platform %q: want os/arch[/variant]", s)
	}
	p := v1.Platform{OS: parts[0], Architecture: parts[1]}
	if len(parts) == 3 {
		p.Variant = parts[2]
	}
	return p, nil
}

// pickPlatform chooses the manifest for platform from a manifest list or
// OCI index.
func pickPlatform(ms []v1.Descriptor, platform string) (*v1.Descriptor, error) {
	want, err := ParsePlatform(platform)
	if err != nil {
		return nil, err
	}
	var have []string
	for i, d := range ms {
		if d.Platform == nil {
			continue
		}
		have = append(have, d.Platform.String())
		if d.Platform.Satisfies(want) {
			return &ms[i], nil
		}
	}
	if len(have) == 0 {
		have = []string{"none"}
	}
	return nil, errkind.NotFoundf("no image for platform %s in the manifest list (it has: %s)", want, strings.Join(have, ", "))
}

// httpsOnly refuses plain-HTTP requests: go-containerregistry falls back to
// http for loopback and private addresses on its own, which we allow only
// with InsecureHTTP.
type httpsOnly struct{ next http.RoundTripper }

func (h httpsOnly) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Scheme != "https" {
		return nil, errkind.Usagef("refusing plain http to %s (use --insecure-options=http)", r.URL.Host)
	}
	return h.next.RoundTrip(r)
}

func (o *Options) remoteOptions(ctx context.Context) []remote.Option {
	base := httpidle.Unwrap(o.Transport)
	if o.InsecureTLS {
		t, ok := base.(*http.Transport)
		if !ok {
			t = http.DefaultTransport.(*http.Transport)
		}
		t = t.Clone()
		if t.TLSClientConfig == nil {
			t.TLSClientConfig = &tls.Config{}
		}
		t.TLSClientConfig.InsecureSkipVerify = true
		base = t
	}
	if !o.InsecureHTTP {
		base = httpsOnly{base}
	}
	// Every manifest and blob read gets the idle timeout; blobs are streamed,
	// so a registry that stops sending would otherwise hang the conversion.
	base = httpidle.Wrap(base, o.IdleTimeout)
	ropts := []remote.Option{remote.WithContext(ctx), remote.WithTransport(base), remote.WithUserAgent("acikit-docker2aci")}
	switch {
	case o.Username != "":
		ropts = append(ropts, remote.WithAuth(&authn.Basic{Username: o.Username, Password: o.Password}))
	case o.Keychain != nil:
		ropts = append(ropts, remote.WithAuthFromKeychain(o.Keychain))
	}
	return ropts
}

func (im *Image) openRemote(ctx context.Context) error {
	var nopts []name.Option
	if im.opts.InsecureHTTP {
		nopts = append(nopts, name.Insecure)
	}
	ref, err := name.ParseReference(im.src.Ref, nopts...)
	if err != nil {
		return errkind.Usagef("image reference %q: %w", im.src.Ref, err)
	}
	repo := ref.Context()
	im.registry = repo.RegistryStr()
	if im.registry == name.DefaultRegistry {
		im.registry = dockerHubName
	}
	im.repository = repo.RepositoryStr()
	if t, ok := ref.(name.Tag); ok {
		im.tag = t.TagStr()
	}
	ropts := im.opts.remoteOptions(ctx)
	desc, err := remote.Get(ref, ropts...)
	if err != nil {
		return remoteErr(ref.String(), err)
	}
	for depth := 0; desc.MediaType.IsIndex(); depth++ {
		if depth > 4 {
			return errkind.Invalidf("%s: indexes nested too deep", ref)
		}
		idx, err := desc.ImageIndex()
		if err != nil {
			return remoteErr(ref.String(), err)
		}
		im2, err := idx.IndexManifest()
		if err != nil {
			return remoteErr(ref.String(), err)
		}
		d, err := pickPlatform(im2.Manifests, im.opts.Platform)
		if err != nil {
			return fmt.Errorf("%s: %w", ref, err)
		}
		if desc, err = remote.Get(repo.Digest(d.Digest.String()), ropts...); err != nil {
			return remoteErr(ref.String(), err)
		}
	}
	im.manifestHash = desc.Digest.String()
	switch desc.MediaType {
	case types.DockerManifestSchema1, types.DockerManifestSchema1Signed:
		return im.schema1(ctx, repo, desc.Manifest, ropts)
	}
	img, err := desc.Image()
	if err != nil {
		return remoteErr(ref.String(), err)
	}
	m, err := img.Manifest()
	if err != nil {
		return remoteErr(ref.String(), err)
	}
	cfgRaw, err := img.RawConfigFile()
	if err != nil {
		return remoteErr(ref.String(), err)
	}
	if err := checkDigest(cfgRaw, m.Config.Digest); err != nil {
		return fmt.Errorf("%s: config: %w", ref, err)
	}
	return im.fromManifest(m, cfgRaw, func(h v1.Hash) (io.ReadCloser, error) {
		l, err := remote.Layer(repo.Digest(h.String()), ropts...)
		if err != nil {
			return nil, remoteErr(h.String(), err)
		}
		rc, err := l.Compressed()
		if err != nil {
			return nil, remoteErr(h.String(), err)
		}
		return ggcrVerified{rc}, nil
	})
}

// ggcrVerified marks go-containerregistry's own checksum failure (it checks
// registry blobs at EOF, before our verifier would) as ErrDigest.
type ggcrVerified struct{ io.ReadCloser }

func (g ggcrVerified) Read(p []byte) (int, error) {
	n, err := g.ReadCloser.Read(p)
	if err != nil && err != io.EOF && strings.Contains(err.Error(), "error verifying") {
		err = errkind.Mark(fmt.Errorf("%w: %w", ErrDigest, err), errkind.Invalid)
	}
	return n, err
}

func remoteErr(what string, err error) error {
	err = oneLineError{err}
	var te *transport.Error
	if errors.As(err, &te) {
		switch te.StatusCode {
		case http.StatusNotFound:
			return errkind.Mark(fmt.Errorf("%s: %w", what, err), errkind.NotFound)
		case http.StatusUnauthorized, http.StatusForbidden:
			return errkind.Mark(fmt.Errorf("%s: %w", what, err), errkind.Trust)
		}
	}
	return fmt.Errorf("%s: %w", what, err)
}

// oneLineError keeps a registry error on one line: a server that answers
// with an HTML page (a web server that is not a registry, a proxy) has the
// whole page put into the message by go-containerregistry. The text stops at
// the first line break; the error chain is kept for errors.Is and As.
type oneLineError struct{ err error }

func (e oneLineError) Error() string {
	msg := e.err.Error()
	if i := strings.IndexAny(msg, "\r\n"); i >= 0 {
		msg = strings.TrimSpace(msg[:i]) + " ..."
	}
	return msg
}

func (e oneLineError) Unwrap() error { return e.err }

// schema1Manifest is the old signed/unsigned registry manifest.
type schema1Manifest struct {
	Name     string `json:"name"`
	Tag      string `json:"tag"`
	FSLayers []struct {
		BlobSum string `json:"blobSum"`
	} `json:"fsLayers"`
	History []struct {
		V1Compatibility string `json:"v1Compatibility"`
	} `json:"history"`
}

// schema1 maps a schema1 manifest: fsLayers and history are top first, and
// history entries are v1 image JSONs; throwaway (empty) layers and repeated
// layers are skipped. The signature of signed manifests is not checked
// (the keys are the registry's own, so it proves nothing).
func (im *Image) schema1(ctx context.Context, repo name.Repository, raw []byte, ropts []remote.Option) error {
	var m schema1Manifest
	if err := json.NewDecoder(bytes.NewReader(raw)).Decode(&m); err != nil {
		return errkind.Invalidf("schema1 manifest: %w", err)
	}
	if len(m.FSLayers) == 0 || len(m.FSLayers) != len(m.History) {
		return errkind.Invalidf("schema1 manifest: %d layers, %d history entries", len(m.FSLayers), len(m.History))
	}
	seen := map[string]bool{}
	for i := len(m.FSLayers) - 1; i >= 0; i-- {
		c, err := parseConfig([]byte(m.History[i].V1Compatibility))
		if err != nil {
			return fmt.Errorf("schema1 history %d: %w", i, err)
		}
		if i == 0 {
			im.cfg = c
			im.imageID = c.ID
			im.parentID = c.Parent
		}
		if c.Throwaway || seen[c.ID] {
			continue
		}
		seen[c.ID] = true
		digest, err := v1.NewHash(m.FSLayers[i].BlobSum)
		if err != nil {
			return errkind.Invalidf("schema1 blobSum %q: %w", m.FSLayers[i].BlobSum, err)
		}
		id := c.ID
		if id == "" {
			id = digest.String()
		}
		what := "layer " + digest.String()
		im.layers = append(im.layers, imgLayer{id: id, size: -1, open: func(ctx context.Context, p func(int64)) (io.ReadCloser, error) {
			l, err := remote.Layer(repo.Digest(digest.String()), ropts...)
			if err != nil {
				return nil, remoteErr(digest.String(), err)
			}
			rc, err := l.Compressed()
			if err != nil {
				return nil, remoteErr(digest.String(), err)
			}
			return decodeLayer(ggcrVerified{rc}, digest, v1.Hash{}, what, p)
		}})
	}
	im.sumSizes()
	return nil
}
