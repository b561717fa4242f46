package main

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/acikit/acikit/internal/testutil"
)

// A key URL that stalls fails trust on the idle timeout.
func TestTrustIdleTimeout(t *testing.T) {
	srv := testutil.StallServer(t)
	key := srv.URL + "/key.gpg"
	testutil.IdleTimeout(t, func(t *testing.T, flag []string) testutil.Result {
		args := append([]string{"trust", "--prefix", "example.com/app", "--skip-fingerprint-review",
			"--trust-dir", filepath.Join(t.TempDir(), "trust"), "--insecure-options", "http"}, flag...)
		return testutil.Run(t, nil, testutil.Binary(t, "acsign"), append(args, key)...)
	}, key)
}

// A key server that sends without end is cut at 1 MiB, and one that
// redirects in a loop is stopped; each fails with one line naming the URL.
func TestTrustLyingKeyServer(t *testing.T) {
	var written atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/endless.gpg":
			chunk := []byte(strings.Repeat("A", 4096))
			for written.Load() < 1<<30 {
				n, err := w.Write(chunk)
				written.Add(int64(n))
				if err != nil {
					return
				}
			}
		case "/loop.gpg":
			http.Redirect(w, r, "/loop.gpg", http.StatusFound)
		}
	}))
	t.Cleanup(srv.Close)
	for _, tc := range []struct{ path, want string }{
		{"/endless.gpg", "too large (more than 1048576 bytes)"},
		{"/loop.gpg", "redirects"},
	} {
		key := srv.URL + tc.path
		start := time.Now()
		r := testutil.Run(t, nil, testutil.Binary(t, "acsign"), "trust", "--prefix", "example.com/app", "--skip-fingerprint-review",
			"--trust-dir", filepath.Join(t.TempDir(), "trust"), "--insecure-options", "http", key)
		msg := strings.TrimSpace(r.Stderr)
		if r.Code == 0 || strings.Count(msg, "\n") > 1 || !strings.Contains(msg, key) || !strings.Contains(msg, tc.want) {
			t.Errorf("trust %s: exit %d, stderr %q; want one line naming the URL and %q", key, r.Code, msg, tc.want)
		}
		if d := time.Since(start); d > 20*time.Second {
			t.Errorf("trust %s took %v", key, d)
		}
	}
	if n := written.Load(); n > 64<<20 {
		t.Errorf("server wrote %d bytes of key, want the client to stop near the cap", n)
	}
}
