package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/acikit/acikit/internal/testutil"
)

// The README's Makefile pipeline works as written: the first make builds
// and signs, a second does nothing, and editing the manifest remakes both
// the image and its signature. The Makefile is taken from README.md itself
// so the two cannot drift apart.
func TestReadmeMakefile(t *testing.T) {
	mk := testutil.RequireCommand(t, "make", "make")
	readme, err := os.ReadFile(filepath.Join(testutil.RepoRoot(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(readme), "```make\n")
	block, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatal("README.md has no make block")
	}
	dir := t.TempDir()
	// The publish target needs a server; everything else runs as written.
	os.WriteFile(filepath.Join(dir, "Makefile"), []byte(block), 0o644)
	lay := layout(t, helloManifest(t))
	if err := os.Rename(lay, filepath.Join(dir, "layout")); err != nil {
		t.Fatal(err)
	}
	binDir := t.TempDir()
	for _, tool := range []string{"actool", "acsign"} {
		if err := os.Symlink(testutil.Binary(t, tool), filepath.Join(binDir, tool)); err != nil {
			t.Fatal(err)
		}
	}
	runMake := func() string {
		t.Helper()
		cmd := exec.Command(mk, "hello.aci.asc")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "PATH="+binDir+":"+os.Getenv("PATH"))
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("make: %v\n%s", err, out)
		}
		return string(out)
	}
	out := runMake()
	for _, want := range []string{"acsign keygen", "actool build", "acsign sign"} {
		if !strings.Contains(out, want) {
			t.Errorf("first make ran %q, want it to run %s", out, want)
		}
	}
	if r := testutil.Run(t, nil, testutil.Binary(t, "acsign"), "verify", "--keyring", filepath.Join(dir, "pubkeys.gpg"),
		filepath.Join(dir, "hello.aci")); r.Code != 0 {
		t.Errorf("signature made by the pipeline does not verify: %s", r.Stderr)
	}
	if out := runMake(); strings.Contains(out, "actool build") || strings.Contains(out, "acsign sign") {
		t.Errorf("second make rebuilt: %q", out)
	}
	// Edit the manifest (a newer mtime): image and signature are remade.
	later := time.Now().Add(2 * time.Second)
	os.Chtimes(filepath.Join(dir, "layout", "manifest"), later, later)
	out = runMake()
	if !strings.Contains(out, "actool build") || !strings.Contains(out, "acsign sign") {
		t.Errorf("make after a manifest change ran %q, want build and sign", out)
	}
}
