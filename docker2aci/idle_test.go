package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/acikit/acikit/internal/testutil"
)

// A registry that stalls fails the conversion on the idle timeout.
func TestRegistryIdleTimeout(t *testing.T) {
	srv := testutil.StallServer(t)
	ref := "docker://" + strings.TrimPrefix(srv.URL, "http://") + "/research/app:1"
	testutil.IdleTimeout(t, func(t *testing.T, flag []string) testutil.Result {
		args := append([]string{"--insecure-options", "http", "-o", filepath.Join(t.TempDir(), "app.aci")}, flag...)
		return testutil.Run(t, nil, testutil.Binary(t, "docker2aci"), append(args, ref)...)
	}, strings.TrimPrefix(ref, "docker://"))
}
