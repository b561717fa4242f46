// Package httpidle bounds how long an HTTP exchange may go without data: a
// transport wrapper starts a timer when a request is sent, restarts it on
// every byte of the response body, and cancels the request when it runs
// out. Every network read of the tools (discovery pages, keys, signatures,
// images, registry blobs) goes through it, so a server that stops sending
// ends in one error naming the idle time instead of a hang.
package httpidle

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// DefaultTimeout is the idle time allowed when none is configured.
const DefaultTimeout = 30 * time.Second

// Env is the environment variable the tools read the idle timeout from
// (their --idle-timeout flag wins over it).
const Env = "ACIKIT_IDLE_TIMEOUT"

// Error is the error of a request or body read cut by the idle timer.
type Error struct{ Idle time.Duration }

func (e *Error) Error() string { return fmt.Sprintf("no data received for %v", e.Idle) }

// Timeout marks the error as a timeout for net.Error-style checks.
func (e *Error) Timeout() bool { return true }

// Transport is an http.RoundTripper that enforces the idle timeout on Base.
type Transport struct {
	Base http.RoundTripper
	Idle time.Duration
}

// Wrap returns rt (http.DefaultTransport when nil) with the idle timeout d
// (DefaultTimeout when 0; none when negative). An rt that is already a
// *Transport is unwrapped first, so timers never stack.
func Wrap(rt http.RoundTripper, d time.Duration) http.RoundTripper {
	rt = Unwrap(rt)
	if d == 0 {
		d = DefaultTimeout
	}
	if d < 0 {
		return rt
	}
	return &Transport{Base: rt, Idle: d}
}

// Unwrap returns the transport under a *Transport (http.DefaultTransport
// for nil), or rt itself.
func Unwrap(rt http.RoundTripper) http.RoundTripper {
	if t, ok := rt.(*Transport); ok {
		rt = t.Base
	}
	if rt == nil {
		rt = http.DefaultTransport
	}
	return rt
}

// RoundTrip sends req with the timer running from the start, so a server
// that accepts the connection but never answers is cut too.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithCancel(req.Context())
	w := &watch{cancel: cancel, idle: t.Idle}
	w.kick()
	resp, err := t.Base.RoundTrip(req.WithContext(ctx))
	if err != nil {
		w.stop()
		cancel()
		if w.hasFired() {
			return nil, &Error{Idle: t.Idle}
		}
		return nil, err
	}
	w.pause()
	resp.Body = &body{rc: resp.Body, w: w}
	return resp, nil
}

// CloseIdleConnections passes http.Client's call on to Base.
func (t *Transport) CloseIdleConnections() {
	if c, ok := t.Base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

type watch struct {
	cancel context.CancelFunc
	idle   time.Duration
	mu     sync.Mutex
	timer  *time.Timer
	fired  bool
	done   bool
}

// kick (re)starts the timer.
func (w *watch) kick() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done || w.fired {
		return
	}
	if w.timer == nil {
		w.timer = time.AfterFunc(w.idle, func() {
			w.mu.Lock()
			fire := !w.done
			w.fired = fire
			w.mu.Unlock()
			if fire {
				w.cancel()
			}
		})
		return
	}
	w.timer.Reset(w.idle)
}

// pause stops the timer while the reader is not waiting on the network, so
// a slow consumer is not taken for a silent server.
func (w *watch) pause() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.timer != nil {
		w.timer.Stop()
	}
}

func (w *watch) stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.done = true
	if w.timer != nil {
		w.timer.Stop()
	}
}

func (w *watch) hasFired() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.fired
}

type body struct {
	rc io.ReadCloser
	w  *watch
}

func (b *body) Read(p []byte) (int, error) {
	b.w.kick()
	n, err := b.rc.Read(p)
	b.w.pause()
	// Once the timer fired, any end is the idle cut: a cancelled HTTP/1.1
	// chunked body can end in a plain io.EOF, which would pass a stalled
	// page off as a short one.
	if err != nil && b.w.hasFired() {
		err = &Error{Idle: b.w.idle}
	}
	return n, err
}

func (b *body) Close() error {
	b.w.stop()
	err := b.rc.Close()
	b.w.cancel()
	return err
}
