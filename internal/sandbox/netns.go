//go:build linux

package sandbox

import (
	"fmt"
	"os"
	"runtime"

	"golang.org/x/sys/unix"
)

// NewNetNS creates a network namespace with only lo (up), runs inside (if
// not nil) on a thread switched into it, so sockets inside opens belong to
// it, and returns the namespace as an open file. PodSpec.NetNS can name it
// as /proc/self/fd/N. Unlike a namespace bind-mounted on a file, it needs
// no cleanup: it ends when the file is closed and no process is in it, so
// a crash leaves nothing behind. A thread that cannot return to the
// caller's namespace ends with its goroutine.
func NewNetNS(inside func() error) (*os.File, error) {
	var f *os.File
	var err error
	onThread(func() (clean bool) {
		f, clean, err = newNetNS(inside)
		return clean
	})
	return f, err
}

func newNetNS(inside func() error) (f *os.File, clean bool, err error) {
	orig, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		return nil, true, fmt.Errorf("new network namespace: %w", err)
	}
	defer orig.Close()
	if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
		return nil, true, fmt.Errorf("new network namespace: %w", err)
	}
	defer func() {
		if serr := unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET); serr != nil {
			clean = false
			if f != nil {
				f.Close()
				f = nil
			}
			err = fmt.Errorf("return to own network namespace: %w", serr)
		}
	}()
	if err := loopbackUp(); err != nil {
		return nil, true, err
	}
	if inside != nil {
		if err := inside(); err != nil {
			return nil, true, err
		}
	}
	f, err = os.Open("/proc/thread-self/ns/net")
	if err != nil {
		return nil, true, fmt.Errorf("new network namespace: %w", err)
	}
	return f, true, nil
}

// onThread runs fn on a locked OS thread other than the main one and waits
// for it. fn says whether it left the thread as it found it; if not, the
// thread ends with its goroutine. The main thread cannot end: Go parks it
// for good, still in fn's namespaces, where /proc/self (the main thread's
// view) would then show them.
func onThread(fn func() (clean bool)) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread()
		if unix.Gettid() == unix.Getpid() {
			// While this goroutine holds the main thread, the inner one
			// runs elsewhere.
			onThread(fn)
			runtime.UnlockOSThread()
			return
		}
		if fn() {
			runtime.UnlockOSThread()
		}
	}()
	<-done
}

// InNetNS runs f on a thread that has joined the network namespace at path
// (a bind-mounted namespace file or /proc/PID/ns/net). Sockets f opens stay
// in that namespace after it returns.
func InNetNS(path string, f func() error) error {
	var err error
	onThread(func() bool {
		var clean bool
		clean, err = inNetNS(path, f)
		return clean
	})
	return err
}

func inNetNS(path string, f func() error) (clean bool, err error) {
	orig, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		return true, err
	}
	defer orig.Close()
	target, err := os.Open(path)
	if err != nil {
		return true, fmt.Errorf("open netns: %w", err)
	}
	defer target.Close()
	if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
		return true, fmt.Errorf("join netns %s: %w", path, err)
	}
	ferr := f()
	if err := unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET); err != nil {
		return false, fmt.Errorf("return to own netns: %w", err)
	}
	return true, ferr
}
