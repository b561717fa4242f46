package fetch

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/acikit/acikit/internal/atomicfile"
	"github.com/acikit/acikit/internal/dockerconv"
	"github.com/acikit/acikit/internal/errkind"
	"github.com/acikit/acikit/internal/store"
)

// Docker registry images (docker://) carry no AppC signature: they are
// converted by dockerconv in one streaming pass straight into the store's
// temporary file, which is committed under the image ID the converter
// computed while writing. They are stored uncompressed, as rkt stores them:
// the converter's cost is then the download and the SHA-512, not a gzip
// encoder several times slower than both, and acrun reads the blob without
// inflating it.

// storeCompression is how converted images are kept in the store; -o and
// --dir write gzip files, as docker2aci does.
const (
	storeCompression = "none"
	fileCompression  = "gzip"
)

// parseDocker checks a docker reference (the part after docker:// or
// docker:) and gives the Ref its canonical URL.
func parseDocker(s, ref string) (*Ref, error) {
	if ref == "" {
		return nil, errkind.Usagef("image %q: no docker image name", s)
	}
	r, err := name.ParseReference(ref)
	if err != nil {
		return nil, errkind.Usagef("image %q: %v", s, err)
	}
	return &Ref{Kind: KindDocker, Docker: ref, URL: "docker://" + r.Name()}, nil
}

// refuseUnsigned is rkt's refusal: a registry has nothing to verify.
func (f *Fetcher) refuseUnsigned(ref *Ref) error {
	if f.opts.Insecure.Image {
		return nil
	}
	return errkind.Trustf("image %s: signature verification for docker images is not supported (try --insecure-options=image)", ref)
}

// fetchDocker converts a registry image into the store. With --pull-policy
// new or never, an image stored before from the same reference answers.
func (f *Fetcher) fetchDocker(ctx context.Context, ref *Ref) (*Result, error) {
	if err := f.refuseUnsigned(ref); err != nil {
		return nil, err
	}
	st := f.opts.Store
	if f.opts.Pull != PullUpdate {
		r, err := st.Remote(ref.URL)
		if err != nil {
			return nil, err
		}
		if r != nil {
			if im, err := st.Get(r.ID); err == nil {
				f.opts.Log.Debugf("using image %s from the store for %s", im.ID, ref)
				return f.storedResult(im, ref.URL)
			}
		}
		if f.opts.Pull == PullNever {
			return nil, errkind.NotFoundf("image %s is not in the store (--pull-policy=never)", ref)
		}
	}
	f.opts.Log.Warnf("signature verification of %s is disabled (docker images carry none)", ref)
	imp, err := st.NewImport()
	if err != nil {
		return nil, err
	}
	defer imp.Abort()
	res, err := f.convertDocker(ctx, ref, imp, storeCompression)
	if err != nil {
		return nil, err
	}
	raw, err := res.Manifest.MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("fetch %s: manifest: %w", ref, err)
	}
	labels := labelsOf(res.Manifest)
	meta := store.Meta{
		Name: string(res.Manifest.Name), Labels: labels, Manifest: raw,
		// rkt marks docker images fetched as :latest the same way as AppC
		// images fetched without a version.
		Latest: labels["version"] == "latest",
		Remote: &store.Remote{URL: ref.URL},
	}
	if _, err := imp.Commit(res.ID, meta); err != nil {
		return nil, err
	}
	return &Result{ID: res.ID, Manifest: res.Manifest, Source: ref.URL}, nil
}

// convertDocker runs the converter from the registry into w.
func (f *Fetcher) convertDocker(ctx context.Context, ref *Ref, w io.Writer, compression string) (*dockerconv.Result, error) {
	src, err := dockerconv.ParseSource("docker://"+ref.Docker, "")
	if err != nil {
		return nil, err
	}
	opts := dockerconv.Options{
		Platform:     f.opts.Platform,
		InsecureHTTP: f.opts.Insecure.HTTP,
		InsecureTLS:  f.opts.Insecure.TLS,
		Compression:  compression,
		Log:          f.opts.Log,
		Keychain:     f.opts.Auth.DockerKeychain(f.opts.DockerKeychain),
		IdleTimeout:  f.opts.ReadTimeout,
	}
	if f.opts.Client != nil && f.opts.Client.Transport != nil {
		opts.Transport = f.opts.Client.Transport
	}
	if f.opts.Progress != nil {
		p := &layerProgress{start: func(total int64) io.WriteCloser { return f.opts.Progress("layers", ref.String(), total) }}
		defer p.close()
		opts.Progress = p.update
	}
	res, err := dockerconv.Convert(ctx, src, w, opts)
	if err != nil {
		// For a loopback or private registry go-containerregistry retries
		// over plain http after a TLS failure, and that refusal (a usage
		// error) would hide the certificate problem: report the latter.
		var certErr *tls.CertificateVerificationError
		if errors.As(err, &certErr) {
			return nil, withHint(fmt.Errorf("fetch %s: %w", ref, certErr),
				"trust the registry's CA certificate, or skip the check with --insecure-options=tls")
		}
		return nil, fmt.Errorf("fetch %s: %w", ref, err)
	}
	return res, nil
}

// layerProgress turns the converter's (done, total) callbacks into the
// byte counts a ProgressFunc bar takes.
type layerProgress struct {
	start func(total int64) io.WriteCloser
	bar   io.WriteCloser
	last  int64
}

var zeros = make([]byte, 32<<10)

func (p *layerProgress) update(done, total int64) {
	if p.bar == nil {
		p.bar = p.start(total)
	}
	for d := done - p.last; d > 0; {
		n := min(d, int64(len(zeros)))
		p.bar.Write(zeros[:n])
		d -= n
	}
	p.last = done
}

func (p *layerProgress) close() {
	if p.bar != nil {
		p.bar.Close()
	}
}

// saveDocker converts a registry image into a gzip ACI file (no signature
// exists to write beside it) or, through a temporary file, into so.Writer.
func (f *Fetcher) saveDocker(ctx context.Context, ref *Ref, so SaveOptions) (*Result, string, error) {
	if err := f.refuseUnsigned(ref); err != nil {
		return nil, "", err
	}
	target := so.Path
	if target == "" && so.Dir != "" {
		target = filepath.Join(so.Dir, dockerFileName(ref))
	}
	if target == "" {
		if so.Writer == nil {
			return nil, "", errkind.Usagef("save %s: no output path", ref)
		}
		tf, err := os.CreateTemp(so.TempDir, "acfetch-*.aci")
		if err != nil {
			return nil, "", err
		}
		out := &writerSink{f: tf, w: so.Writer}
		defer out.abort()
		res, err := f.convertDocker(ctx, ref, tf, fileCompression)
		if err != nil {
			return nil, "", err
		}
		if err := out.commit(nil, nil, nil, nil); err != nil {
			return nil, "", err
		}
		return &Result{ID: res.ID, Manifest: res.Manifest, Source: ref.URL}, "", nil
	}
	af, err := atomicfile.Create(target, 0o644, so.Overwrite)
	if err != nil {
		return nil, "", err
	}
	defer af.Abort()
	res, err := f.convertDocker(ctx, ref, af, fileCompression)
	if err != nil {
		return nil, "", err
	}
	if err := af.Commit(); err != nil {
		return nil, "", err
	}
	return &Result{ID: res.ID, Manifest: res.Manifest, Source: ref.URL}, target, nil
}

// dockerFileName is docker2aci's output name: the repository with "/" as
// "-", then "-" and the tag (nothing for a digest).
func dockerFileName(ref *Ref) string {
	r, err := name.ParseReference(ref.Docker)
	if err != nil {
		return "image.aci"
	}
	b := strings.ReplaceAll(r.Context().RepositoryStr(), "/", "-")
	if t, ok := r.(name.Tag); ok {
		b += "-" + t.TagStr()
	}
	return b + ".aci"
}
