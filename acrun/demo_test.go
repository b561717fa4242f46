package main

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/acikit/acikit/internal/testutil"
)

// stateFiles lists what is under dir (nil when it does not exist).
func stateFiles(dir string) map[string]bool {
	out := map[string]bool{}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && p != dir {
			out[p] = true
		}
		return nil
	})
	return out
}

// testdata/demo/demo.sh (make demo) says it changes nothing in /etc or
// /var/lib: its stores, trust store and pods live in its own directory.
func TestDemoScript(t *testing.T) {
	e := newEnv(t)
	testutil.RequireCommand(t, "gcc", "gcc")
	testutil.RequireCommand(t, "python3", "python3")
	root := testutil.RepoRoot(t)
	bin := filepath.Join(e.dir, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tool := range []string{"actool", "acsign", "acfetch", "acrun"} {
		src := toolBin(t, tool)
		if tool == "acrun" {
			src = e.bin
		}
		if err := os.Symlink(src, filepath.Join(bin, tool)); err != nil {
			t.Fatal(err)
		}
	}
	const varLib = "/var/lib/acikit"
	before := stateFiles(varLib)
	cmd := exec.Command("bash", filepath.Join(root, "testdata", "demo", "demo.sh"))
	// Only what the Makefile passes: none of the test's ACIKIT_ variables.
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ACIKIT_") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, "BIN="+bin, "CNI_PATH="+cniDir(t), "DEMO_DIR="+filepath.Join(e.dir, "demo"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("demo.sh: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "Hello AppC") {
		t.Errorf("demo.sh output lacks Hello AppC:\n%s", out)
	}
	for p := range stateFiles(varLib) {
		if !before[p] {
			t.Errorf("demo.sh made %s", p)
		}
	}
}
