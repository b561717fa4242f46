package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/acikit/acikit/internal/testutil"
)

// The store commands only look: a mistyped --store-dir (or
// $ACIKIT_STORE_DIR) is an error naming it, and no directory is made; a
// directory that is not a store is not turned into one.
func TestStoreCommandsCreateNothing(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "typo", "store")
	notStore := filepath.Join(dir, "home")
	os.Mkdir(notStore, 0o755)
	bin := testutil.Binary(t, "acfetch")
	for _, where := range []string{missing, notStore} {
		for _, args := range [][]string{
			{"list"}, {"list", "--json"}, {"rm", "example.com/x"}, {"gc"},
			{"export", "-o", filepath.Join(dir, "out.aci"), "example.com/x"},
			{"cat-manifest", "example.com/x"}, {"verify"},
		} {
			for _, how := range []string{"flag", "env"} {
				t.Run(filepath.Base(where)+"/"+how+"/"+strings.Join(args, " "), func(t *testing.T) {
					var env []string
					full := args
					if how == "flag" {
						full = append([]string{args[0], "--store-dir", where}, args[1:]...)
					} else {
						env = []string{"ACIKIT_STORE_DIR=" + where}
					}
					r := testutil.RunEnv(t, env, nil, bin, full...)
					if r.Code != 5 || !strings.Contains(r.Stderr, where) || strings.Contains(r.Stderr, "--help") {
						t.Errorf("acfetch %q: exit %d, stderr %q; want 5 naming %s", full, r.Code, r.Stderr, where)
					}
					if _, err := os.Stat(filepath.Join(dir, "typo")); !os.IsNotExist(err) {
						t.Errorf("acfetch %q made %s", full, filepath.Join(dir, "typo"))
					}
					if ents, _ := os.ReadDir(notStore); len(ents) != 0 {
						t.Errorf("acfetch %q wrote into %s: %v", full, notStore, ents)
					}
				})
			}
		}
	}
}

// With no store named, a user who never fetched sees an empty store:
// list and gc succeed, rm names the missing image, and nothing is made.
func TestDefaultStoreMissingIsEmpty(t *testing.T) {
	testutil.RequireRoot(t)
	dir := t.TempDir()
	os.Chmod(dir, 0o777)
	os.Chmod(filepath.Dir(dir), 0o755)
	bin := filepath.Join(dir, "acfetch")
	b, err := os.ReadFile(testutil.Binary(t, "acfetch"))
	if err != nil || os.WriteFile(bin, b, 0o755) != nil {
		t.Fatalf("copy acfetch: %v", err)
	}
	xdg := filepath.Join(dir, "xdg")
	for _, tt := range []struct {
		args []string
		code int
	}{
		{[]string{"list"}, 0}, {[]string{"list", "--json"}, 0}, {[]string{"gc"}, 0}, {[]string{"verify"}, 0},
		{[]string{"rm", "example.com/x"}, 5}, {[]string{"cat-manifest", "example.com/x"}, 5},
	} {
		cmd := exec.Command(bin, tt.args...)
		cmd.Dir = "/"
		cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=/nonexistent", "XDG_DATA_HOME=" + xdg}
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		var so, se bytes.Buffer
		cmd.Stdout, cmd.Stderr = &so, &se
		code := testutil.ExitCode(t, cmd.Run(), bin, tt.args...)
		if code != tt.code || strings.Contains(se.String(), "mkdir") {
			t.Errorf("acfetch %q as nobody: exit %d, stderr %q; want %d", tt.args, code, se.String(), tt.code)
		}
		if tt.args[0] == "list" && !strings.Contains(so.String(), "ID") && !strings.Contains(so.String(), "[]") {
			t.Errorf("acfetch %q as nobody printed %q, want an empty list", tt.args, so.String())
		}
		if _, err := os.Stat(xdg); !os.IsNotExist(err) {
			t.Fatalf("acfetch %q as nobody made %s", tt.args, xdg)
		}
	}
}
