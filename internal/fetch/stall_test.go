package fetch

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// stallServer serves the first half of body, flushes, then holds the
// connection open without sending anything until the test ends.
func stallServer(t *testing.T, body []byte) *httptest.Server {
	t.Helper()
	done := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.Write(body[:len(body)/2])
		w.(http.Flusher).Flush()
		select {
		case <-done:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(done); srv.Close() })
	return srv
}

func TestFetchStalledImageFailsAfterIdleTimeout(t *testing.T) {
	e := newEnv(t)
	img := makeACI(t, "example.com/hello", helloLabels, 400000)
	srv := stallServer(t, img.data)
	f := e.fetcher(t, func(o *Options) {
		o.Client = srv.Client()
		o.Insecure = Insecure{Image: true, HTTP: true}
		o.ReadTimeout = 200 * time.Millisecond
		o.Retries = 1
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	start := time.Now()
	_, err := f.Fetch(ctx, srv.URL+"/hello.aci")
	if err == nil {
		t.Fatal("Fetch of a stalled image succeeded, want an error")
	}
	if ctx.Err() != nil || time.Since(start) > 10*time.Second {
		t.Fatalf("Fetch of a stalled image took %v, want it to end on the idle timeout", time.Since(start))
	}
	t.Logf("error: %v", err)
	if !strings.Contains(err.Error(), "hello.aci") || !strings.Contains(err.Error(), "no data received for 200ms") {
		t.Errorf("Fetch error = %q, want it to name the URL and the idle time", err)
	}
	e.assertEmpty(t)
}

// A slow body that keeps moving must not trip the idle timeout, even when
// the whole transfer takes several times longer than it.
func TestFetchTricklingImageSucceeds(t *testing.T) {
	e := newEnv(t)
	img := makeACI(t, "example.com/hello", helloLabels, 400000)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(len(img.data)))
		chunk := len(img.data)/12 + 1
		for off := 0; off < len(img.data); off += chunk {
			w.Write(img.data[off:min(off+chunk, len(img.data))])
			w.(http.Flusher).Flush()
			time.Sleep(100 * time.Millisecond)
		}
	}))
	t.Cleanup(srv.Close)
	f := e.fetcher(t, func(o *Options) {
		o.Client = srv.Client()
		o.Insecure = Insecure{Image: true, HTTP: true}
		o.ReadTimeout = 400 * time.Millisecond
		o.Retries = 0
	})
	res, err := f.Fetch(context.Background(), srv.URL+"/hello.aci")
	if err != nil {
		t.Fatalf("Fetch of a trickling image: %v", err)
	}
	if res[0].ID != img.id {
		t.Errorf("Fetch ID = %s, want %s", res[0].ID, img.id)
	}
}

// A stall is a broken transfer like any other: the next request asks for
// the rest with Range, and when that one flows the fetch succeeds.
func TestFetchStalledImageResumes(t *testing.T) {
	e := newEnv(t)
	img := makeACI(t, "example.com/hello", helloLabels, 400000)
	var ranges []string
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		ranges = append(ranges, r.Header.Get("Range"))
		first := len(ranges) == 1
		mu.Unlock()
		if first {
			w.Header().Set("Content-Length", strconv.Itoa(len(img.data)))
			w.Write(img.data[:len(img.data)/2])
			w.(http.Flusher).Flush()
			<-r.Context().Done()
			return
		}
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(img.data))
	}))
	t.Cleanup(srv.Close)
	f := e.fetcher(t, func(o *Options) {
		o.Client = nil
		o.Insecure = Insecure{Image: true, HTTP: true}
		o.ReadTimeout = 200 * time.Millisecond
	})
	res, err := f.Fetch(context.Background(), srv.URL+"/hello.aci")
	if err != nil {
		t.Fatalf("Fetch after a stall: %v", err)
	}
	if res[0].ID != img.id {
		t.Errorf("Fetch ID = %s, want %s", res[0].ID, img.id)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(ranges) != 2 || !strings.HasPrefix(ranges[1], "bytes=") || ranges[1] == "bytes=0-" {
		t.Errorf("requests' Range headers %q, want a second request resuming past the stall", ranges)
	}
}

// Discovery inside a fetch by name gets the fetch's idle timeout.
func TestFetchByNameStalledDiscovery(t *testing.T) {
	e := newEnv(t)
	done := make(chan struct{})
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("ac-discovery") != "1" {
			http.NotFound(w, r) // no simple discovery either
			return
		}
		io.WriteString(w, "<html><head>\n")
		w.(http.Flusher).Flush()
		select {
		case <-done:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(done); srv.Close() })
	tr := srv.Client().Transport.(*http.Transport).Clone()
	tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, srv.Listener.Addr().String())
	}
	f := e.fetcher(t, func(o *Options) {
		o.Client = &http.Client{Transport: tr}
		o.ReadTimeout = 200 * time.Millisecond
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	_, err := f.Fetch(ctx, "example.com/hello:1.0")
	if err == nil || ctx.Err() != nil || time.Since(start) > 15*time.Second {
		t.Fatalf("Fetch by name from a stalling discovery server = %v after %v, want an error on the idle timeout", err, time.Since(start))
	}
	if !strings.Contains(err.Error(), "no data received for 200ms") || !strings.Contains(err.Error(), "?ac-discovery=1") {
		t.Errorf("Fetch error = %q, want the discovery URL and the idle time", err)
	}
	e.assertEmpty(t)
}
