//go:build !unix

package testutil

// lockFile does not lock where flock is missing: Reference still publishes
// each binary with a rename, so a race only costs a second build.
func lockFile(path string) (unlock func(), err error) {
	return func() {}, nil
}
