package main

import (
	"encoding/json"
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

// A check stricter than the spec text is a warning: two isolators of the
// same name (the spec says nothing against it, the reference accepts it)
// validate with "actool: warning: ..." on stderr and exit 0; --strict
// makes every such warning an error (exit 3), in a manifest, a layout
// and an image alike.
func TestValidateWarningsAndStrict(t *testing.T) {
	manifest := `{"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/app","app":{"exec":["/bin/hello"],"user":"0","group":"0",
"isolators":[{"name":"resource/memory","value":{"limit":"1G"}},{"name":"resource/memory","value":{"limit":"2G"}}]}}`
	dir := layout(t, manifest)
	work := t.TempDir()
	mf := filepath.Join(work, "manifest.json")
	if err := os.WriteFile(mf, []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	img := filepath.Join(work, "app.aci")
	if r := actool(t, nil, "build", dir, img); r.Code != 0 {
		t.Fatalf("build = exit %d %q", r.Code, r.Stderr)
	}
	const want = `app.isolators[1]: isolator "resource/memory" given more than once`
	for _, p := range []string{mf, dir, img} {
		r := actool(t, nil, "validate", p)
		if r.Code != 0 || !strings.HasPrefix(r.Stderr, "actool: warning: "+p+": ") || !strings.Contains(r.Stderr, want) || strings.Count(r.Stderr, "\n") != 1 {
			t.Errorf("validate %s = exit %d %q, want 0 and one line \"actool: warning: %s: ...%s...\"", p, r.Code, r.Stderr, p, want)
		}
		r = actool(t, nil, "validate", "--strict", p)
		if r.Code != 3 || !strings.HasPrefix(r.Stderr, "actool: "+p+": ") || !strings.Contains(r.Stderr, want) || !strings.Contains(r.Stderr, "--strict") {
			t.Errorf("validate --strict %s = exit %d %q, want 3 and the warning as an error naming --strict", p, r.Code, r.Stderr)
		}
	}
	r := actool(t, nil, "validate", "--json", mf)
	var reps []report
	if err := json.Unmarshal([]byte(r.Stdout), &reps); err != nil || len(reps) != 1 {
		t.Fatalf("validate --json = %q, %v", r.Stdout, err)
	}
	if !reps[0].Valid || len(reps[0].Warnings) != 1 || !strings.Contains(reps[0].Warnings[0], want) {
		t.Errorf("validate --json report = %+v, want valid with the warning", reps[0])
	}
	// A clean manifest draws no warning, with or without --strict.
	good := filepath.Join(work, "good.json")
	os.WriteFile(good, []byte(helloManifest(t)), 0o644)
	if r := actool(t, nil, "validate", "--strict", good); r.Code != 0 || r.Stderr != "" {
		t.Errorf("validate --strict good = exit %d %q, want 0 and nothing", r.Code, r.Stderr)
	}
}

// A pod manifest whose apps name their images without an ID is a
// deployable template (pods.md): valid, and reported as a template.
func TestValidatePodTemplate(t *testing.T) {
	dir := t.TempDir()
	tmpl := filepath.Join(dir, "template.json")
	os.WriteFile(tmpl, []byte(`{"acVersion":"0.8.11","acKind":"PodManifest","apps":[{"name":"web","image":{"name":"example.com/web","labels":[{"name":"version","value":"latest"}]}}]}`), 0o644)
	reified := filepath.Join(dir, "reified.json")
	os.WriteFile(reified, []byte(`{"acVersion":"0.8.11","acKind":"PodManifest","apps":[{"name":"web","image":{"id":"sha512-`+strings.Repeat("ab", 64)+`"}}]}`), 0o644)
	r := actool(t, nil, "validate", "--json", tmpl, reified)
	if r.Code != 0 || r.Stderr != "" {
		t.Fatalf("validate template reified = exit %d %q, want 0 and nothing", r.Code, r.Stderr)
	}
	var reps []report
	if err := json.Unmarshal([]byte(r.Stdout), &reps); err != nil || len(reps) != 2 {
		t.Fatalf("validate --json = %q, %v", r.Stdout, err)
	}
	if !reps[0].Valid || !reps[0].Template || !reps[1].Valid || reps[1].Template {
		t.Errorf("reports = %+v, want a valid template, then a valid non-template", reps)
	}
	if !strings.Contains(r.Stdout, `"template": true`) || strings.Count(r.Stdout, `"template"`) != 1 {
		t.Errorf("validate --json = %s, want \"template\": true for the template only", r.Stdout)
	}
}
