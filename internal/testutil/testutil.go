// Package testutil holds helpers shared by tests: the skip policy for tests
// that need root, a tool from apt or a kernel feature, golden files, and
// building the tools' binaries once per test process. Only _test.go files
// import it.
package testutil

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// RequireAllEnv names the environment variable that turns every skip for a
// missing requirement into a failure. `make test` sets it under CI, so a green
// CI run means every such test really ran.
const RequireAllEnv = "ACIKIT_REQUIRE_ALL"

// Skip skips t for the named reason, or fails it when RequireAllEnv is set.
func Skip(t testing.TB, reason string) {
	t.Helper()
	if os.Getenv(RequireAllEnv) == "1" {
		t.Fatalf("requirement missing under %s=1: %s", RequireAllEnv, reason)
	}
	t.Skip("skipped: " + reason)
}

// RequireRoot skips unless the test runs as root.
func RequireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		Skip(t, "needs root")
	}
}

// RequireLinux skips on other kernels.
func RequireLinux(t testing.TB) {
	t.Helper()
	if runtime.GOOS != "linux" {
		Skip(t, "needs linux")
	}
}

// RequireCommand returns the path of an external command, skipping when it is
// absent (with the Debian package that provides it in the reason).
func RequireCommand(t testing.TB, name, debianPackage string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		Skip(t, fmt.Sprintf("needs %s (apt-get install %s)", name, debianPackage))
	}
	return p
}

// RepoRoot returns the repository's top directory (the one holding go.work).
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.work not found above the test's directory")
		}
		dir = parent
	}
}

var update = flag.Bool("update", false, "rewrite golden files with the current output")

// Updating reports whether the test runs with -update, for generated files
// that Golden does not cover (a section of a larger file).
func Updating() bool { return *update }

// Golden compares got with testdata file path (relative to the test's
// package), rewriting it when the test runs with -update.
func Golden(t testing.TB, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run with -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (run with -update to accept):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

var (
	buildMu  sync.Mutex
	buildDir string
	built    = map[string]string{}
)

// Binary builds the named tool (actool, acsign, acfetch, acrun, docker2aci)
// once per test process and returns the path of the executable.
func Binary(t testing.TB, tool string) string {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	if p, ok := built[tool]; ok {
		return p
	}
	if buildDir == "" {
		removeStaleBinDirs()
		d, err := os.MkdirTemp("", binDirPrefix)
		if err != nil {
			t.Fatal(err)
		}
		// The directory lives as long as this process (later tests reuse the
		// binaries); the lock tells the next test process when it may go.
		if err := holdLock(filepath.Join(d, binDirLock)); err != nil {
			t.Fatal(err)
		}
		buildDir = d
	}
	root := RepoRoot(t)
	out := filepath.Join(buildDir, tool)
	cmd := exec.Command("go", "build", "-trimpath", "-o", out, ".")
	cmd.Dir = filepath.Join(root, tool)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s", tool, err, b)
	}
	built[tool] = out
	return out
}

const (
	binDirPrefix = "acikit-bin-"
	binDirLock   = ".lock"
)

// removeStaleBinDirs removes the binary directories of test processes that
// have exited: their lock is free. Directories without a lock, from older
// helpers, go when they are a day old.
func removeStaleBinDirs() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), binDirPrefix+"*"))
	for _, d := range dirs {
		lock := filepath.Join(d, binDirLock)
		if st, err := os.Stat(lock); err == nil {
			// A lock younger than a minute may be one its owner is still
			// about to take.
			if time.Since(st.ModTime()) > time.Minute && ownerGone(lock) {
				os.RemoveAll(d)
			}
			continue
		}
		if st, err := os.Stat(d); err == nil && st.IsDir() && time.Since(st.ModTime()) > 24*time.Hour {
			os.RemoveAll(d)
		}
	}
}

// Result is what a finished command left behind.
type Result struct {
	Stdout, Stderr string
	Code           int
}

// Run runs a binary with args and optional stdin, without a shell.
func Run(t testing.TB, stdin []byte, bin string, args ...string) Result {
	t.Helper()
	return RunEnv(t, nil, stdin, bin, args...)
}

// ExitCode is the exit status that err, from running bin with args, says:
// 0 for nil; a failure to start fails the test.
func ExitCode(t testing.TB, err error, bin string, args ...string) int {
	t.Helper()
	if err == nil {
		return 0
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("run %s %s: %v", bin, strings.Join(args, " "), err)
	}
	return ee.ExitCode()
}

// RunEnv is Run with env (NAME=VALUE) added to the test's environment.
func RunEnv(t testing.TB, env []string, stdin []byte, bin string, args ...string) Result {
	t.Helper()
	cmd := exec.Command(bin, args...)
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	err := cmd.Run()
	code := ExitCode(t, err, bin, args...)
	return Result{Stdout: so.String(), Stderr: se.String(), Code: code}
}
