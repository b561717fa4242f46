package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/acikit/acikit/internal/testutil"
)

// A server that stops sending mid-body makes acfetch fail on the idle
// timeout, set by --idle-timeout or ACIKIT_IDLE_TIMEOUT (the flag wins).
func TestFetchIdleTimeout(t *testing.T) {
	img := makeImage(t, "example.com/hello", 400000)
	done := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(len(img)))
		w.Write(img[:len(img)/2])
		w.(http.Flusher).Flush()
		select {
		case <-done:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(done); srv.Close() })
	for _, tc := range []struct {
		name  string
		flags []string
		env   string
	}{
		{"flag", []string{"--idle-timeout", "300ms"}, ""},
		{"env", nil, "300ms"},
		{"flag over env", []string{"--idle-timeout", "300ms"}, "1h"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			storeDir := filepath.Join(t.TempDir(), "store")
			args := append([]string{"fetch", "--store-dir", storeDir, "--insecure-options", "image,http"}, tc.flags...)
			cmd := exec.Command(testutil.Binary(t, "acfetch"), append(args, srv.URL+"/hello.aci")...)
			cmd.Env = os.Environ()
			if tc.env != "" {
				cmd.Env = append(cmd.Env, "ACIKIT_IDLE_TIMEOUT="+tc.env)
			}
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			start := time.Now()
			timer := time.AfterFunc(60*time.Second, func() { cmd.Process.Kill() })
			defer timer.Stop()
			err := cmd.Run()
			if err == nil {
				t.Fatal("acfetch fetch of a stalled image succeeded, want an error")
			}
			if d := time.Since(start); d > 30*time.Second {
				t.Errorf("acfetch fetch of a stalled image took %v, want it to end on the idle timeout", d)
			}
			msg := strings.TrimSpace(stderr.String())
			if !strings.Contains(msg, "no data received for 300ms") || !strings.Contains(msg, srv.URL+"/hello.aci") || strings.Count(msg, "\n") > 1 {
				t.Errorf("acfetch stderr = %q, want one line naming the URL and the 300ms idle time", msg)
			}
			tmp, _ := os.ReadDir(filepath.Join(storeDir, "tmp"))
			if len(tmp) != 0 {
				t.Errorf("store tmp/ holds %d files, want 0", len(tmp))
			}
		})
	}
}

// docker:// fetches get the idle timeout too, from the flag or the
// environment.
func TestFetchDockerIdleTimeout(t *testing.T) {
	srv := testutil.StallServer(t)
	ref := strings.TrimPrefix(srv.URL, "http://") + "/research/app:1"
	testutil.IdleTimeout(t, func(t *testing.T, flag []string) testutil.Result {
		args := append([]string{"fetch", "--store-dir", filepath.Join(t.TempDir(), "store"), "--insecure-options", "image,http"}, flag...)
		return testutil.Run(t, nil, testutil.Binary(t, "acfetch"), append(args, "docker://"+ref)...)
	}, ref)
}
