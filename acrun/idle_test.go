package main

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/acikit/acikit/internal/errkind"
	"github.com/acikit/acikit/internal/httpidle"
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

// --idle-timeout is a pod flag: the flag wins over $ACIKIT_IDLE_TIMEOUT,
// which wins over the default; a bad value either way is a usage error.
func TestParseIdleTimeout(t *testing.T) {
	for _, tc := range []struct {
		env  string
		args []string
		want time.Duration
		err  bool
	}{
		{"", []string{"a.aci"}, httpidle.DefaultTimeout, false},
		{"2s", []string{"a.aci"}, 2 * time.Second, false},
		{"2s", []string{"--idle-timeout=5s", "a.aci"}, 5 * time.Second, false},
		{"soon", []string{"a.aci"}, 0, true},
		{"soon", []string{"--idle-timeout=5s", "a.aci"}, 5 * time.Second, false},
		{"", []string{"--idle-timeout=soon", "a.aci"}, 0, true},
	} {
		t.Setenv(httpidle.Env, tc.env)
		po, _, err := parseRun(tc.args)
		if tc.err {
			if !errors.Is(err, errkind.Usage) {
				t.Errorf("env %q, parseRun(%q) error = %v, want a usage error", tc.env, tc.args, err)
			}
			continue
		}
		if err != nil || po.idleTimeout != tc.want {
			t.Errorf("env %q, parseRun(%q) idle timeout = %v (%v), want %v", tc.env, tc.args, po.idleTimeout, err, tc.want)
		}
	}
}
