package fetch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/acikit/acikit/internal/discovery"
	"github.com/acikit/acikit/internal/errkind"
	"github.com/acikit/acikit/internal/log"
	"github.com/acikit/acikit/internal/pgp"
	"github.com/acikit/acikit/internal/schema"
	"github.com/acikit/acikit/internal/store"
	"github.com/acikit/acikit/internal/trust"
)

// Insecure lists the checks the user turned off (--insecure-options).
// Nothing is insecure by default.
type Insecure struct {
	Image  bool // accept images without a good signature from a trusted key
	TLS    bool // skip TLS certificate verification
	HTTP   bool // allow plain http (image URLs, discovery fallback, redirects)
	PubKey bool // accept keys fetched over insecure channels (acsign trust)
}

// PullPolicy says when the store answers instead of the network.
type PullPolicy int

// The pull policies, as rkt's --pull-policy.
const (
	PullUpdate PullPolicy = iota // ask the server unless the cached copy is fresh (default)
	PullNew                      // use any stored copy; fetch only what is missing
	PullNever                    // only the store
)

// ParsePullPolicy reads never, new or update.
func ParsePullPolicy(s string) (PullPolicy, error) {
	switch s {
	case "update", "":
		return PullUpdate, nil
	case "new":
		return PullNew, nil
	case "never":
		return PullNever, nil
	}
	return 0, errkind.Usagef("--pull-policy %q: want never, new or update", s)
}

// ProgressFunc starts the progress display of one download (label "ACI" or
// "signature", total -1 when unknown); the downloaded bytes are written to
// it and it is closed at the end.
type ProgressFunc func(label, source string, total int64) io.WriteCloser

// Options configure a Fetcher.
type Options struct {
	// Store receives fetched images and answers cache lookups. Required by
	// Fetch, optional for Save.
	Store *store.Store
	// Trust is the trust store that signatures are checked against.
	// Required unless Insecure.Image.
	Trust    *trust.Store
	Insecure Insecure
	Pull     PullPolicy
	// Auth supplies per-host credentials (nil: none).
	Auth *Auth
	// Client is the base HTTP client (nil: a default one); tests set their
	// own roots or dialer here.
	Client *http.Client
	// DiscoveryPort, when not 0, is put in discovery URLs (tests).
	DiscoveryPort int
	// Stdin is read for the image string "-".
	Stdin io.Reader
	// NoDeps skips fetching dependencies.
	NoDeps bool
	// Platform (os/arch[/variant], "" for this machine) picks the image of
	// a docker:// manifest list.
	Platform string
	// DockerKeychain supplies docker:// credentials for registries that no
	// dockerAuth file in Auth names (the tool passes one reading
	// ~/.docker/config.json); nil means anonymous.
	DockerKeychain authn.Keychain
	Log            *log.Logger
	Progress       ProgressFunc
	// Limits; zero means the Default* constant.
	MaxRedirects int
	Retries      int
	// ReadTimeout is the idle timeout of every request (negative: none).
	ReadTimeout time.Duration
	Backoff     time.Duration
	Now         func() time.Time
}

// Fetcher fetches, verifies and stores images.
type Fetcher struct {
	opts Options
	http *httpGetter
}

// Result describes one image that a fetch made available.
type Result struct {
	ID       string
	Manifest *schema.ImageManifest
	// Signer is who signed the image; nil when verification was turned off
	// (Insecure.Image) or the image came from the store.
	Signer *pgp.Signer
	// Source is the URL or path the bytes came from.
	Source string
	// Cached is set when the store answered without a download.
	Cached bool
	// Dependency is set for images fetched as dependencies.
	Dependency bool
}

// New returns a Fetcher.
func New(opts Options) (*Fetcher, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Retries == 0 {
		opts.Retries = DefaultRetries
	}
	if opts.Retries < 0 {
		opts.Retries = 0
	}
	if opts.ReadTimeout == 0 {
		opts.ReadTimeout = DefaultReadTimeout
	}
	if opts.Backoff == 0 {
		opts.Backoff = DefaultBackoff
	}
	if opts.Log == nil {
		opts.Log = log.Discard
	}
	if opts.Trust == nil && !opts.Insecure.Image {
		return nil, errors.New("fetch: no trust store given and image verification is on")
	}
	c, err := newHTTPClient(opts.Client, opts.Insecure.TLS, opts.Insecure.HTTP, opts.MaxRedirects, opts.ReadTimeout)
	if err != nil {
		return nil, err
	}
	g := &httpGetter{client: c, auth: opts.Auth, log: opts.Log, retries: opts.Retries,
		backoff: opts.Backoff}
	return &Fetcher{opts: opts, http: g}, nil
}

// source is one place to read an image (and its signature) from.
type source struct {
	ref            *Ref
	url, path      string         // exactly one is set, or neither for stdin
	sigURL         string         // the signature's URL: sigURLs[0] until another one answers
	sigURLs        []string       // where the signature may be, in order (pgp.SignatureNames)
	sigPaths       []string       // likewise for a file
	asked          *discovery.App // the name and labels asked for, if any
	latest         bool           // fetched by name without a version
	wantID         string         // a dependency pinned by ID
	dependencyOf   string
	stdin          io.Reader
	discoveredFrom string
}

func (s *source) String() string {
	switch {
	case s.url != "":
		return redact(s.url)
	case s.path != "":
		return s.path
	case s.asked != nil:
		return s.asked.String()
	}
	return "-"
}

// Fetch makes image (an image string) and its dependencies available in the
// store, verifying each. Results list the image first, then dependencies.
func (f *Fetcher) Fetch(ctx context.Context, image string) ([]*Result, error) {
	if f.opts.Store == nil {
		return nil, errors.New("fetch: no store")
	}
	ref, err := ParseRef(image)
	if err != nil {
		return nil, err
	}
	var out []*Result
	seen := map[string]bool{}
	res, err := f.fetchRef(ctx, ref, "")
	if err != nil {
		return nil, err
	}
	out = append(out, res)
	seen[res.ID] = true
	if !f.opts.NoDeps {
		if err := f.fetchDeps(ctx, res, seen, &out, 0); err != nil {
			return out, err
		}
	}
	return out, nil
}

const maxDepDepth = 32

func (f *Fetcher) fetchDeps(ctx context.Context, parent *Result, seen map[string]bool, out *[]*Result, depth int) error {
	if depth > maxDepDepth {
		return errkind.Invalidf("dependencies of %s nest deeper than %d", parent.Manifest.Name, maxDepDepth)
	}
	for _, d := range parent.Manifest.Dependencies {
		app := newApp(d.ImageName, d.Labels)
		ref := &Ref{Kind: KindName, App: app}
		wantID := ""
		if d.ImageID != nil {
			wantID = d.ImageID.String()
		}
		res, err := f.fetchRef(ctx, ref, wantID)
		if err != nil {
			return fmt.Errorf("dependency %s of %s: %w", app, parent.Manifest.Name, err)
		}
		res.Dependency = true
		if seen[res.ID] {
			continue
		}
		seen[res.ID] = true
		*out = append(*out, res)
		if err := f.fetchDeps(ctx, res, seen, out, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// fetchRef fetches one image into the store, answering from the store when
// the pull policy allows.
func (f *Fetcher) fetchRef(ctx context.Context, ref *Ref, wantID string) (*Result, error) {
	if ref.Kind == KindDocker {
		return f.fetchDocker(ctx, ref)
	}
	st := f.opts.Store
	if wantID != "" {
		if im, err := st.Get(wantID); err == nil && f.acceptStored(im) {
			return f.storedResult(im, "store")
		}
	}
	if ref.Kind == KindName && f.opts.Pull != PullUpdate {
		im, err := st.Resolve(string(ref.App.Name), appLabels(ref.App))
		if err == nil && f.acceptStored(im) && (wantID == "" || im.ID == wantID) {
			f.opts.Log.Debugf("using image %s from the store for %s", im.ID, ref.App)
			return f.storedResult(im, "store")
		}
	}
	if f.opts.Pull == PullNever {
		return nil, errkind.NotFoundf("image %s is not in the store (--pull-policy=never)", ref)
	}
	src, err := f.locate(ctx, ref)
	if err != nil {
		return nil, err
	}
	src.wantID = wantID
	res, err := f.fetchSource(ctx, src, nil)
	if err != nil {
		return nil, err
	}
	return res, nil
}

// acceptStored tells whether a stored image may stand in for a fetch: one
// stored without a signature is fine only when verification is off.
func (f *Fetcher) acceptStored(im *store.Image) bool {
	return im.Signed || f.opts.Insecure.Image
}

func (f *Fetcher) storedResult(im *store.Image, from string) (*Result, error) {
	m, err := schema.ParseImageManifest(im.Manifest)
	if err != nil {
		return nil, fmt.Errorf("stored manifest of %s: %w", im.ID, err)
	}
	if err := f.opts.Store.Touch(im.ID); err != nil {
		return nil, err
	}
	src := im.SourceURL
	if src == "" {
		src = from
	}
	return &Result{ID: im.ID, Manifest: m, Source: src, Cached: true}, nil
}

// locate turns a Ref into a source: discovery for names, the rkt rules for
// the signature's location otherwise.
func (f *Fetcher) locate(ctx context.Context, ref *Ref) (*source, error) {
	src := &source{ref: ref}
	switch ref.Kind {
	case KindStdin:
		src.stdin = f.opts.Stdin
		if src.stdin == nil {
			src.stdin = strings.NewReader("")
		}
	case KindFile:
		// A missing image is reported as such, not as its missing signature.
		if _, err := os.Stat(ref.Path); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, errkind.NotFoundf("image %s: %w", ref.Path, err)
			}
			return nil, fmt.Errorf("image %s: %w", ref.Path, err)
		}
		src.path, src.sigPaths = ref.Path, pgp.SignatureNames(ref.Path)
	case KindHTTP:
		if !f.opts.Insecure.HTTP {
			return nil, withHint(errkind.Usagef("image URL %s: plain http is refused", redact(ref.URL)),
				"use https, or allow http explicitly with --insecure-options=http")
		}
		src.url, src.sigURLs = ref.URL, signatureURLs(ref.URL)
		src.sigURL = src.sigURLs[0]
	case KindHTTPS:
		src.url, src.sigURLs = ref.URL, signatureURLs(ref.URL)
		src.sigURL = src.sigURLs[0]
	case KindName:
		app := ref.App.WithDefaults()
		res, err := discovery.DiscoverEndpoints(ctx, app, discovery.Options{
			Client: f.http.client, InsecureHTTP: f.opts.Insecure.HTTP, InsecureTLS: f.opts.Insecure.TLS,
			Port: f.opts.DiscoveryPort, Headers: f.opts.Auth.Headers(), MaxRedirects: f.opts.MaxRedirects,
			IdleTimeout: f.opts.ReadTimeout, Log: f.opts.Log,
		})
		if err != nil {
			return nil, err
		}
		for _, a := range res.Attempts {
			if strings.HasPrefix(a.URL, "https:") && f.opts.Insecure.HTTP {
				f.opts.Log.Warnf("discovery of %s fell back to http after %s failed", ref.App.Name, redact(a.URL))
				break
			}
		}
		ep := res.Endpoints[0]
		src.url, src.sigURL, src.sigURLs, src.asked = ep.ACI, ep.ASC, []string{ep.ASC}, ref.App
		_, hasVersion := ref.App.Labels["version"]
		src.latest = !hasVersion
		if strings.HasPrefix(src.url, "http:") && !f.opts.Insecure.HTTP {
			return nil, errkind.Usagef("discovered image URL %s is plain http (allow with --insecure-options=http)", redact(src.url))
		}
	}
	return src, nil
}

// sink receives the fetched bytes; commit happens only after every check.
type sink interface {
	io.Writer
	reopen() (io.ReadCloser, error)
	commit(c *checked, sig []byte, src *source, resp *response) error
	abort()
}

// fetchSource runs the one-pass fetch of src into the store (out == nil) or
// into out.
func (f *Fetcher) fetchSource(ctx context.Context, src *source, out sink) (*Result, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	verify := !f.opts.Insecure.Image
	if !verify {
		f.opts.Log.Warnf("signature verification of %s is disabled (--insecure-options=image)", src)
	}

	// A conditional request first when the store has this URL, so that an
	// unchanged image costs one round trip and no signature download.
	var resp *response
	var cached *store.Remote
	if src.url != "" && f.opts.Store != nil && out == nil {
		r, err := f.opts.Store.Remote(src.url)
		if err != nil {
			return nil, err
		}
		if r != nil {
			if im, err := f.opts.Store.Get(r.ID); err == nil && f.acceptStored(im) && (src.wantID == "" || r.ID == src.wantID) {
				cached = r
			}
		}
	}
	if cached != nil {
		if cached.Fresh(f.opts.Now()) || f.opts.Pull == PullNew {
			f.opts.Log.Debugf("using %s from the store for %s (cache still fresh)", cached.ID, src)
			im, err := f.opts.Store.Get(cached.ID)
			if err != nil {
				return nil, err
			}
			return f.storedResult(im, src.url)
		}
		if cached.ETag != "" {
			r, err := f.http.get(ctx, src.url, cached.ETag)
			if err != nil {
				return nil, err
			}
			if r.NotModified {
				f.opts.Log.Debugf("%s not modified, using %s", src, cached.ID)
				cached.DownloadTime = f.opts.Now().UTC()
				cached.MaxAge = r.MaxAge
				if r.ETag != "" {
					cached.ETag = r.ETag
				}
				if err := f.opts.Store.UpdateRemote(cached); err != nil {
					return nil, err
				}
				im, err := f.opts.Store.Get(cached.ID)
				if err != nil {
					return nil, err
				}
				return f.storedResult(im, src.url)
			}
			if r.Deferred {
				return nil, fmt.Errorf("GET %s: 202 Accepted for an image", redact(src.url))
			}
			resp = r
		}
	}
	if resp != nil {
		defer func() { resp.Body.Close() }()
	}

	// The signature comes first: fail before downloading a big image.
	var sig []byte
	deferred := false
	if verify {
		var err error
		sig, deferred, err = f.signature(ctx, src)
		if err != nil {
			return nil, err
		}
	}

	// Keys: for a name, those trusted for it; otherwise every trusted key,
	// and the signer is checked against the manifest's name afterwards.
	var keyring openpgp.EntityList
	if verify {
		var err error
		keyring, err = f.keyringFor(src)
		if err != nil {
			return nil, err
		}
	}

	body, size, err := f.openImage(ctx, src, resp)
	if err != nil {
		return nil, err
	}
	defer body.Close()
	if resp == nil {
		if rb, ok := body.(*resumer); ok {
			resp = rb.resp
		}
	}

	if out == nil {
		imp, err := f.opts.Store.NewImport()
		if err != nil {
			return nil, err
		}
		out = &storeSink{imp: imp, st: f.opts.Store}
	}
	defer out.abort()

	var w io.Writer = out
	if f.opts.Progress != nil {
		p := f.opts.Progress("ACI", src.String(), size)
		defer p.Close()
		w = io.MultiWriter(out, p)
	}

	var ck *checked
	var signer *pgp.Signer
	consumers := []func(context.Context, io.Reader) error{
		func(ctx context.Context, r io.Reader) error {
			var err error
			ck, err = checkArchive(ctx, r)
			return err
		},
	}
	if verify && !deferred {
		consumers = append(consumers, func(ctx context.Context, r io.Reader) error {
			var err error
			signer, err = pgp.Verify(ctx, r, bytes.NewReader(sig), keyring, f.opts.Now())
			if err != nil {
				return fmt.Errorf("verify signature of %s: %w", src, pgp.WithName(err, src.keyName()))
			}
			return nil
		})
	}
	fo, fctx := newFanout(ctx, consumers...)
	if err := fo.run(fctx, body, w); err != nil {
		if ctx.Err() != nil && !errors.Is(err, context.Canceled) {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("fetch %s: %w", src, err)
	}

	if verify && deferred {
		// The server was still signing: the signature now, then a second
		// pass over the local copy.
		f.opts.Log.Infof("server requested deferring the signature download")
		sig, _, err = f.signature(ctx, src)
		if err != nil {
			return nil, err
		}
		rc, err := out.reopen()
		if err != nil {
			return nil, err
		}
		signer, err = pgp.Verify(ctx, rc, bytes.NewReader(sig), keyring, f.opts.Now())
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("verify signature of %s: %w", src, pgp.WithName(err, src.keyName()))
		}
	}

	if err := f.checkIdentity(src, ck, signer); err != nil {
		return nil, err
	}
	if verify {
		f.opts.Log.Infof("signature verified: %s", strings.Join(signer.UserIDs, ", "))
	}
	if err := out.commit(ck, sig, src, resp); err != nil {
		return nil, err
	}
	return &Result{ID: ck.ID, Manifest: ck.Manifest, Signer: signer, Source: src.String()}, nil
}

// keyName is the name whose keys verify src: the name asked for, else "".
func (s *source) keyName() string {
	if s.asked != nil {
		return string(s.asked.Name)
	}
	return ""
}

func (f *Fetcher) keyringFor(src *source) (openpgp.EntityList, error) {
	if src.asked != nil {
		return f.opts.Trust.KeyringFor(string(src.asked.Name))
	}
	entries, err := f.opts.Trust.List()
	if err != nil {
		return nil, err
	}
	var el openpgp.EntityList
	seen := map[string]bool{}
	for _, e := range entries {
		if !seen[e.Fingerprint] {
			seen[e.Fingerprint] = true
			el = append(el, e.Key)
		}
	}
	return el, nil
}

// checkIdentity applies the checks that need the manifest: the name and
// labels asked for, a pinned ID, and a signer trusted for the image's name.
func (f *Fetcher) checkIdentity(src *source, ck *checked, signer *pgp.Signer) error {
	name := string(ck.Manifest.Name)
	if src.asked != nil {
		if name != string(src.asked.Name) {
			return errkind.Invalidf("image from %s is named %q, not %q as asked", redact(src.url), name, src.asked.Name)
		}
		for k, v := range src.asked.Labels {
			got, ok := ck.Manifest.Labels.Get(string(k))
			if !ok || got != v {
				return errkind.Invalidf("image %s from %s has label %s=%q, not %q as asked", name, redact(src.url), k, got, v)
			}
		}
	}
	if src.wantID != "" && ck.ID != src.wantID {
		return errkind.Invalidf("image %s has ID %s, not %s as the dependency requires", name, ck.ID, src.wantID)
	}
	if signer != nil && src.asked == nil {
		kr, err := f.opts.Trust.KeyringFor(name)
		if err != nil {
			return err
		}
		for _, e := range kr {
			if pgp.Fingerprint(e) == signer.Fingerprint {
				return nil
			}
		}
		return withHint(errkind.Trustf("image %s is signed by key %s, which is not trusted for %q", name, signer.Fingerprint, name),
			fmt.Sprintf("if you trust the publisher, add their key with: acsign trust --prefix %s [KEYFILE|URL]", name))
	}
	return nil
}

// signature reads the detached signature of src. deferred is set when the
// server answered 202 (still signing; ask again after the image).
func (f *Fetcher) signature(ctx context.Context, src *source) (sig []byte, deferred bool, err error) {
	switch {
	case src.url != "":
		var resp *response
		for _, u := range src.sigURLs {
			if resp, err = f.http.get(ctx, u, ""); err == nil || !errors.Is(err, errkind.NotFound) {
				// Asked again after a 202, only this one.
				src.sigURL, src.sigURLs = u, []string{u}
				break
			}
		}
		if err != nil {
			if errors.Is(err, errkind.NotFound) {
				return nil, false, withHint(errkind.Trustf("no signature for %s: %v", src, err),
					"check the name, version and labels; or, to skip verification, --insecure-options=image")
			}
			return nil, false, fmt.Errorf("fetch signature of %s: %w", src, err)
		}
		if resp.Deferred {
			return nil, true, nil
		}
		defer resp.Body.Close()
		var body io.Reader = f.http.resumable(ctx, src.sigURL, resp)
		if f.opts.Progress != nil {
			p := f.opts.Progress("signature", src.sigURL, resp.Size)
			defer p.Close()
			body = io.TeeReader(body, p)
		}
		sig, err = readCapped(body, src.sigURL)
		return sig, false, err
	case src.path != "":
		var fh *os.File
		var sigPath string
		for _, p := range src.sigPaths {
			if fh, err = os.Open(p); !errors.Is(err, os.ErrNotExist) {
				sigPath = p
				break
			}
		}
		if errors.Is(err, os.ErrNotExist) {
			return nil, false, withHint(errkind.Trustf("no signature for %s: %s does not exist", src.path, src.sigPaths[0]),
				"sign it with acsign, or skip verification with --insecure-options=image")
		}
		if err != nil {
			return nil, false, fmt.Errorf("read signature: %w", err)
		}
		defer fh.Close()
		sig, err = readCapped(fh, sigPath)
		return sig, false, err
	}
	return nil, false, withHint(errkind.Trustf("an image read from stdin has no signature"),
		"skip verification with --insecure-options=image")
}

// maxSignatureSize caps a detached signature: a real one is under 1 KiB, so
// anything near the cap is a lying or broken server.
const maxSignatureSize = 64 << 10

func readCapped(r io.Reader, what string) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxSignatureSize+1))
	if err != nil {
		return nil, fmt.Errorf("read signature %s: %w", what, err)
	}
	if len(b) > maxSignatureSize {
		return nil, errkind.Trustf("signature %s is larger than %d bytes", what, maxSignatureSize)
	}
	return b, nil
}

// openImage opens the image bytes of src; resp is an answer already in hand.
func (f *Fetcher) openImage(ctx context.Context, src *source, resp *response) (io.ReadCloser, int64, error) {
	switch {
	case src.url != "":
		if resp == nil {
			r, err := f.http.get(ctx, src.url, "")
			if err != nil {
				return nil, 0, fmt.Errorf("fetch image: %w", err)
			}
			if r.Deferred || r.NotModified {
				return nil, 0, fmt.Errorf("GET %s: unexpected status %d", redact(src.url), r.Status)
			}
			resp = r
		}
		return f.http.resumable(ctx, src.url, resp), resp.Size, nil
	case src.path != "":
		fh, err := os.Open(src.path)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil, 0, errkind.NotFoundf("image file %s does not exist", src.path)
			}
			return nil, 0, fmt.Errorf("open image: %w", err)
		}
		size := int64(-1)
		if fi, err := fh.Stat(); err == nil && fi.Mode().IsRegular() {
			size = fi.Size()
		}
		return fh, size, nil
	}
	return io.NopCloser(src.stdin), -1, nil
}

// storeSink commits into the store.
type storeSink struct {
	imp *store.Import
	st  *store.Store
}

func (s *storeSink) Write(p []byte) (int, error) { return s.imp.Write(p) }
func (s *storeSink) abort()                      { s.imp.Abort() }
func (s *storeSink) reopen() (io.ReadCloser, error) {
	f, err := s.imp.Open()
	if err != nil {
		return nil, err
	}
	return f, nil
}

func (s *storeSink) commit(c *checked, sig []byte, src *source, resp *response) error {
	meta := store.Meta{
		Name: string(c.Manifest.Name), Labels: labelsOf(c.Manifest), Manifest: c.RawManifest,
		Signature: sig, Latest: src.latest,
	}
	if src.url != "" && resp != nil {
		meta.Remote = &store.Remote{URL: src.url, SignatureURL: src.sigURL, ETag: resp.ETag, MaxAge: resp.MaxAge}
	}
	_, err := s.imp.Commit(c.ID, meta)
	return err
}
