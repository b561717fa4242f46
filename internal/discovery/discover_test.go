package discovery

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/acikit/acikit/internal/errkind"
	"github.com/acikit/acikit/internal/log"
	"github.com/google/go-cmp/cmp"
)

func mustApp(t testing.TB, s string) *App {
	t.Helper()
	a, err := ParseApp(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// aci builds the Endpoint a template yields for ext aci and aci.asc.
func aci(base string) Endpoint { return Endpoint{ACI: base + ".aci", ASC: base + ".aci.asc"} }

// attemptURLs lists the URLs of attempts with the error text after each.
func attemptURLs(as []Attempt) []string {
	var out []string
	for _, a := range as {
		out = append(out, a.Prefix+" "+a.URL)
	}
	return out
}

func TestDiscoverEndpoints(t *testing.T) {
	tests := []struct {
		name     string
		app      string
		routes   map[string]string // host+path → testdata file, or "500"
		noSimple bool
		want     []Endpoint
		attempts []string // "prefix URL"
		errWant  string   // non-empty: want a NotFound error containing it
	}{{
		name:   "several tags in document order",
		app:    "example.com/myapp:1.0,os=linux,arch=amd64",
		routes: map[string]string{"example.com/myapp": "several.html"},
		want: []Endpoint{
			aci("https://storage.example.com/example.com/myapp-1.0-linux-amd64"),
			aci("https://mirror.example.com/linux/amd64/example.com/myapp/1.0"),
			aci("https://storage.example.com/noarch/example.com/myapp-1.0"),
		},
	}, {
		name:   "noarch template only without os and arch, version latest",
		app:    "example.com/myapp",
		routes: map[string]string{"example.com/myapp": "several.html"},
		want:   []Endpoint{aci("https://storage.example.com/noarch/example.com/myapp-latest")},
	}, {
		name:   "an extra label fills its own template",
		app:    "example.com/myapp:1.0,os=linux,arch=amd64,channel=beta",
		routes: map[string]string{"example.com/myapp": "several.html"},
		want: []Endpoint{
			aci("https://storage.example.com/example.com/myapp-1.0-linux-amd64"),
			aci("https://mirror.example.com/linux/amd64/example.com/myapp/1.0"),
			aci("https://storage.example.com/noarch/example.com/myapp-1.0"),
			aci("https://storage.example.com/beta/example.com/myapp-1.0-linux-amd64"),
		},
	}, {
		name:   "noarch page picks the right template",
		app:    "example.com/tools/jq,os=linux,arch=aarch64",
		routes: map[string]string{"example.com/tools": "noarch.html"},
		want: []Endpoint{
			aci("https://dl.example.com/tools/example.com/tools/jq-latest-linux-aarch64"),
			aci("https://dl.example.com/tools/noarch/example.com/tools/jq-latest"),
		},
		attempts: []string{"example.com/tools/jq https://example.com/tools/jq?ac-discovery=1"},
	}, {
		name: "prefix walk, longest first, past a page without a match",
		app:  "example.com/deep/a/b:2,os=linux,arch=arm64",
		routes: map[string]string{
			"example.com/deep/a": "deep-nomatch.html",
			"example.com/deep":   "deep.html",
			"example.com/":       "several.html",
		},
		want:     []Endpoint{aci("https://deep.example.com/example.com/deep/a/b/2/linux-arm64")},
		attempts: []string{"example.com/deep/a/b https://example.com/deep/a/b?ac-discovery=1"},
	}, {
		name: "prefixes match whole path segments only",
		app:  "example.com/myapplication",
		routes: map[string]string{
			"example.com/myapplication": "other-prefix.html",
			"example.com/":              "several.html",
		},
		want: []Endpoint{aci("https://storage.example.com/noarch/example.com/myapplication-latest")},
	}, {
		name:   "broken HTML still yields its tags",
		app:    "example.com/broken/thing:3",
		routes: map[string]string{"example.com/broken": "broken.html"},
		want: []Endpoint{
			aci("https://broken.example.com/example.com/broken/thing-3"),
			aci("https://upper.example.com/example.com/broken/thing"),
			aci("https://reversed.example.com/example.com/broken/thing"),
			aci("https://quoted.example.com/example.com/broken/thing"),
		},
		attempts: []string{"example.com/broken/thing https://example.com/broken/thing?ac-discovery=1"},
	}, {
		name: "500 and 404 pages everywhere",
		app:  "example.com/x/y",
		routes: map[string]string{
			"example.com/x/y": "500",
			"example.com/x":   "500",
		},
		noSimple: true,
		attempts: []string{
			"example.com/x/y https://example.com/x/y?ac-discovery=1",
			"example.com/x https://example.com/x?ac-discovery=1",
			"example.com https://example.com/?ac-discovery=1",
		},
		errWant: "no ACI endpoints found for example.com/x/y (3 failed requests, last: GET https://example.com/?ac-discovery=1: expected 200 OK, got 404 Not Found)",
	}, {
		name:     "pages without a matching tag",
		app:      "example.com/keysonly",
		routes:   map[string]string{"example.com/keysonly": "pubkeys-only.html", "example.com/": "pubkeys-only.html"},
		noSimple: true,
		errWant:  "no ACI endpoints found for example.com/keysonly (every page answered without a matching tag)",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			routes := map[string]http.HandlerFunc{}
			for k, f := range tt.routes {
				if f == "500" {
					routes[k] = status(http.StatusInternalServerError)
				} else {
					routes[k] = page(t, f)
				}
			}
			s := newServers(t, newSite(routes), nil)
			res, err := DiscoverEndpoints(context.Background(), mustApp(t, tt.app),
				Options{Client: s.client, NoSimple: tt.noSimple, Log: log.ForTest(t.Logf)})
			if tt.errWant != "" {
				if err == nil || err.Error() != tt.errWant || !errors.Is(err, errkind.NotFound) {
					t.Fatalf("DiscoverEndpoints(%s) = %v, want NotFound %q", tt.app, err, tt.errWant)
				}
			} else if err != nil {
				t.Fatalf("DiscoverEndpoints(%s) = %v, want success", tt.app, err)
			}
			if d := cmp.Diff(tt.want, res.Endpoints); d != "" {
				t.Errorf("DiscoverEndpoints(%s) endpoints (-want +got):\n%s", tt.app, d)
			}
			if d := cmp.Diff(tt.attempts, attemptURLs(res.Attempts)); d != "" {
				t.Errorf("DiscoverEndpoints(%s) attempts (-want +got):\n%s", tt.app, d)
			}
			wantSource := Meta
			if tt.errWant != "" {
				wantSource = 0
			}
			if res.Source != wantSource {
				t.Errorf("DiscoverEndpoints(%s).Source = %v, want %v", tt.app, res.Source, wantSource)
			}
		})
	}
}

func TestAttemptErrors(t *testing.T) {
	s := newServers(t, newSite(map[string]http.HandlerFunc{
		"example.com/a/b": status(http.StatusInternalServerError),
	}), nil)
	res, err := DiscoverEndpoints(context.Background(), mustApp(t, "example.com/a/b"),
		Options{Client: s.client, NoSimple: true})
	if !errors.Is(err, errkind.NotFound) {
		t.Fatalf("DiscoverEndpoints = %v, want NotFound", err)
	}
	want := []string{
		"GET https://example.com/a/b?ac-discovery=1: expected 200 OK, got 500 Internal Server Error",
		"GET https://example.com/a?ac-discovery=1: expected 200 OK, got 404 Not Found",
		"GET https://example.com/?ac-discovery=1: expected 200 OK, got 404 Not Found",
	}
	var got []string
	for _, a := range res.Attempts {
		got = append(got, a.Err.Error())
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("attempt errors (-want +got):\n%s", d)
	}
}

func TestDiscoverPublicKeys(t *testing.T) {
	routes := map[string]http.HandlerFunc{
		"example.com/myapp":  page(t, "several.html"),
		"example.com/deep/a": page(t, "deep-nomatch.html"),
		"example.com/deep":   page(t, "deep.html"),
		"example.com/":       page(t, "pubkeys-only.html"),
	}
	tests := []struct {
		app      string
		want     []string
		attempts int
	}{
		{"example.com/myapp", []string{"https://example.com/pubkeys.gpg", "https://keys.example.com/second.gpg"}, 0},
		// The keys walk stops at deep/a, though the endpoints walk goes on to deep.
		{"example.com/deep/a/b", []string{"https://example.com/deep-a.gpg"}, 1},
		{"example.com/deep/zzz", []string{"https://example.com/root.gpg"}, 1},
		{"example.com/other/x", []string{"https://example.com/root.gpg"}, 2},
	}
	s := newServers(t, newSite(routes), nil)
	for _, tt := range tests {
		t.Run(tt.app, func(t *testing.T) {
			res, err := DiscoverPublicKeys(context.Background(), mustApp(t, tt.app), Options{Client: s.client})
			if err != nil {
				t.Fatalf("DiscoverPublicKeys(%s) = %v", tt.app, err)
			}
			if d := cmp.Diff(tt.want, res.PublicKeys); d != "" {
				t.Errorf("DiscoverPublicKeys(%s) (-want +got):\n%s", tt.app, d)
			}
			if len(res.Attempts) != tt.attempts || res.Source != Meta || res.Endpoints != nil {
				t.Errorf("DiscoverPublicKeys(%s) = %d attempts, source %v, endpoints %v; want %d, meta, none",
					tt.app, len(res.Attempts), res.Source, res.Endpoints, tt.attempts)
			}
		})
	}
	t.Run("independent walks", func(t *testing.T) {
		res, err := DiscoverEndpoints(context.Background(), mustApp(t, "example.com/deep/a/b,os=linux,arch=amd64"),
			Options{Client: s.client})
		if err != nil {
			t.Fatal(err)
		}
		want := []Endpoint{aci("https://deep.example.com/example.com/deep/a/b/latest/linux-amd64")}
		if d := cmp.Diff(want, res.Endpoints); d != "" || res.PublicKeys != nil {
			t.Errorf("DiscoverEndpoints = %v keys %v, want %v and no keys", res.Endpoints, res.PublicKeys, want)
		}
	})
	t.Run("none", func(t *testing.T) {
		empty := newServers(t, nil, nil)
		res, err := DiscoverPublicKeys(context.Background(), mustApp(t, "example.com/nokeys"), Options{Client: empty.client})
		if !errors.Is(err, errkind.NotFound) || !strings.Contains(err.Error(), "no public keys found for example.com/nokeys") {
			t.Fatalf("DiscoverPublicKeys = %v, want NotFound naming the app", err)
		}
		if len(res.Attempts) != 2 {
			t.Errorf("DiscoverPublicKeys attempts = %v, want 2", attemptURLs(res.Attempts))
		}
	})
}

func TestInsecureHTTP(t *testing.T) {
	plain := newSite(map[string]http.HandlerFunc{
		"127.0.0.1/":       page(t, "loopback.html"),
		"example.com/http": page(t, "several.html"),
	})
	s := newServers(t, nil, plain)
	p := port(t, s.plain)

	t.Run("https to a plain server fails, no http without the option", func(t *testing.T) {
		res, err := DiscoverEndpoints(context.Background(), mustApp(t, "127.0.0.1/app"),
			Options{Client: s.client, Port: p, NoSimple: true})
		if !errors.Is(err, errkind.NotFound) {
			t.Fatalf("DiscoverEndpoints = %v, want NotFound", err)
		}
		want := []string{
			fmt.Sprintf("127.0.0.1/app https://127.0.0.1:%d/app?ac-discovery=1", p),
			fmt.Sprintf("127.0.0.1 https://127.0.0.1:%d/?ac-discovery=1", p),
		}
		if d := cmp.Diff(want, attemptURLs(res.Attempts)); d != "" {
			t.Errorf("attempts (-want +got):\n%s", d)
		}
		if n := plain.count(" http "); n != 0 {
			t.Errorf("plain server saw %d http requests, want 0: %v", n, plain.seen())
		}
	})
	t.Run("with the option http follows the https failure", func(t *testing.T) {
		res, err := DiscoverEndpoints(context.Background(), mustApp(t, "127.0.0.1/app:1"),
			Options{Client: s.client, Port: p, InsecureHTTP: true})
		if err != nil {
			t.Fatalf("DiscoverEndpoints = %v", err)
		}
		want := []Endpoint{aci("https://images.example.com/127.0.0.1/app-1")}
		if d := cmp.Diff(want, res.Endpoints); d != "" {
			t.Errorf("endpoints (-want +got):\n%s", d)
		}
		// Both schemes failed for the full name, then https failed for the
		// host before http answered: each failure is reported.
		wantAttempts := []string{
			fmt.Sprintf("127.0.0.1/app https://127.0.0.1:%d/app?ac-discovery=1", p),
			fmt.Sprintf("127.0.0.1/app http://127.0.0.1:%d/app?ac-discovery=1", p),
			fmt.Sprintf("127.0.0.1 https://127.0.0.1:%d/?ac-discovery=1", p),
		}
		if d := cmp.Diff(wantAttempts, attemptURLs(res.Attempts)); d != "" {
			t.Errorf("attempts (-want +got):\n%s", d)
		}
		if e := res.Attempts[0].Err.Error(); !strings.Contains(e, "HTTP response to HTTPS client") {
			t.Errorf("https attempt error = %q, want the TLS failure", e)
		}
	})
	t.Run("https 404 then http on port 80", func(t *testing.T) {
		res, err := DiscoverEndpoints(context.Background(), mustApp(t, "example.com/http"),
			Options{Client: s.client, InsecureHTTP: true})
		if err != nil {
			t.Fatalf("DiscoverEndpoints = %v", err)
		}
		want := []Endpoint{aci("https://storage.example.com/noarch/example.com/http-latest")}
		if d := cmp.Diff(want, res.Endpoints); d != "" {
			t.Errorf("endpoints (-want +got):\n%s", d)
		}
		if got := attemptURLs(res.Attempts); len(got) != 1 || got[0] != "example.com/http https://example.com/http?ac-discovery=1" {
			t.Errorf("attempts = %v, want the https 404 only", got)
		}
	})
}

func TestInsecureTLS(t *testing.T) {
	s := newServers(t, newSite(map[string]http.HandlerFunc{"example.com/app": page(t, "several.html")}), nil)
	client := s.untrusting(t)
	app := mustApp(t, "example.com/app")

	res, err := DiscoverEndpoints(context.Background(), app, Options{Client: client, NoSimple: true})
	if !errors.Is(err, errkind.NotFound) {
		t.Fatalf("DiscoverEndpoints(untrusted cert) = %v, want NotFound", err)
	}
	if e := res.Attempts[0].Err.Error(); !strings.Contains(e, "certificate") {
		t.Errorf("attempt error = %q, want a certificate error", e)
	}

	res, err = DiscoverEndpoints(context.Background(), app, Options{Client: client, InsecureTLS: true})
	if err != nil || len(res.Endpoints) != 1 {
		t.Fatalf("DiscoverEndpoints(InsecureTLS) = %+v, %v, want one endpoint", res, err)
	}
	if tr := client.Transport.(*http.Transport); tr.TLSClientConfig != nil && tr.TLSClientConfig.InsecureSkipVerify {
		t.Errorf("InsecureTLS changed the caller's transport")
	}

	// InsecureTLS on a nil client builds its own transport.
	loop := mustApp(t, "127.0.0.1/app")
	if _, err := DiscoverEndpoints(context.Background(), loop, Options{InsecureTLS: true, Port: 1, NoSimple: true}); !errors.Is(err, errkind.NotFound) {
		t.Errorf("DiscoverEndpoints(nil client, InsecureTLS) = %v, want NotFound from a refused connection", err)
	}

	odd := &http.Client{Transport: roundTripFunc(func(*http.Request) (*http.Response, error) {
		return nil, errors.New("unused")
	})}
	if _, err := DiscoverEndpoints(context.Background(), app, Options{Client: odd, InsecureTLS: true}); err == nil ||
		!strings.Contains(err.Error(), "insecure TLS needs an *http.Transport") {
		t.Errorf("DiscoverEndpoints(custom RoundTripper, InsecureTLS) = %v, want a clear error", err)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestRedirects(t *testing.T) {
	var sawAuth, sawOther []string
	other := func(w http.ResponseWriter, r *http.Request) {
		sawAuth = append(sawAuth, r.Header.Get("Authorization"))
		sawOther = append(sawOther, r.Header.Get("X-Other"))
		page(t, "several.html")(w, r)
	}
	needAuth := func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer secret" {
			http.Error(w, "who are you", http.StatusUnauthorized)
			return
		}
		redirect("https://other.example.com/page?ac-discovery=1")(w, r)
	}
	tlsSite := newSite(map[string]http.HandlerFunc{
		"example.com/moved":      redirect("/landing?ac-discovery=1"),
		"example.com/landing":    page(t, "several.html"),
		"example.com/loop":       redirect("/loop?ac-discovery=1"),
		"example.com/down":       redirect("http://example.com/landing?ac-discovery=1"),
		"example.com/auth":       needAuth,
		"other.example.com/page": other,
	})
	plainSite := newSite(map[string]http.HandlerFunc{"example.com/landing": page(t, "several.html")})
	s := newServers(t, tlsSite, plainSite)
	ctx := context.Background()

	t.Run("same host", func(t *testing.T) {
		res, err := DiscoverEndpoints(ctx, mustApp(t, "example.com/moved"), Options{Client: s.client})
		if err != nil || len(res.Endpoints) != 1 || res.Endpoints[0].ACI != "https://storage.example.com/noarch/example.com/moved-latest.aci" {
			t.Errorf("DiscoverEndpoints(moved) = %+v, %v, want the landing page's noarch endpoint", res, err)
		}
	})
	t.Run("loop is bounded", func(t *testing.T) {
		before := tlsSite.count("/loop")
		res, err := DiscoverEndpoints(ctx, mustApp(t, "example.com/loop"), Options{Client: s.client, MaxRedirects: 2, NoSimple: true})
		if !errors.Is(err, errkind.NotFound) {
			t.Fatalf("DiscoverEndpoints(loop) = %v, want NotFound", err)
		}
		if e := res.Attempts[0].Err.Error(); !strings.Contains(e, "stopped after 2 redirects") {
			t.Errorf("attempt error = %q, want stopped after 2 redirects", e)
		}
		if n := tlsSite.count("/loop") - before; n != 3 {
			t.Errorf("requests to /loop = %d, want 3 (the first and 2 redirects)", n)
		}
		res, _ = DiscoverEndpoints(ctx, mustApp(t, "example.com/loop"), Options{Client: s.client, NoSimple: true})
		if e := res.Attempts[0].Err.Error(); !strings.Contains(e, fmt.Sprintf("stopped after %d redirects", DefaultMaxRedirects)) {
			t.Errorf("attempt error = %q, want the default bound", e)
		}
	})
	t.Run("https to http refused without the option", func(t *testing.T) {
		res, err := DiscoverEndpoints(ctx, mustApp(t, "example.com/down"), Options{Client: s.client, NoSimple: true})
		if !errors.Is(err, errkind.NotFound) {
			t.Fatalf("DiscoverEndpoints(down) = %v, want NotFound", err)
		}
		if e := res.Attempts[0].Err.Error(); !strings.Contains(e, "refusing redirect to http://example.com/landing") {
			t.Errorf("attempt error = %q, want the refused downgrade", e)
		}
		if n := plainSite.count("landing"); n != 0 {
			t.Errorf("plain server saw %d requests, want 0", n)
		}
	})
	t.Run("https to http with the option", func(t *testing.T) {
		res, err := DiscoverEndpoints(ctx, mustApp(t, "example.com/down"), Options{Client: s.client, InsecureHTTP: true})
		if err != nil || len(res.Endpoints) != 1 {
			t.Fatalf("DiscoverEndpoints(down, InsecureHTTP) = %+v, %v", res, err)
		}
		if n := plainSite.count("GET http example.com /landing"); n != 1 {
			t.Errorf("plain server saw %d requests for the landing page, want 1", n)
		}
	})
	t.Run("headers by host, dropped across hosts", func(t *testing.T) {
		headers := map[string]http.Header{
			"example.com":       {"Authorization": {"Bearer secret"}},
			"other.example.com": {"X-Other": {"yes"}},
		}
		res, err := DiscoverEndpoints(ctx, mustApp(t, "example.com/auth"), Options{Client: s.client, Headers: headers})
		if err != nil || len(res.Endpoints) != 1 {
			t.Fatalf("DiscoverEndpoints(auth) = %+v, %v", res, err)
		}
		if d := cmp.Diff([]string{""}, sawAuth); d != "" {
			t.Errorf("Authorization on the other host (-want +got):\n%s", d)
		}
		if d := cmp.Diff([]string{"yes"}, sawOther); d != "" {
			t.Errorf("X-Other on the other host (-want +got):\n%s", d)
		}
		res, err = DiscoverEndpoints(ctx, mustApp(t, "example.com/auth"), Options{Client: s.client, NoSimple: true})
		if !errors.Is(err, errkind.NotFound) || !strings.Contains(res.Attempts[0].Err.Error(), "401 Unauthorized") {
			t.Errorf("DiscoverEndpoints(auth, no headers) = %v, want NotFound after a 401", err)
		}
	})
}

func TestPort(t *testing.T) {
	tlsSite := newSite(map[string]http.HandlerFunc{"127.0.0.1/": page(t, "loopback.html")})
	s := newServers(t, tlsSite, nil)
	p := port(t, s.tls)
	app := mustApp(t, "127.0.0.1/app:2")
	res, err := DiscoverEndpoints(context.Background(), app, Options{Client: s.client, Port: p})
	if err != nil {
		t.Fatalf("DiscoverEndpoints = %v", err)
	}
	if d := cmp.Diff([]Endpoint{aci("https://images.example.com/127.0.0.1/app-2")}, res.Endpoints); d != "" {
		t.Errorf("endpoints (-want +got):\n%s", d)
	}
	want := []string{fmt.Sprintf("127.0.0.1/app https://127.0.0.1:%d/app?ac-discovery=1", p)}
	if d := cmp.Diff(want, attemptURLs(res.Attempts)); d != "" {
		t.Errorf("attempts (-want +got):\n%s", d)
	}
	if n := tlsSite.count(fmt.Sprintf("GET https 127.0.0.1:%d /", p)); n != 2 {
		t.Errorf("server saw %d requests with the port in Host, want 2: %v", n, tlsSite.seen())
	}
	keys, err := DiscoverPublicKeys(context.Background(), app, Options{Client: s.client, Port: p})
	if err != nil || len(keys.PublicKeys) != 1 {
		t.Errorf("DiscoverPublicKeys = %+v, %v, want one key", keys, err)
	}
	for _, bad := range []int{-1, 65536} {
		_, err := DiscoverEndpoints(context.Background(), app, Options{Client: s.client, Port: bad})
		if !errors.Is(err, errkind.Usage) {
			t.Errorf("DiscoverEndpoints(port %d) = %v, want a usage error", bad, err)
		}
	}
}

func TestSimpleDiscovery(t *testing.T) {
	const imagePath = "example.com/app-1.0-linux-amd64.aci"
	head := func(headStatus, getStatus int) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			switch {
			case r.Method == http.MethodHead:
				w.WriteHeader(headStatus)
			case r.Header.Get("Range") != "bytes=0-0":
				http.Error(w, "want a ranged GET", http.StatusBadRequest)
			default:
				w.WriteHeader(getStatus)
				w.Write([]byte("x"))
			}
		}
	}
	want := []Endpoint{{ACI: "https://example.com/app-1.0-linux-amd64.aci", ASC: "https://example.com/app-1.0-linux-amd64.aci.asc"}}
	metaAttempts := []string{
		"example.com/app https://example.com/app?ac-discovery=1",
		"example.com https://example.com/?ac-discovery=1",
	}
	tests := []struct {
		name     string
		app      string
		routes   map[string]http.HandlerFunc
		noSimple bool
		want     []Endpoint
		attempts []string
		gets     int // ranged GETs of the image wanted
	}{
		{"HEAD 200", "example.com/app:1.0,os=linux,arch=amd64",
			map[string]http.HandlerFunc{imagePath: head(200, 0)}, false, want, metaAttempts, 0},
		{"HEAD refused, ranged GET 206", "example.com/app:1.0,os=linux,arch=amd64",
			map[string]http.HandlerFunc{imagePath: head(405, 206)}, false, want, metaAttempts, 1},
		{"HEAD refused, GET 200", "example.com/app:1.0,os=linux,arch=amd64",
			map[string]http.HandlerFunc{imagePath: head(403, 200)}, false, want, metaAttempts, 1},
		{"HEAD refused, GET 403", "example.com/app:1.0,os=linux,arch=amd64",
			map[string]http.HandlerFunc{imagePath: head(405, 403)}, false, nil,
			append(metaAttempts, "example.com/app https://"+imagePath), 1},
		{"HEAD 404 is final", "example.com/app:1.0,os=linux,arch=amd64",
			nil, false, nil, append(metaAttempts, "example.com/app https://"+imagePath), 0},
		{"turned off", "example.com/app:1.0,os=linux,arch=amd64",
			map[string]http.HandlerFunc{imagePath: head(200, 0)}, true, nil, metaAttempts, 0},
		{"needs os and arch", "example.com/app:1.0",
			map[string]http.HandlerFunc{imagePath: head(200, 0)}, false, nil, append(metaAttempts, "example.com/app "), 0},
		{"needs a path", "example.com:1.0,os=linux,arch=amd64",
			nil, false, nil, []string{"example.com https://example.com/?ac-discovery=1", "example.com "}, 0},
		{"not tried when meta finds something", "example.com/app:1.0,os=linux,arch=amd64",
			map[string]http.HandlerFunc{imagePath: head(200, 0), "example.com/app": page(t, "several.html")}, false,
			[]Endpoint{
				aci("https://storage.example.com/example.com/app-1.0-linux-amd64"),
				aci("https://mirror.example.com/linux/amd64/example.com/app/1.0"),
				aci("https://storage.example.com/noarch/example.com/app-1.0"),
			}, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			site := newSite(tt.routes)
			s := newServers(t, site, nil)
			res, err := DiscoverEndpoints(context.Background(), mustApp(t, tt.app), Options{Client: s.client, NoSimple: tt.noSimple})
			if tt.want == nil {
				if !errors.Is(err, errkind.NotFound) {
					t.Fatalf("DiscoverEndpoints(%s) = %v, want NotFound", tt.app, err)
				}
			} else if err != nil {
				t.Fatalf("DiscoverEndpoints(%s) = %v", tt.app, err)
			}
			if d := cmp.Diff(tt.want, res.Endpoints); d != "" {
				t.Errorf("endpoints (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tt.attempts, attemptURLs(res.Attempts)); d != "" {
				t.Errorf("attempts (-want +got):\n%s", d)
			}
			wantSource := Source(0)
			if tt.want != nil {
				wantSource = Meta
				if len(tt.want) == 1 {
					wantSource = Simple
				}
			}
			if res.Source != wantSource {
				t.Errorf("Source = %v, want %v", res.Source, wantSource)
			}
			if n := site.count("GET https example.com /app-1.0"); n != tt.gets {
				t.Errorf("ranged GETs = %d, want %d: %v", n, tt.gets, site.seen())
			}
			if tt.noSimple || tt.name == "not tried when meta finds something" {
				if n := site.count(".aci"); n != 0 {
					t.Errorf("image requests = %d, want none", n)
				}
			}
		})
	}
	t.Run("port and insecure http", func(t *testing.T) {
		plain := newSite(map[string]http.HandlerFunc{"127.0.0.1/app-latest-linux-amd64.aci": head(200, 0)})
		s := newServers(t, nil, plain)
		p := port(t, s.plain)
		opts := Options{Client: s.client, Port: p}
		if _, err := DiscoverEndpoints(context.Background(), mustApp(t, "127.0.0.1/app,os=linux,arch=amd64"), opts); !errors.Is(err, errkind.NotFound) {
			t.Fatalf("DiscoverEndpoints without InsecureHTTP = %v, want NotFound", err)
		}
		opts.InsecureHTTP = true
		res, err := DiscoverEndpoints(context.Background(), mustApp(t, "127.0.0.1/app,os=linux,arch=amd64"), opts)
		if err != nil {
			t.Fatalf("DiscoverEndpoints = %v", err)
		}
		u := fmt.Sprintf("http://127.0.0.1:%d/app-latest-linux-amd64.aci", p)
		if d := cmp.Diff([]Endpoint{{ACI: u, ASC: u + ".asc"}}, res.Endpoints); d != "" || res.Source != Simple {
			t.Errorf("endpoints (-want +got):\n%s source %v", d, res.Source)
		}
	})
}

func TestContextCancel(t *testing.T) {
	started := make(chan struct{}, 1)
	hang := func(w http.ResponseWriter, r *http.Request) {
		select {
		case started <- struct{}{}:
		default:
		}
		<-r.Context().Done()
	}
	site := newSite(map[string]http.HandlerFunc{"example.com/slow": hang})
	s := newServers(t, site, nil)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-started
		cancel()
	}()
	begin := time.Now()
	res, err := DiscoverEndpoints(ctx, mustApp(t, "example.com/slow"), Options{Client: s.client})
	if !errors.Is(err, context.Canceled) || errors.Is(err, errkind.NotFound) || res != nil {
		t.Errorf("DiscoverEndpoints(cancelled) = %+v, %v, want context.Canceled only", res, err)
	}
	if d := time.Since(begin); d > 10*time.Second {
		t.Errorf("DiscoverEndpoints took %v after cancel", d)
	}
	if n := site.count("GET"); n != 1 {
		t.Errorf("requests = %d, want 1 (the walk stops)", n)
	}

	_, err = DiscoverPublicKeys(ctx, mustApp(t, "example.com/slow"), Options{Client: s.client})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("DiscoverPublicKeys(cancelled ctx) = %v, want context.Canceled", err)
	}
	if n := site.count("GET"); n != 1 {
		t.Errorf("requests = %d after a dead ctx, want still 1", n)
	}
}

func TestHugePage(t *testing.T) {
	const total = 64 << 20
	written := make(chan int, 4)
	huge := func(tagFirst bool) http.HandlerFunc {
		tag := `<meta name="ac-discovery" content="example.com https://huge.example.com/{name}.{ext}">` + "\n"
		pad := "<!-- " + strings.Repeat("padding ", 1000) + "-->\n"
		return func(w http.ResponseWriter, r *http.Request) {
			n, _ := fmt.Fprint(w, "<html><head>\n")
			if tagFirst {
				m, _ := fmt.Fprint(w, tag)
				n += m
			}
			for n < total {
				m, err := fmt.Fprint(w, pad)
				n += m
				if err != nil {
					break
				}
				if !tagFirst && n > 2<<20 && n < 2<<20+len(pad)+1 {
					m, _ := fmt.Fprint(w, tag)
					n += m
				}
			}
			written <- n
		}
	}
	site := newSite(map[string]http.HandlerFunc{
		"example.com/first": huge(true),
		"example.com/late":  huge(false),
	})
	s := newServers(t, site, nil)
	ctx := context.Background()

	res, err := DiscoverEndpoints(ctx, mustApp(t, "example.com/first"), Options{Client: s.client})
	if err != nil || len(res.Endpoints) != 1 {
		t.Fatalf("DiscoverEndpoints(tag first) = %+v, %v, want one endpoint", res, err)
	}
	if n := <-written; n >= total/2 {
		t.Errorf("server wrote %d bytes, want the client to stop near the cap", n)
	}

	_, err = DiscoverEndpoints(ctx, mustApp(t, "example.com/late"), Options{Client: s.client, NoSimple: true})
	if !errors.Is(err, errkind.NotFound) {
		t.Errorf("DiscoverEndpoints(tag past the cap) = %v, want NotFound", err)
	}
	<-written
	res, err = DiscoverEndpoints(ctx, mustApp(t, "example.com/late"), Options{Client: s.client, MaxBodySize: 4 << 20})
	if err != nil || len(res.Endpoints) != 1 {
		t.Errorf("DiscoverEndpoints(tag within a raised cap) = %+v, %v, want one endpoint", res, err)
	}
	<-written
}

func TestBadArguments(t *testing.T) {
	if _, err := DiscoverEndpoints(context.Background(), nil, Options{}); !errors.Is(err, errkind.Usage) {
		t.Errorf("DiscoverEndpoints(nil) = %v, want a usage error", err)
	}
	if _, err := DiscoverPublicKeys(context.Background(), &App{Name: "Bad"}, Options{}); !errors.Is(err, errkind.Usage) {
		t.Errorf("DiscoverPublicKeys(bad name) = %v, want a usage error", err)
	}
}

func TestSourceString(t *testing.T) {
	for s, want := range map[Source]string{0: "none", Meta: "meta", Simple: "simple"} {
		if got := s.String(); got != want {
			t.Errorf("Source(%d).String() = %q, want %q", s, got, want)
		}
	}
}

// A meta page that stops coming, or a server that never answers, ends the
// request after the idle time with an error naming the URL and the time;
// the walk goes on to the next prefix.
func TestStalledPage(t *testing.T) {
	stallBody := func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "<html><head>\n")
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}
	stallHeaders := func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }
	site := newSite(map[string]http.HandlerFunc{
		"example.com/body/app":    stallBody,
		"example.com/headers/app": stallHeaders,
		"example.com/body":        page(t, "several.html"),
	})
	s := newServers(t, site, nil)
	for _, name := range []string{"example.com/body/app", "example.com/headers/app"} {
		begin := time.Now()
		res, err := DiscoverEndpoints(context.Background(), mustApp(t, name),
			Options{Client: s.client, NoSimple: true, IdleTimeout: 200 * time.Millisecond})
		if d := time.Since(begin); d > 10*time.Second {
			t.Errorf("DiscoverEndpoints(%s) took %v, want the idle timeout to end the stalled request", name, d)
		}
		if res == nil || len(res.Attempts) == 0 {
			t.Fatalf("DiscoverEndpoints(%s) = %+v, %v, want attempts", name, res, err)
		}
		a := res.Attempts[0]
		if !strings.Contains(a.Err.Error(), "no data received for 200ms") || !strings.Contains(a.Err.Error(), a.URL) {
			t.Errorf("attempt %s: %v, want the URL and the idle time", a.URL, a.Err)
		}
		if name == "example.com/headers/app" {
			// Nothing found: the summary shows the stall, not the last 404.
			if !strings.Contains(err.Error(), "stalled: ") || !strings.Contains(err.Error(), a.URL) || !strings.Contains(err.Error(), "200ms") {
				t.Errorf("DiscoverEndpoints(%s) error = %v, want it to name the stalled URL", name, err)
			}
		}
	}
}
