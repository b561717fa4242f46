package main

import (
	"github.com/acikit/acikit/internal/pod"
	"github.com/acikit/acikit/internal/testutil"
	"path/filepath"
	"slices"
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
		{"acrun --pod-dir /p list", "acrun list --pod-dir /p"},
		{"acrun --debug --pod-dir=/p status u", "acrun --debug status --pod-dir=/p u"},
		{"acrun --net=host list", "acrun list --net=host"},
		{"acrun --net=host -- list", "acrun run --net=host -- list"},
		{"acrun --net=host run img", "acrun run --net=host img"},
		{"acrun --net=host img list", "acrun run --net=host img list"},
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

// status, rm, enter and cat-manifest complete pod UUIDs (what list shows);
// run completes the pod flags before an image and the app flags after it.
func TestBashCompletion(t *testing.T) {
	dir := t.TempDir()
	pods, err := pod.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	uuid := pod.NewUUID()
	if _, err := pods.Create(uuid); err != nil {
		t.Fatal(err)
	}
	t.Setenv("ACIKIT_POD_DIR", dir)
	bin := acrunBin(t)
	complete := func(line string) []string { return testutil.Complete(t, "acrun", bin, line) }
	for _, cmd := range []string{"status", "rm", "enter", "cat-manifest"} {
		if got := complete("acrun " + cmd + " "); !slices.Equal(got, []string{uuid}) {
			t.Errorf("completion of acrun %s = %q, want %s", cmd, got, uuid)
		}
		if got := complete("acrun " + cmd + " " + uuid[:4]); !slices.Equal(got, []string{uuid}) {
			t.Errorf("completion of acrun %s %s = %q, want %s", cmd, uuid[:4], got, uuid)
		}
	}
	if got := complete("acrun status --"); !slices.Contains(got, "--pod-dir") {
		t.Errorf("completion of acrun status -- = %q, want --pod-dir", got)
	}
	for _, tt := range []struct {
		line      string
		has, hasn string
	}{
		{"acrun -", "--net", "--exec"},
		{"acrun --", "--net", "--exec"},
		{"acrun --net=host -", "--net", "--exec"},
		{"acrun img.aci -", "--exec", "--net"},
		{"acrun img.aci --", "--exec", "--net"},
		{"acrun --net none img.aci --ex", "--exec", "--net"},
		{"acrun run img.aci --", "--exec", "--net"},
	} {
		got := complete(tt.line)
		if !slices.Contains(got, tt.has) || slices.Contains(got, tt.hasn) {
			t.Errorf("completion of %q = %q, want %s and not %s", tt.line, got, tt.has, tt.hasn)
		}
	}
}
