//go:build linux

package sandbox

import (
	"os"
	"path/filepath"
	"testing"
)

// A group named like the user that /etc/group lacks is the user's primary
// group (Docker's USER semantics, kept by converted images); any other
// unknown group is still an error.
func TestResolveIdentityPrimaryGroup(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "etc"), 0o755)
	os.WriteFile(filepath.Join(root, "etc/passwd"), []byte("root:x:0:0::/:/bin/sh\napp:x:1000:1500::/:/bin/sh\n"), 0o644)
	id, err := ResolveIdentity(root, "app", "app", nil)
	if err != nil || id.UID != 1000 || id.GID != 1500 {
		t.Errorf("ResolveIdentity(app, app) = %+v, %v; want uid 1000 gid 1500", id, err)
	}
	if _, err := ResolveIdentity(root, "app", "staff", nil); err == nil {
		t.Errorf("ResolveIdentity(app, staff) without /etc/group = nil error, want one")
	}
	os.WriteFile(filepath.Join(root, "etc/group"), []byte("app:x:2000:\n"), 0o644)
	if id, err := ResolveIdentity(root, "app", "app", nil); err != nil || id.GID != 2000 {
		t.Errorf("ResolveIdentity(app, app) with group app in /etc/group = %+v, %v; want gid 2000", id, err)
	}
}
