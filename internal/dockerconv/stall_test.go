package dockerconv

import (
	"bytes"
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// A registry that stops sending a manifest or a blob halfway ends the
// conversion after the idle time, with one line naming that time.
func TestRegistryStall(t *testing.T) {
	for _, part := range []string{"/manifests/", "/blobs/"} {
		t.Run(strings.Trim(part, "/"), func(t *testing.T) {
			reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
			var stall atomic.Bool
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if !stall.Load() || r.Method != http.MethodGet || !strings.Contains(r.URL.Path, part) {
					reg.ServeHTTP(w, r)
					return
				}
				rec := httptest.NewRecorder()
				reg.ServeHTTP(rec, r)
				for k, v := range rec.Header() {
					w.Header()[k] = v
				}
				w.WriteHeader(rec.Code)
				w.Write(rec.Body.Bytes()[:rec.Body.Len()/2])
				w.(http.Flusher).Flush()
				<-r.Context().Done()
			}))
			t.Cleanup(srv.Close)
			host := strings.TrimPrefix(srv.URL, "http://")
			img, err := random.Image(1<<16, 2)
			if err != nil {
				t.Fatal(err)
			}
			ref, err := name.ParseReference(host+"/research/stall:1", name.Insecure)
			if err != nil {
				t.Fatal(err)
			}
			if err := remote.Write(ref, img); err != nil {
				t.Fatal(err)
			}
			stall.Store(true)
			src, err := ParseSource("docker://"+host+"/research/stall:1", "")
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			start := time.Now()
			_, err = Convert(ctx, src, &bytes.Buffer{}, Options{InsecureHTTP: true, IdleTimeout: 300 * time.Millisecond})
			if err == nil {
				t.Fatal("Convert from a stalling registry succeeded")
			}
			if d := time.Since(start); d > 20*time.Second || ctx.Err() != nil {
				t.Errorf("Convert took %v, want it to end on the idle timeout", d)
			}
			t.Logf("error: %v", err)
			if !strings.Contains(err.Error(), "no data received for 300ms") || strings.ContainsAny(err.Error(), "\r\n") {
				t.Errorf("Convert error = %q, want one line naming the idle time", err)
			}
		})
	}
}
