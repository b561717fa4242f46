package main

import (
	"path/filepath"
	"testing"

	"github.com/acikit/acikit/internal/testutil"
)

// An image URL that stalls fails run on the idle timeout, before any pod.
func TestRunIdleTimeout(t *testing.T) {
	srv := testutil.StallServer(t)
	img := srv.URL + "/app.aci"
	testutil.IdleTimeout(t, func(t *testing.T, flag []string) testutil.Result {
		dir := t.TempDir()
		args := append([]string{"--insecure-options", "image,http", "--store-dir", filepath.Join(dir, "store"),
			"--pod-dir", filepath.Join(dir, "pods")}, flag...)
		return testutil.Run(t, nil, acrunBin(t), append(args, img)...)
	}, img)
}
