package fetch

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

// Defaults for the HTTP limits in Options.
const (
	DefaultMaxRedirects   = 10
	DefaultRetries        = 4
	DefaultConnectTimeout = 30 * time.Second
	DefaultReadTimeout    = httpidle.DefaultTimeout
	DefaultBackoff        = 500 * time.Millisecond
)

type httpGetter struct {
	client  *http.Client
	auth    *Auth
	log     *log.Logger
	retries int
	backoff time.Duration
}

// newHTTPClient builds the client all requests use: bounded redirects, no
// https→http downgrade unless allowed, timeouts on connect and headers, TLS
// verification unless insecureTLS, and the idle timeout on every response.
func newHTTPClient(base *http.Client, insecureTLS, insecureHTTP bool, maxRedirects int, idle time.Duration) (*http.Client, error) {
	var c http.Client
	if base != nil {
		c = *base
	}
	if c.Transport != nil {
		c.Transport = httpidle.Unwrap(c.Transport)
	}
	var tr *http.Transport
	switch t := c.Transport.(type) {
	case nil:
		tr = http.DefaultTransport.(*http.Transport).Clone()
		tr.ResponseHeaderTimeout = DefaultConnectTimeout
		tr.TLSHandshakeTimeout = DefaultConnectTimeout
	case *http.Transport:
		tr = t.Clone()
	default:
		if insecureTLS {
			return nil, errors.New("insecure TLS needs an *http.Transport")
		}
	}
	if tr != nil {
		if insecureTLS {
			if tr.TLSClientConfig == nil {
				tr.TLSClientConfig = &tls.Config{}
			}
			tr.TLSClientConfig.InsecureSkipVerify = true
		}
		// Compressed images must arrive byte for byte as signed.
		tr.DisableCompression = true
		c.Transport = tr
	}
	c.Transport = httpidle.Wrap(c.Transport, idle)
	if maxRedirects <= 0 {
		maxRedirects = DefaultMaxRedirects
	}
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) > maxRedirects {
			return fmt.Errorf("more than %d redirects", maxRedirects)
		}
		if req.URL.Scheme == "http" && !insecureHTTP {
			return errkind.Usagef("redirect to %s: plain http needs --insecure-options=http", req.URL.Redacted())
		}
		return nil
	}
	return &c, nil
}

// response is an answered GET. Body resumes itself after a broken transfer.
type response struct {
	Status       int
	ETag         string
	MaxAge       int64
	Size         int64 // -1 when unknown
	URL          string
	Body         io.ReadCloser
	NotModified  bool
	Deferred     bool // 202 Accepted: the server is still producing it
	LastModified string
	rangeStart   int64 // from a 206's Content-Range
	rangeOK      bool
}

// get sends a GET for rawURL (If-None-Match etag when not empty). Transient
// failures (connection errors, 5xx) are retried with backoff.
func (g *httpGetter) get(ctx context.Context, rawURL, etag string) (*response, error) {
	var lastErr error
	for attempt := 0; attempt <= g.retries; attempt++ {
		if attempt > 0 {
			if err := sleep(ctx, g.backoff<<(attempt-1)); err != nil {
				return nil, err
			}
			g.log.Debugf("retrying %s (%v)", redact(rawURL), lastErr)
		}
		resp, err := g.do(ctx, rawURL, etag, 0, "")
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if !retryable(err) {
				return nil, err
			}
			lastErr = err
			continue
		}
		return resp, nil
	}
	return nil, lastErr
}

type statusError struct {
	url    string
	status int
}

func (e *statusError) Error() string {
	return fmt.Sprintf("GET %s: %d %s", e.url, e.status, http.StatusText(e.status))
}

func retryable(err error) bool {
	var se *statusError
	if errors.As(err, &se) {
		return se.status >= 500 || se.status == http.StatusTooManyRequests
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		// TLS and redirect policy failures do not heal by retrying.
		var certErr *tls.CertificateVerificationError
		if errors.As(err, &certErr) || errors.Is(err, errkind.Usage) || strings.Contains(err.Error(), "redirects") {
			return false
		}
		return true
	}
	return false
}

// do sends one request; off > 0 asks for the rest of the body from off.
func (g *httpGetter) do(ctx context.Context, rawURL, etag string, off int64, ifRange string) (*response, error) {
	rctx, cancel := context.WithCancel(ctx)
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, rawURL, nil)
	if err != nil {
		cancel()
		return nil, errkind.Usagef("GET %s: %v", redact(rawURL), err)
	}
	if a := g.auth.Authorization(req.URL.Host); a != "" {
		req.Header.Set("Authorization", a)
	}
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	if off > 0 {
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-", off))
		if ifRange != "" {
			req.Header.Set("If-Range", ifRange)
		}
	}
	req.Header.Set("User-Agent", "acikit-fetch")
	g.log.Debugf("GET %s", redact(rawURL))
	resp, err := g.client.Do(req)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("GET %s: %w", redact(rawURL), err)
	}
	r := &response{
		Status: resp.StatusCode, ETag: resp.Header.Get("ETag"),
		MaxAge: ParseMaxAge(resp.Header.Get("Cache-Control")), Size: resp.ContentLength,
		URL: resp.Request.URL.String(), LastModified: resp.Header.Get("Last-Modified"),
	}
	switch {
	case resp.StatusCode == http.StatusNotModified:
		resp.Body.Close()
		cancel()
		r.NotModified = true
		return r, nil
	case resp.StatusCode == http.StatusAccepted:
		resp.Body.Close()
		cancel()
		r.Deferred = true
		return r, nil
	case resp.StatusCode == http.StatusOK, resp.StatusCode == http.StatusPartialContent && off > 0:
		if resp.StatusCode == http.StatusPartialContent {
			r.rangeStart, r.rangeOK = parseContentRange(resp.Header.Get("Content-Range"))
		}
		r.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
		return r, nil
	}
	resp.Body.Close()
	cancel()
	se := &statusError{url: redact(rawURL), status: resp.StatusCode}
	switch resp.StatusCode {
	case http.StatusNotFound, http.StatusGone:
		return nil, errkind.Mark(se, errkind.NotFound)
	case http.StatusUnauthorized, http.StatusForbidden:
		hint := "add credentials for " + req.URL.Hostname() + " in an auth.d/*.json file"
		if g.auth.Authorization(req.URL.Host) != "" {
			hint = "the credentials configured for " + req.URL.Hostname() + " were refused"
		}
		return nil, withHint(se, hint)
	}
	return nil, se
}

// cancelOnClose releases the request's context with its body.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}

// resumer reads a response body and, when the transfer breaks, asks for the
// rest with a Range request (If-Range on the ETag so a changed file is not
// spliced), retrying with backoff. Readers see one unbroken stream.
type resumer struct {
	ctx     context.Context
	g       *httpGetter
	url     string
	resp    *response
	body    io.ReadCloser
	off     int64
	tries   int
	Resumed int // number of successful resumptions, for tests and logs
}

func (g *httpGetter) resumable(ctx context.Context, url string, resp *response) *resumer {
	return &resumer{ctx: ctx, g: g, url: url, resp: resp, body: resp.Body}
}

func (r *resumer) Read(p []byte) (int, error) {
	for {
		n, err := r.body.Read(p)
		r.off += int64(n)
		if err == io.EOF && r.resp.Size >= 0 && r.off < r.resp.Size {
			err = io.ErrUnexpectedEOF
		}
		if err == nil || err == io.EOF {
			return n, err
		}
		if n > 0 {
			// Hand over what arrived; the next Read meets the error again.
			return n, nil
		}
		if cerr := r.ctx.Err(); cerr != nil {
			return 0, cerr
		}
		if err := r.resume(err); err != nil {
			return 0, err
		}
	}
}

func (r *resumer) resume(cause error) error {
	r.body.Close()
	validator := r.resp.ETag
	if validator == "" || strings.HasPrefix(validator, "W/") {
		validator = r.resp.LastModified
	}
	for {
		if r.tries >= r.g.retries {
			at := strconv.FormatInt(r.off, 10)
			if r.resp.Size >= 0 {
				// Also what a server whose Content-Length lies shows.
				at += " of " + strconv.FormatInt(r.resp.Size, 10)
			}
			return fmt.Errorf("download %s: broken at byte %s after %d retries: %w", redact(r.url), at, r.tries, cause)
		}
		r.tries++
		if err := sleep(r.ctx, r.g.backoff<<(r.tries-1)); err != nil {
			return err
		}
		r.g.log.Debugf("resuming %s at byte %d (%v)", redact(r.url), r.off, cause)
		resp, err := r.g.do(r.ctx, r.url, "", r.off, validator)
		if err != nil {
			if r.ctx.Err() != nil {
				return r.ctx.Err()
			}
			cause = err
			if retryable(err) {
				continue
			}
			return fmt.Errorf("download %s: resume at byte %d: %w", redact(r.url), r.off, err)
		}
		if resp.ETag != r.resp.ETag && r.resp.ETag != "" {
			resp.Body.Close()
			return fmt.Errorf("download %s: the file changed during the download (ETag %s, was %s)", redact(r.url), resp.ETag, r.resp.ETag)
		}
		if resp.Status == http.StatusPartialContent {
			if !resp.rangeOK || resp.rangeStart != r.off {
				resp.Body.Close()
				return fmt.Errorf("download %s: server resumed at an unexpected offset", redact(r.url))
			}
		} else {
			// The server ignored the range: skip what we already have.
			if _, err := io.CopyN(io.Discard, resp.Body, r.off); err != nil {
				resp.Body.Close()
				cause = err
				continue
			}
		}
		r.body = resp.Body
		r.Resumed++
		return nil
	}
}

func (r *resumer) Close() error { return r.body.Close() }

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// redact drops user info and the query from a URL for messages.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	u.User = nil
	if u.RawQuery != "" {
		u.RawQuery = ""
	}
	return u.String()
}

func parseContentRange(v string) (int64, bool) {
	v = strings.TrimPrefix(v, "bytes ")
	a, _, ok := strings.Cut(v, "-")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(a, 10, 64)
	return n, err == nil
}

// hinted carries a second line for the user (internal/cli's Hinter).
type hinted struct {
	err  error
	hint string
}

func withHint(err error, hint string) error { return &hinted{err: err, hint: hint} }
func (h *hinted) Error() string             { return h.err.Error() }
func (h *hinted) Unwrap() error             { return h.err }
func (h *hinted) Hint() string              { return h.hint }
