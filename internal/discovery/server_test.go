package discovery

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// site routes requests by host name (port dropped) and path, and records
// every request it sees. Unknown routes answer 404.
type site struct {
	mu       sync.Mutex
	routes   map[string]http.HandlerFunc
	requests []string // "METHOD scheme host path"
}

func newSite(routes map[string]http.HandlerFunc) *site {
	if routes == nil {
		routes = map[string]http.HandlerFunc{}
	}
	return &site{routes: routes}
}

func (s *site) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	s.mu.Lock()
	s.requests = append(s.requests, fmt.Sprintf("%s %s %s %s", r.Method, scheme, r.Host, r.URL.Path))
	h, ok := s.routes[host+r.URL.Path]
	s.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	h(w, r)
}

func (s *site) seen() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.requests...)
}

// count returns how many recorded requests contain sub.
func (s *site) count(sub string) int {
	n := 0
	for _, r := range s.seen() {
		if strings.Contains(r, sub) {
			n++
		}
	}
	return n
}

// page serves a testdata file as a meta page; it insists on the
// ac-discovery query so a wrong URL shows up as a failure.
func page(t testing.TB, file string) http.HandlerFunc {
	body := readTestdata(t, file)
	return func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("ac-discovery") != "1" {
			http.Error(w, "missing ac-discovery=1", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, body)
	}
}

func status(code int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { http.Error(w, http.StatusText(code), code) }
}

func redirect(to string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, to, http.StatusFound) }
}

// servers is a TLS server, an optional plain HTTP one, and a client that
// trusts the TLS server's certificate and dials example.com and its
// subdomains to them (:443 to TLS, :80 to plain). Other hosts must be
// loopback addresses: no test traffic leaves 127.0.0.0/8.
type servers struct {
	tls, plain *httptest.Server
	client     *http.Client
}

func newServers(t testing.TB, tlsSite, plainSite http.Handler) *servers {
	t.Helper()
	s := &servers{}
	if tlsSite == nil {
		tlsSite = newSite(nil)
	}
	s.tls = httptest.NewTLSServer(tlsSite)
	t.Cleanup(s.tls.Close)
	if plainSite != nil {
		s.plain = httptest.NewServer(plainSite)
		t.Cleanup(s.plain.Close)
	}
	tr := s.tls.Client().Transport.(*http.Transport).Clone()
	tr.Proxy = nil
	tr.DialContext = s.dial
	t.Cleanup(tr.CloseIdleConnections)
	s.client = &http.Client{Transport: tr}
	return s
}

func (s *servers) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if host == "example.com" || strings.HasSuffix(host, ".example.com") {
		switch {
		case port == "443":
			addr = s.tls.Listener.Addr().String()
		case port == "80" && s.plain != nil:
			addr = s.plain.Listener.Addr().String()
		default:
			return nil, fmt.Errorf("test dialer: connection to %s refused", addr)
		}
	} else if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("test dialer: %s is not a loopback address", addr)
	}
	var d net.Dialer
	return d.DialContext(ctx, network, addr)
}

// untrusting returns a client that dials like s.client but does not trust
// the test certificate.
func (s *servers) untrusting(t testing.TB) *http.Client {
	tr := &http.Transport{DialContext: s.dial}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

func port(t testing.TB, srv *httptest.Server) int {
	t.Helper()
	return srv.Listener.Addr().(*net.TCPAddr).Port
}
