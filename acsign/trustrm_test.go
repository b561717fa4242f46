package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/acikit/acikit/internal/testutil"
)

// trust rm names where the key was trusted, finds a key trusted only under
// a prefix, and takes gpg's key ID forms.
func TestTrustRemoveWhere(t *testing.T) {
	repo := testutil.RepoRoot(t)
	pub := filepath.Join(repo, "testdata", "keys", "tutorial.pub.asc")
	newStore := func(t *testing.T, prefixes ...string) (string, []string, string) {
		td := filepath.Join(t.TempDir(), "local")
		store := []string{"--trust-dir", td, "--system-trust-dir", ""}
		var fp string
		for _, p := range prefixes {
			where := []string{"--prefix", p}
			if p == "" {
				where = []string{"--root"}
			}
			r := acsign(t, nil, append(append(append([]string{"trust"}, store...), where...), "--skip-fingerprint-review", pub)...)
			ok(t, r, "trust "+p)
			fp, _, _ = strings.Cut(r.Stdout, "\t")
		}
		return td, store, fp
	}
	rm := func(store []string, args ...string) testutil.Result {
		return acsign(t, nil, append(append([]string{"trust", "rm"}, store...), args...)...)
	}
	gone := func(t *testing.T, path string) {
		t.Helper()
		if _, err := os.Stat(path); !os.IsNotExist(err) {
			t.Errorf("%s still there: %v", path, err)
		}
	}

	t.Run("prefix named", func(t *testing.T) {
		td, store, fp := newStore(t, "example.com/app")
		r := rm(store, "--prefix", "example.com/app", fp)
		ok(t, r, "trust rm --prefix")
		if !strings.Contains(r.Stderr, "removed key "+fp) || !strings.Contains(r.Stderr, "example.com/app") {
			t.Errorf("stderr = %q, want it to name the key and example.com/app", r.Stderr)
		}
		gone(t, filepath.Join(td, "prefix.d", "example.com", "app", fp))
	})
	t.Run("only under one prefix, no --prefix", func(t *testing.T) {
		td, store, fp := newStore(t, "example.com/app")
		r := rm(store, fp)
		ok(t, r, "trust rm without --prefix")
		if !strings.Contains(r.Stderr, "example.com/app") {
			t.Errorf("stderr = %q, want it to say the key was trusted for example.com/app", r.Stderr)
		}
		gone(t, filepath.Join(td, "prefix.d", "example.com", "app", fp))
	})
	t.Run("under two prefixes, no --prefix", func(t *testing.T) {
		td, store, fp := newStore(t, "example.com/app", "example.org")
		r := rm(store, fp)
		if r.Code != 2 || !strings.Contains(r.Stderr, "example.com/app") || !strings.Contains(r.Stderr, "example.org") || !strings.Contains(r.Stderr, "--prefix") {
			t.Errorf("exit %d, stderr %q; want 2 and both prefixes with how to remove", r.Code, r.Stderr)
		}
		for _, p := range []string{"example.com/app", "example.org"} {
			if _, err := os.Stat(filepath.Join(td, "prefix.d", filepath.FromSlash(p), fp)); err != nil {
				t.Errorf("key under %s removed although the command failed: %v", p, err)
			}
		}
	})
	t.Run("root and prefix, no --prefix", func(t *testing.T) {
		td, store, fp := newStore(t, "", "example.com/app")
		r := rm(store, fp)
		ok(t, r, "trust rm of a root key")
		if !strings.Contains(r.Stderr, "root") || !strings.Contains(r.Stderr, "still trusted") || !strings.Contains(r.Stderr, "example.com/app") {
			t.Errorf("stderr = %q, want root removed and a note it is still trusted for example.com/app", r.Stderr)
		}
		gone(t, filepath.Join(td, "root.d", fp))
		if _, err := os.Stat(filepath.Join(td, "prefix.d", "example.com", "app", fp)); err != nil {
			t.Errorf("prefix key removed with the root key: %v", err)
		}
	})
	t.Run("wrong prefix", func(t *testing.T) {
		_, store, fp := newStore(t, "example.com/app")
		r := rm(store, "--prefix", "example.org", fp)
		if r.Code != 5 || !strings.Contains(r.Stderr, "example.com/app") || !strings.Contains(r.Stderr, "--prefix") {
			t.Errorf("exit %d, stderr %q; want 5 and where the key is trusted", r.Code, r.Stderr)
		}
	})
	t.Run("key IDs", func(t *testing.T) {
		for _, id := range []func(fp string) string{
			func(fp string) string { return fp[24:] },
			func(fp string) string { return strings.ToUpper(fp[24:]) },
			func(fp string) string { return "0x" + strings.ToUpper(fp[24:]) },
			func(fp string) string { return "0x" + fp },
		} {
			td, store, fp := newStore(t, "example.com/app")
			r := rm(store, "--prefix", "example.com/app", id(fp))
			ok(t, r, "trust rm "+id(fp))
			if !strings.Contains(r.Stderr, fp) {
				t.Errorf("stderr = %q, want the full fingerprint", r.Stderr)
			}
			gone(t, filepath.Join(td, "prefix.d", "example.com", "app", fp))
		}
	})
	t.Run("bad references", func(t *testing.T) {
		_, store, fp := newStore(t, "example.com/app")
		if r := rm(store, fp[:16]); r.Code != 5 {
			t.Errorf("leading 16 hex: exit %d, want 5 (a key ID is the tail)\n%s", r.Code, r.Stderr)
		}
		if r := rm(store, fp[:8]); r.Code != 2 {
			t.Errorf("8 hex: exit %d, want 2\n%s", r.Code, r.Stderr)
		}
		if r := rm(store, "--prefix", "example.com/app", "0123456789abcdef"); r.Code != 5 || !strings.Contains(r.Stderr, "0123456789ABCDEF") {
			t.Errorf("unknown key ID: exit %d, stderr %q; want 5 naming it", r.Code, r.Stderr)
		}
	})
}
