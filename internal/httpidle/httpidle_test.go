package httpidle

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func server(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func client(d time.Duration) *http.Client {
	return &http.Client{Transport: Wrap(http.DefaultTransport.(*http.Transport).Clone(), d)}
}

func TestStalledBody(t *testing.T) {
	srv := server(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100")
		w.Write([]byte("half"))
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	resp, err := client(200 * time.Millisecond).Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	start := time.Now()
	b, err := io.ReadAll(resp.Body)
	var ie *Error
	if !errors.As(err, &ie) || string(b) != "half" {
		t.Fatalf("ReadAll = %q, %v; want \"half\" and an idle error", b, err)
	}
	if err.Error() != "no data received for 200ms" {
		t.Errorf("error = %q", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("stall noticed after %v", d)
	}
}

func TestStalledHeaders(t *testing.T) {
	srv := server(t, func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	_, err := client(200 * time.Millisecond).Get(srv.URL + "/page")
	var ie *Error
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), srv.URL+"/page") {
		t.Fatalf("Get of a server that never answers: %v, want an idle error naming the URL", err)
	}
}

// A trickle and a slow reader both take longer than the idle time in all
// and must pass: only silence while waiting for the network counts.
func TestTrickleAndSlowReaderPass(t *testing.T) {
	srv := server(t, func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i < 6; i++ {
			w.Write([]byte("x"))
			w.(http.Flusher).Flush()
			time.Sleep(100 * time.Millisecond)
		}
	})
	c := client(300 * time.Millisecond)
	resp, err := c.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := io.ReadAll(resp.Body); err != nil || len(b) != 6 {
		t.Fatalf("trickle: %q, %v", b, err)
	}
	resp.Body.Close()
	resp, err = c.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	time.Sleep(time.Second) // the body arrives meanwhile; the reader is busy
	if b, err := io.ReadAll(resp.Body); err != nil || len(b) != 6 {
		t.Fatalf("slow reader: %q, %v", b, err)
	}
}

func TestWrapDoesNotStack(t *testing.T) {
	base := http.DefaultTransport
	w := Wrap(Wrap(base, time.Second), 2*time.Second).(*Transport)
	if w.Base != base || w.Idle != 2*time.Second {
		t.Errorf("Wrap(Wrap) = %+v, want the base once with the outer time", w)
	}
	if Wrap(base, -1) != base {
		t.Error("a negative timeout should leave the transport alone")
	}
}

// A body cut by the idle timer ends in the idle error whatever the
// transport makes of the cancelled request: a chunked HTTP/1.1 body may end
// in a plain io.EOF, which read as the end of a short page.
func TestStalledBodyNeverEOF(t *testing.T) {
	for _, h2 := range []bool{false, true} {
		srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "<html><head>\n")
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		}))
		srv.EnableHTTP2 = h2
		srv.StartTLS()
		t.Cleanup(srv.Close)
		base := srv.Client().Transport.(*http.Transport)
		c := &http.Client{Transport: Wrap(base, 20*time.Millisecond)}
		read := 0
		for i := 0; read < 40; i++ {
			resp, err := c.Get(srv.URL)
			var ie *Error
			if errors.As(err, &ie) && i < 400 {
				continue // the headers took longer than 20ms on a loaded machine
			}
			if err != nil {
				t.Fatal(err)
			}
			read++
			_, err = io.ReadAll(resp.Body)
			resp.Body.Close()
			if !errors.As(err, &ie) {
				t.Fatalf("http2 %v, try %d: ReadAll error %v, want the idle error", h2, i, err)
			}
		}
	}
}
