package main

import (
	"github.com/acikit/acikit/internal/testutil"
	"path/filepath"
	"strings"
	"testing"

	ucli "github.com/urfave/cli/v2"

	"github.com/acikit/acikit/internal/cli/clitest"
)

// Every flag reaches the command it is given to, wherever it is given.
func TestFlagPlacement(t *testing.T) {
	clitest.Flags(t, func() *ucli.App { return newApp(&runner{exitCode: -1}) })
}

// An operand named h or help is an operand, not a help request.
func TestHelpOperands(t *testing.T) {
	clitest.Operands(t, func() *ucli.App { return newApp(&runner{exitCode: -1}) })
}

// --version is the version command.
func TestVersionFlag(t *testing.T) {
	clitest.Version(t, func() *ucli.App { return newApp(&runner{exitCode: -1}) })
}

// withRun leaves the tool's own flags and commands alone and makes
// anything else (an image, also one named h) run's.
func TestWithRunOwnWords(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"acrun --version", "acrun --version"},
		{"acrun --help", "acrun --help"},
		{"acrun help", "acrun help"},
		{"acrun h", "acrun run h"},
		{"acrun --debug list", "acrun --debug list"},
		{"acrun --debug img.aci", "acrun --debug run img.aci"},
		{"acrun -- help", "acrun run -- help"},
	} {
		if got := strings.Join(withRun(strings.Fields(tt.in)), " "); got != tt.want {
			t.Errorf("withRun(%s) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

// A missing image file exits 5 (not found), as in every tool.
func TestMissingInput(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.aci")
	r := testutil.Run(t, nil, acrunBin(t), "--pod-dir", filepath.Join(dir, "pods"), "--store-dir", filepath.Join(dir, "store"), missing)
	if r.Code != 5 || !strings.Contains(r.Stderr, missing) {
		t.Errorf("acrun %s: exit %d, stderr %q; want 5 naming the file", missing, r.Code, r.Stderr)
	}
}
