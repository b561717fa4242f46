package discovery

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/acikit/acikit/internal/errkind"
	"github.com/acikit/acikit/internal/httpidle"
	"github.com/acikit/acikit/internal/log"
)

// Defaults for the Options limits.
const (
	DefaultMaxRedirects = 10
	DefaultMaxBodySize  = 1 << 20
)

// Options tune a discovery. The zero value is secure: HTTPS only, verified
// TLS, a fresh client with Go's default transport.
type Options struct {
	// Client sends every request. Its Transport must be an *http.Transport
	// (or nil) when InsecureTLS is set. Nil means a new client per call.
	Client *http.Client
	// InsecureHTTP lets discovery fall back to http:// after an https://
	// request fails, and follow redirects from https to http.
	InsecureHTTP bool
	// InsecureTLS skips TLS certificate verification.
	InsecureTLS bool
	// Port, when not 0, is put after the host in every discovery URL (both
	// schemes), as in https://example.com:8443/app?ac-discovery=1.
	Port int
	// Headers are added to requests by host: a key is matched against the
	// URL's host:port first, then its host name alone. Headers follow a
	// redirect only to the host they are keyed by.
	Headers map[string]http.Header
	// MaxRedirects bounds the redirects followed per request
	// (DefaultMaxRedirects when 0).
	MaxRedirects int
	// MaxBodySize caps the bytes of a meta page read; tags past the cap are
	// not seen (DefaultMaxBodySize when 0).
	MaxBodySize int64
	// IdleTimeout ends a request that receives nothing for this long
	// (httpidle.DefaultTimeout when 0, none when negative).
	IdleTimeout time.Duration
	// NoSimple turns off the simple discovery fallback.
	NoSimple bool
	// Log receives one debug line per request (nil: silent).
	Log *log.Logger
}

// Source says which kind of discovery produced a Result.
type Source int

// The sources. The zero value means nothing was found.
const (
	Meta   Source = iota + 1 // <meta name="ac-discovery"> tags
	Simple                   // https://{name}-{version}-{os}-{arch}.aci
)

func (s Source) String() string {
	switch s {
	case Meta:
		return "meta"
	case Simple:
		return "simple"
	}
	return "none"
}

// Endpoint is where one image and its detached signature can be fetched.
type Endpoint struct {
	ACI, ASC string
}

// Attempt is one request that failed: the prefix being walked (the full
// name for simple discovery), the URL asked and why it failed. An https
// attempt that failed before an http fallback succeeded is reported too,
// so callers can warn about the downgrade.
type Attempt struct {
	Prefix string
	URL    string
	Err    error
}

// Result is what a walk found. Endpoints are in document order; PublicKeys
// are URLs of armored keys. Attempts lists the failed requests of the walk,
// in order, including those before the prefix that matched.
type Result struct {
	Endpoints  []Endpoint
	PublicKeys []string
	Source     Source
	Attempts   []Attempt
}

// DiscoverEndpoints finds where the image app names can be fetched. It walks
// the name's prefixes, longest first, and stops at the first page that
// yields an endpoint; when no page does, it tries simple discovery (unless
// opts.NoSimple). Templates are filled from app's labels, with version
// defaulting to "latest"; os and arch are not defaulted here (call
// App.WithDefaults first).
//
// When nothing is found the error is marked errkind.NotFound and the Result,
// still returned, carries the attempts. A cancelled ctx returns ctx's error.
func DiscoverEndpoints(ctx context.Context, app *App, opts Options) (*Result, error) {
	return discover(ctx, app, opts, "ACI endpoints", !opts.NoSimple, func(d *discoverer, res *Result, tags []metaTag) bool {
		res.Endpoints = d.endpoints(tags)
		return len(res.Endpoints) > 0
	})
}

// DiscoverPublicKeys finds the URLs of the keys that sign app's images: the
// ac-discovery-pubkeys tags of the longest prefix whose page has any. Simple
// discovery has no keys. Failure is reported as for DiscoverEndpoints.
func DiscoverPublicKeys(ctx context.Context, app *App, opts Options) (*Result, error) {
	return discover(ctx, app, opts, "public keys", false, func(d *discoverer, res *Result, tags []metaTag) bool {
		res.PublicKeys = d.publicKeys(tags)
		return len(res.PublicKeys) > 0
	})
}

// discover walks the meta pages of app's prefixes until pick finds what is
// wanted in one, then, when simple is set, tries simple discovery.
func discover(ctx context.Context, app *App, opts Options, what string, simple bool, pick func(*discoverer, *Result, []metaTag) bool) (*Result, error) {
	d, err := newDiscoverer(app, opts)
	if err != nil {
		return nil, err
	}
	defer d.close()
	res := &Result{}
	found, err := d.walk(ctx, res, func(tags []metaTag) bool { return pick(d, res, tags) })
	if err != nil {
		return nil, fmt.Errorf("discover %s for %s: %w", what, app, err)
	}
	if found {
		res.Source = Meta
		return res, nil
	}
	if simple {
		ep, err := d.simple(ctx, res)
		if err != nil {
			return nil, fmt.Errorf("discover %s for %s: %w", what, app, err)
		}
		if ep != nil {
			res.Endpoints, res.Source = []Endpoint{*ep}, Simple
			return res, nil
		}
	}
	return res, notFound(what, app, res.Attempts)
}

// notFound summarises a failed discovery on one line.
func notFound(what string, app *App, attempts []Attempt) error {
	msg := fmt.Sprintf("no %s found for %s", what, app)
	switch n := len(attempts); n {
	case 0:
		msg += " (every page answered without a matching tag)"
	default:
		// Request errors name their URL already. A server that stalled
		// says more than the 404 of whatever was tried after it.
		shown, label := attempts[n-1], "last"
		for _, a := range attempts {
			var ie *httpidle.Error
			if errors.As(a.Err, &ie) {
				shown, label = a, "stalled"
				break
			}
		}
		msg += fmt.Sprintf(" (%d failed requests, %s: %v)", n, label, shown.Err)
	}
	return errkind.Mark(errors.New(msg), errkind.NotFound)
}

type discoverer struct {
	app    *App
	opts   Options
	client *http.Client
	close  func()
}

func newDiscoverer(app *App, opts Options) (*discoverer, error) {
	if app == nil {
		return nil, errkind.Usagef("discover: no app given")
	}
	if err := app.Name.AssertValid(); err != nil {
		return nil, errkind.Mark(fmt.Errorf("discover %q: name: %w", app.Name, err), errkind.Usage)
	}
	if opts.Port < 0 || opts.Port > 65535 {
		return nil, errkind.Usagef("discover %s: port %d out of range", app, opts.Port)
	}
	if opts.MaxRedirects <= 0 {
		opts.MaxRedirects = DefaultMaxRedirects
	}
	if opts.MaxBodySize <= 0 {
		opts.MaxBodySize = DefaultMaxBodySize
	}
	d := &discoverer{app: app, opts: opts, close: func() {}}
	if err := d.setupClient(); err != nil {
		return nil, fmt.Errorf("discover %s: %w", app, err)
	}
	return d, nil
}

// setupClient copies the caller's client so that the redirect policy (and
// with InsecureTLS, the transport) can be changed without touching it.
func (d *discoverer) setupClient() error {
	var c http.Client
	if d.opts.Client != nil {
		c = *d.opts.Client
	}
	// The idle timer goes on top of whatever the caller's transport is;
	// one it set already is taken off so that timers do not stack.
	c.Transport = httpidle.Unwrap(c.Transport)
	if d.opts.Client == nil || d.opts.InsecureTLS {
		t, ok := c.Transport.(*http.Transport)
		if !ok {
			return fmt.Errorf("insecure TLS needs an *http.Transport, the client has a %T", c.Transport)
		}
		t = t.Clone()
		if d.opts.InsecureTLS {
			if t.TLSClientConfig == nil {
				t.TLSClientConfig = &tls.Config{}
			}
			t.TLSClientConfig.InsecureSkipVerify = true
		}
		c.Transport = t
		// Our own transport: release its connections when the call ends.
		d.close = t.CloseIdleConnections
	}
	c.Transport = httpidle.Wrap(c.Transport, d.opts.IdleTimeout)
	prev := c.CheckRedirect
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) > d.opts.MaxRedirects {
			return fmt.Errorf("stopped after %d redirects", d.opts.MaxRedirects)
		}
		if req.URL.Scheme != "https" && !d.opts.InsecureHTTP {
			return fmt.Errorf("refusing redirect to %s without the insecure http option", req.URL.Redacted())
		}
		// Headers keyed by the first host go no further than that host.
		for k := range d.headersFor(via[0].URL) {
			req.Header.Del(k)
		}
		for k, vs := range d.headersFor(req.URL) {
			req.Header[k] = append([]string(nil), vs...)
		}
		if prev != nil {
			return prev(req, via)
		}
		return nil
	}
	d.client = &c
	return nil
}

func (d *discoverer) headersFor(u *url.URL) http.Header {
	if h, ok := d.opts.Headers[u.Host]; ok {
		return h
	}
	return d.opts.Headers[u.Hostname()]
}

// hostPath splits a name or prefix into the URL host (with opts.Port) and
// the path after it.
func (d *discoverer) hostPath(name string) (host, path string) {
	host, path, _ = strings.Cut(name, "/")
	if d.opts.Port != 0 {
		host += ":" + strconv.Itoa(d.opts.Port)
	}
	return host, "/" + path
}

// prefixes returns name and its parent paths, longest first.
func prefixes(name string) []string {
	var ps []string
	for p := name; ; {
		ps = append(ps, p)
		i := strings.LastIndexByte(p, '/')
		if i < 0 {
			return ps
		}
		p = p[:i]
	}
}

// walk fetches the meta page of each prefix, longest first, until match
// accepts its tags. Failed requests are added to res.Attempts. Only a dead
// ctx ends the walk with an error.
func (d *discoverer) walk(ctx context.Context, res *Result, match func([]metaTag) bool) (bool, error) {
	name := string(d.app.Name)
	for _, p := range prefixes(name) {
		tags, ok, err := d.metaPage(ctx, p, res)
		if err != nil {
			return false, err
		}
		if !ok {
			continue
		}
		var mine []metaTag
		for _, t := range tags {
			if prefixMatches(name, t.prefix) {
				mine = append(mine, t)
			}
		}
		if match(mine) {
			return true, nil
		}
	}
	return false, nil
}

// metaPage fetches https://PREFIX?ac-discovery=1, then (with InsecureHTTP)
// http://, and returns the tags of the first page that loads.
func (d *discoverer) metaPage(ctx context.Context, prefix string, res *Result) ([]metaTag, bool, error) {
	host, path := d.hostPath(prefix)
	for _, scheme := range d.schemes() {
		u := (&url.URL{Scheme: scheme, Host: host, Path: path, RawQuery: "ac-discovery=1"}).String()
		tags, err := d.fetchMeta(ctx, u)
		if err == nil {
			return tags, true, nil
		}
		if ctx.Err() != nil {
			return nil, false, ctx.Err()
		}
		d.opts.Log.Debugf("discovery: %s: %v", u, err)
		res.Attempts = append(res.Attempts, Attempt{Prefix: prefix, URL: u, Err: err})
	}
	return nil, false, nil
}

func (d *discoverer) schemes() []string {
	if d.opts.InsecureHTTP {
		return []string{"https", "http"}
	}
	return []string{"https"}
}

func (d *discoverer) newRequest(ctx context.Context, method, u string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, u, nil)
	if err != nil {
		return nil, err
	}
	for k, vs := range d.headersFor(req.URL) {
		req.Header[k] = append([]string(nil), vs...)
	}
	return req, nil
}

func (d *discoverer) fetchMeta(ctx context.Context, u string) ([]metaTag, error) {
	req, err := d.newRequest(ctx, http.MethodGet, u)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "text/html")
	d.opts.Log.Debugf("discovery: GET %s", u)
	resp, err := d.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: expected 200 OK, got %s", u, resp.Status)
	}
	tags, err := parseMeta(io.LimitReader(resp.Body, d.opts.MaxBodySize))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", u, err)
	}
	return tags, nil
}

// vars are the template values for app: its labels, {name}, {version}
// (defaulted) and {ext}. Name and ext win over labels of those names.
func (d *discoverer) vars(ext string) map[string]string {
	v := make(map[string]string, len(d.app.Labels)+3)
	for k, l := range d.app.Labels {
		v[string(k)] = l
	}
	v["version"] = d.app.Version()
	v["name"] = string(d.app.Name)
	v["ext"] = ext
	return v
}

func (d *discoverer) endpoints(tags []metaTag) []Endpoint {
	aciVars, ascVars := d.vars("aci"), d.vars("aci.asc")
	var eps []Endpoint
	for _, t := range tags {
		if t.name != metaEndpoint {
			continue
		}
		aci, ok1 := expandTemplate(t.url, aciVars)
		asc, ok2 := expandTemplate(t.url, ascVars)
		if !ok1 || !ok2 || !webURL(aci) || !webURL(asc) {
			continue
		}
		eps = append(eps, Endpoint{ACI: aci, ASC: asc})
	}
	return eps
}

func (d *discoverer) publicKeys(tags []metaTag) []string {
	var keys []string
	for _, t := range tags {
		if t.name == metaPubkeys && webURL(t.url) {
			keys = append(keys, t.url)
		}
	}
	return keys
}
