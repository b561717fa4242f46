package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// An app without exec is valid (aci.md: "exec (list of strings,
// optional)"), whether exec is absent or an empty list: build, validate
// and patch-manifest all take such an image.
func TestImageWithoutExec(t *testing.T) {
	for name, app := range map[string]string{
		"absent": `{"user":"0","group":"0"}`,
		"empty":  `{"exec":[],"user":"0","group":"0"}`,
	} {
		t.Run(name, func(t *testing.T) {
			manifest := `{"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/base","app":` + app + `}`
			dir := layout(t, manifest)
			work := t.TempDir()
			img := filepath.Join(work, "base.aci")
			mf := filepath.Join(work, "manifest.json")
			if err := os.WriteFile(mf, []byte(manifest), 0o644); err != nil {
				t.Fatal(err)
			}
			if r := actool(t, nil, "build", dir, img); r.Code != 0 {
				t.Fatalf("build = exit %d %q, want 0", r.Code, r.Stderr)
			}
			for _, p := range []string{img, dir, mf} {
				if r := actool(t, nil, "validate", p); r.Code != 0 || r.Stderr != "" {
					t.Errorf("validate %s = exit %d %q, want 0 and no message", filepath.Base(p), r.Code, r.Stderr)
				}
			}
			out := filepath.Join(work, "patched.aci")
			if r := actool(t, nil, "patch-manifest", "--user", "1000", img, out); r.Code != 0 {
				t.Fatalf("patch-manifest --user = exit %d %q, want 0", r.Code, r.Stderr)
			}
			m := actool(t, nil, "cat-manifest", out).Stdout
			if !strings.Contains(m, `"app":{"user":"1000","group":"0"}`) {
				t.Errorf("patched manifest %s, want an app with user 1000 and no exec", m)
			}
			if r := actool(t, nil, "validate", out); r.Code != 0 {
				t.Errorf("validate patched = exit %d %q, want 0", r.Code, r.Stderr)
			}
		})
	}
}
