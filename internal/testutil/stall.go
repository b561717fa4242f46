package testutil

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

// StallServer answers every request on 127.0.0.1 with 200, a Content-Length
// of 1 MiB and a few bytes of body, then sends nothing more until the
// client gives up: the server a network read must not wait on forever.
func StallServer(t testing.TB) *httptest.Server {
	t.Helper()
	done := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1048576")
		w.Write([]byte("<html>"))
		w.(http.Flusher).Flush()
		select {
		case <-done:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(done); srv.Close() })
	return srv
}

// IdleTimeout checks a tool's --idle-timeout and $ACIKIT_IDLE_TIMEOUT
// against a stalling server: given as a flag, in the environment, and both
// (the flag wins), run (which gets the flag arguments to add, nil for none)
// must fail within seconds with one line on stderr holding each of want
// and the 300ms idle time.
func IdleTimeout(t *testing.T, run func(t *testing.T, flag []string) Result, want ...string) {
	idleTimeout(t, true, run, want)
}

// IdleTimeoutReported is IdleTimeout for a command that reports failed
// requests on stderr and goes on (actool discover): it checks only that
// the stall is reported, naming want and the idle time, within seconds.
func IdleTimeoutReported(t *testing.T, run func(t *testing.T, flag []string) Result, want ...string) {
	idleTimeout(t, false, run, want)
}

func idleTimeout(t *testing.T, fails bool, run func(t *testing.T, flag []string) Result, want []string) {
	for _, tc := range []struct {
		name string
		flag []string
		env  string
	}{
		{"flag", []string{"--idle-timeout", "300ms"}, ""},
		{"env", nil, "300ms"},
		{"flag over env", []string{"--idle-timeout=300ms"}, "1h"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("ACIKIT_IDLE_TIMEOUT", tc.env)
			start := time.Now()
			r := run(t, tc.flag)
			if d := time.Since(start); d > 20*time.Second {
				t.Errorf("took %v, want the 300ms idle timeout to end it", d)
			}
			msg := strings.TrimSpace(r.Stderr)
			if fails && (r.Code == 0 || strings.Count(msg, "\n") > 1) {
				t.Errorf("exit %d, stderr %q; want a failure on one line (a hint may follow)", r.Code, msg)
			}
			for _, w := range append(want, "no data received for 300ms") {
				if !strings.Contains(msg, w) {
					t.Errorf("stderr %q does not name %q", msg, w)
				}
			}
		})
	}
}

// ServeSlowly writes data with its Content-Length in chunks of chunk
// bytes, flushing each and pausing between them, so a client's transfer
// takes a while (to kill it midway, or to see its progress); it stops
// when the client goes.
func ServeSlowly(w http.ResponseWriter, data []byte, chunk int, pause time.Duration) {
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	for len(data) > 0 {
		n := min(len(data), chunk)
		if _, err := w.Write(data[:n]); err != nil {
			return
		}
		w.(http.Flusher).Flush()
		data = data[n:]
		time.Sleep(pause)
	}
}
