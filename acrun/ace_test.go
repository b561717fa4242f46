package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/acikit/acikit/internal/testutil"
)

// toolBin is another acikit tool: $ACIKIT_BIN/NAME when make built it, else
// built now.
func toolBin(t testing.TB, name string) string {
	if d := os.Getenv("ACIKIT_BIN"); d != "" {
		if _, err := os.Stat(filepath.Join(d, name)); err == nil {
			return filepath.Join(d, name)
		}
	}
	return testutil.Binary(t, name)
}

// TestACEValidator runs the reference ACE validator (github.com/appc/spec
// v0.8.11) in one pod: the main app named ace-validator-main, the
// sidekick, and an empty volume "database" at /db shared by both. Every
// stage reports OK: pre-start, main (environment, mounts, metadata
// service), sidekick (concurrency through the volume) and post-stop.
func TestACEValidator(t *testing.T) {
	e := newEnv(t)
	mainDir, sideDir := testutil.ACEValidatorLayouts(t)
	actool := toolBin(t, "actool")
	mainACI := filepath.Join(e.dir, "ace-validator-main.aci")
	sideACI := filepath.Join(e.dir, "ace-validator-sidekick.aci")
	for _, b := range [][2]string{{mainDir, mainACI}, {sideDir, sideACI}} {
		if r := testutil.Run(t, nil, actool, "build", "--overwrite", b[0], b[1]); r.Code != 0 {
			t.Fatalf("actool build %s: %d %s", b[0], r.Code, r.Stderr)
		}
	}
	r := e.run("--insecure-options=image", "--net=none", "--volume=database,kind=empty",
		mainACI, "--name=ace-validator-main", "---", sideACI, "--name=ace-validator-sidekick")
	out := r.Stdout + r.Stderr
	t.Logf("validator pod output:\n%s", out)
	for _, stage := range []string{"prestart OK", "main OK", "sidekick OK", "poststop OK"} {
		if !strings.Contains(out, stage) {
			t.Errorf("the validator did not report %q", stage)
		}
	}
	if r.Code != 0 || strings.Contains(out, "FAIL") {
		t.Errorf("ACE validator pod: exit %d\n%s", r.Code, out)
	}
}
