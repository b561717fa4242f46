//go:build !unix

package testutil

func holdLock(path string) error { return nil }

// ownerGone cannot tell without flock: keep every directory.
func ownerGone(path string) bool { return false }
