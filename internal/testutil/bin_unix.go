//go:build unix

package testutil

import (
	"os"
	"syscall"
)

// holdLock takes an exclusive flock on path for the rest of the process:
// the descriptor is never closed, and the kernel drops the lock at exit.
func holdLock(path string) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return err
	}
	heldLocks = append(heldLocks, f) // keep f reachable: a finalizer would close it
	return nil
}

var heldLocks []*os.File

// ownerGone reports whether the lock at path is free, that is the process
// that held it has exited.
func ownerGone(path string) bool {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return false
	}
	defer f.Close()
	return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil
}
