package fetch

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// lyingServer serves the image at /hello.aci and hands /hello.aci.asc to
// sig; it counts requests per path.
func lyingServer(t *testing.T, img []byte, sig http.HandlerFunc) (*httptest.Server, *atomic.Int32, *atomic.Int32) {
	t.Helper()
	var imgHits, sigHits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/hello.aci":
			imgHits.Add(1)
			w.Write(img)
		case "/hello.aci.asc":
			sigHits.Add(1)
			sig(w, r)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &imgHits, &sigHits
}

func fetchWithin(t *testing.T, f *Fetcher, url string, limit time.Duration) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	start := time.Now()
	_, err := f.Fetch(ctx, url)
	if err == nil {
		t.Fatalf("Fetch(%s) succeeded, want an error", url)
	}
	if d := time.Since(start); d > limit || ctx.Err() != nil {
		t.Errorf("Fetch(%s) took %v, want it bounded (under %v)", url, d, limit)
	}
	if strings.ContainsAny(err.Error(), "\r\n") {
		t.Errorf("Fetch(%s) error %q, want one line", url, err)
	}
	t.Logf("error: %v", err)
	return err
}

// A signature that stalls fails on the idle timeout like an image does.
func TestFetchStalledSignature(t *testing.T) {
	e := newEnv(t)
	img := makeACI(t, "example.com/hello", helloLabels, 20000)
	srv, _, _ := lyingServer(t, img.data, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "500")
		w.Write([]byte("-----BEGIN PGP SIGNATURE-----\n"))
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	f := e.fetcher(t, func(o *Options) {
		o.Client = nil
		o.Insecure = Insecure{HTTP: true}
		o.ReadTimeout = 200 * time.Millisecond
		o.Retries = 1
	})
	err := fetchWithin(t, f, srv.URL+"/hello.aci", 15*time.Second)
	if !strings.Contains(err.Error(), "no data received for 200ms") || !strings.Contains(err.Error(), srv.URL+"/hello.aci.asc") {
		t.Errorf("Fetch error = %q, want the signature URL and the idle time", err)
	}
	e.assertEmpty(t)
}

// A signature body without end is cut at the cap, not read forever.
func TestFetchEndlessSignature(t *testing.T) {
	e := newEnv(t)
	img := makeACI(t, "example.com/hello", helloLabels, 20000)
	var written atomic.Int64
	srv, _, _ := lyingServer(t, img.data, func(w http.ResponseWriter, r *http.Request) {
		chunk := []byte(strings.Repeat("A", 4096))
		for r.Context().Err() == nil && written.Load() < 1<<30 {
			n, err := w.Write(chunk)
			written.Add(int64(n))
			if err != nil {
				return
			}
		}
	})
	f := e.fetcher(t, func(o *Options) {
		o.Client = nil
		o.Insecure = Insecure{HTTP: true}
	})
	err := fetchWithin(t, f, srv.URL+"/hello.aci", 30*time.Second)
	if !strings.Contains(err.Error(), "larger than 65536 bytes") || !strings.Contains(err.Error(), "hello.aci.asc") {
		t.Errorf("Fetch error = %q, want the signature named as too large", err)
	}
	if n := written.Load(); n > 64<<20 {
		t.Errorf("server wrote %d bytes of signature, want the client to stop near the cap", n)
	}
	e.assertEmpty(t)
}

// A server whose Content-Length promises more than it sends: each attempt
// ends early, the resumption is tried a bounded number of times, and the
// fetch fails with one line, storing nothing.
func TestFetchShortBody(t *testing.T) {
	e := newEnv(t)
	img := makeACI(t, "example.com/hello", helloLabels, 200000)
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Length", strconv.Itoa(len(img.data)+1000))
		w.Write(img.data)
	}))
	t.Cleanup(srv.Close)
	f := e.fetcher(t, func(o *Options) {
		o.Client = nil
		o.Insecure = Insecure{HTTP: true, Image: true}
		o.Retries = 3
	})
	err := fetchWithin(t, f, srv.URL+"/hello.aci", 30*time.Second)
	if want := strconv.Itoa(len(img.data)) + " of " + strconv.Itoa(len(img.data)+1000); !strings.Contains(err.Error(), srv.URL+"/hello.aci") || !strings.Contains(err.Error(), want) {
		t.Errorf("Fetch error = %q, want the URL and %q", err, want)
	}
	if n := hits.Load(); n > 4 {
		t.Errorf("server saw %d requests, want at most 1 + 3 retries", n)
	}
	e.assertEmpty(t)
}

// A redirect loop stops at the redirect limit with an error naming the URL,
// and is not retried.
func TestFetchRedirectLoop(t *testing.T) {
	e := newEnv(t)
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		next := "/a.aci"
		if r.URL.Path == "/a.aci" {
			next = "/b.aci"
		}
		http.Redirect(w, r, next, http.StatusFound)
	}))
	t.Cleanup(srv.Close)
	f := e.fetcher(t, func(o *Options) {
		o.Client = nil
		o.Insecure = Insecure{HTTP: true, Image: true}
		o.MaxRedirects = 5
	})
	err := fetchWithin(t, f, srv.URL+"/a.aci", 10*time.Second)
	if !strings.Contains(err.Error(), srv.URL+"/a.aci") || !strings.Contains(err.Error(), "redirects") {
		t.Errorf("Fetch error = %q, want the URL and the redirect limit", err)
	}
	if n := hits.Load(); n > 7 {
		t.Errorf("server saw %d requests, want the loop cut after 5 redirects", n)
	}
	e.assertEmpty(t)
}

// An image body without end that is not an image is given up as soon as
// it fails to parse, not read on until the disk is full.
func TestFetchEndlessImage(t *testing.T) {
	e := newEnv(t)
	var written atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		chunk := make([]byte, 32<<10)
		for i := range chunk {
			chunk[i] = byte(i*7 + 3)
		}
		for written.Load() < 1<<30 {
			n, err := w.Write(chunk)
			written.Add(int64(n))
			if err != nil {
				return
			}
		}
	}))
	t.Cleanup(srv.Close)
	f := e.fetcher(t, func(o *Options) {
		o.Client = nil
		o.Insecure = Insecure{HTTP: true, Image: true}
	})
	fetchWithin(t, f, srv.URL+"/endless.aci", 30*time.Second)
	if n := written.Load(); n > 64<<20 {
		t.Errorf("server wrote %d bytes, want the fetch to stop early", n)
	}
	e.assertEmpty(t)
}
