package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/acikit/acikit/internal/testutil"
)

// The fingerprint review on a terminal: script(1) gives acsign a pty and
// types the answers.
func TestTrustReviewOnTerminal(t *testing.T) {
	script := testutil.RequireCommand(t, "script", "bsdutils")
	bin := testutil.Binary(t, "acsign")
	repo := testutil.RepoRoot(t)
	key := filepath.Join(repo, "testdata", "keys", "tutorial.pub.asc")
	tests := []struct {
		name, answers string
		wantCode      int
		wantOut       []string
		trusted       bool
	}{
		{"yes", "yes\n", 0, []string{"GPG key fingerprint is: ", "\tSubkey fingerprint: ", "Carly Container (ACI signing key) <carly@example.com>", "Expires: never", "after fingerprint review"}, true},
		{"no", "no\n", 4, []string{"declined at review"}, false},
		{"retry", "sure\nyes\n", 0, []string{"Please enter 'yes' or 'no'"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			td := t.TempDir()
			cmd := exec.Command(script, "-qec", strings.Join([]string{bin, "trust", "--trust-dir", td, "--system-trust-dir", "''",
				"--prefix", "example.com/app", key}, " "), "/dev/null")
			cmd.Stdin = strings.NewReader(tt.answers)
			out, err := cmd.CombinedOutput()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tt.wantCode {
				t.Errorf("trust with answers %q: exit %d, want %d\n%s", tt.answers, code, tt.wantCode, out)
			}
			for _, w := range tt.wantOut {
				if !strings.Contains(string(out), w) {
					t.Errorf("trust output lacks %q:\n%s", w, out)
				}
			}
			files, _ := filepath.Glob(filepath.Join(td, "prefix.d", "example.com", "app", "*"))
			if got := len(files) == 1; got != tt.trusted {
				t.Errorf("key files after review = %v, want trusted %v", files, tt.trusted)
			}
		})
	}
}

// acsign must not link the runtime, the store or the docker converter
// (style: dependency fences), nor test helpers.
func TestDependencyFence(t *testing.T) {
	testutil.ForbidDeps(t, ".", append(testutil.ToolForbidden, "acikit/internal/testutil")...)
}
