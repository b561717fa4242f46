package main

import (
	"path/filepath"
	"testing"

	"github.com/acikit/acikit/internal/testutil"
)

// A key URL that stalls fails trust on the idle timeout.
func TestTrustIdleTimeout(t *testing.T) {
	srv := testutil.StallServer(t)
	key := srv.URL + "/key.gpg"
	testutil.IdleTimeout(t, func(t *testing.T, flag []string) testutil.Result {
		args := append([]string{"trust", "--prefix", "example.com/app", "--skip-fingerprint-review",
			"--trust-dir", filepath.Join(t.TempDir(), "trust"), "--insecure-options", "http"}, flag...)
		return testutil.Run(t, nil, testutil.Binary(t, "acsign"), append(args, key)...)
	}, key)
}
