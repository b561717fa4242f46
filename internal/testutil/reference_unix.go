//go:build unix

package testutil

import (
	"os"
	"syscall"
)

// lockFile takes an exclusive flock on path, creating it, and returns the
// unlock function. The kernel drops the lock if the process dies, so a
// killed test run leaves no stale lock behind.
func lockFile(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
