package testutil

// The reference oracle: the actool and ACE validator of github.com/appc/spec
// v0.8.11, built from the test-only module in testdata/oracle so differential
// tests can compare the reference's verdicts with ours. Nothing here is
// linked into a tool; see testdata/oracle/README.md.

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// CacheEnv names the environment variable that moves the per-machine cache
// of built reference binaries (default: <repo>/.cache). The oracle binaries go
// to its oracle/ subdirectory.
const CacheEnv = "ACIKIT_CACHE"

// ReferenceModule is the reference implementation the oracle builds.
const ReferenceModule = "github.com/appc/spec@v0.8.11"

// referenceMains maps the names Reference accepts to their main packages.
var referenceMains = map[string]string{
	"actool": "github.com/appc/spec/actool",
	"ace":    "github.com/appc/spec/ace",
}

var (
	refMu     sync.Mutex
	refBuilt  = map[string]string{}
	refModDir string
)

// Reference returns the path of the reference binary name ("actool" or
// "ace"), building it once per machine into the oracle cache. A file lock
// keeps parallel test processes from building it twice. When the module
// proxy cannot be reached and the module cache lacks the reference, the test
// is skipped (failed under ACIKIT_REQUIRE_ALL=1) with the reason.
func Reference(t testing.TB, name string) string {
	t.Helper()
	pkg, ok := referenceMains[name]
	if !ok {
		t.Fatalf("Reference(%q): unknown reference binary, want actool or ace", name)
	}
	refMu.Lock()
	defer refMu.Unlock()
	if p, ok := refBuilt[name]; ok {
		return p
	}
	oracle := filepath.Join(RepoRoot(t), "testdata", "oracle")
	dir := referenceCacheDir(t, oracle)
	bin := filepath.Join(dir, name)
	if isExecutable(bin) {
		refBuilt[name] = bin
		return bin
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("create oracle cache: %v", err)
	}
	unlock, err := lockFile(dir + ".lock")
	if err != nil {
		t.Fatalf("lock oracle cache: %v", err)
	}
	defer unlock()
	// Another process may have built it while we waited for the lock.
	if isExecutable(bin) {
		refBuilt[name] = bin
		return bin
	}
	referenceDownload(t, oracle)
	tmp := fmt.Sprintf("%s.tmp-%d", bin, os.Getpid())
	defer os.Remove(tmp)
	start := time.Now()
	if out, err := oracleGo(oracle, "build", "-trimpath", "-o", tmp, pkg); err != nil {
		t.Fatalf("build reference %s (%s): %v\n%s", name, pkg, err, out)
	}
	// The rename publishes a complete binary; readers never lock.
	if err := os.Rename(tmp, bin); err != nil {
		t.Fatalf("install reference %s: %v", name, err)
	}
	t.Logf("built reference %s into %s in %v", name, bin, time.Since(start).Round(time.Millisecond))
	refBuilt[name] = bin
	return bin
}

// ReferenceVerdict is what the reference `actool validate` said about one
// input.
type ReferenceVerdict struct {
	Valid    bool   // exit 0 (an "old version" warning still counts as valid)
	Panicked bool   // the reference crashed (Go panic, exit 2) instead of judging
	Message  string // its stderr, trimmed
}

func (v ReferenceVerdict) String() string {
	switch {
	case v.Panicked:
		return "panic: " + firstLine([]byte(strings.TrimPrefix(v.Message, "panic: ")))
	case v.Valid:
		return "valid"
	}
	return "invalid: " + v.Message
}

// ReferenceValidate runs the reference `actool validate --type=typ path`
// (typ "" lets the reference detect the type: layout, appimage or manifest)
// and returns its verdict.
func ReferenceValidate(t testing.TB, typ, path string) ReferenceVerdict {
	t.Helper()
	args := []string{"validate"}
	if typ != "" {
		args = append(args, "--type="+typ)
	}
	r := Run(t, nil, Reference(t, "actool"), append(args, path)...)
	v := ReferenceVerdict{Message: strings.TrimSpace(r.Stderr)}
	switch {
	case r.Code == 0:
		v.Valid = true
	case r.Code == 2 && strings.Contains(r.Stderr, "panic: "):
		v.Panicked = true
		v.Message = v.Message[strings.Index(v.Message, "panic: "):]
	case r.Code == 1:
	default:
		t.Fatalf("reference actool %s %s: exit %d, want 0, 1 or a panic (stderr %q)", strings.Join(args, " "), path, r.Code, r.Stderr)
	}
	return v
}

// ReferenceACEManifests returns the paths of the reference ACE validator's
// image manifest templates (ace/image_manifest_{main,sidekick}.json.in in the
// module cache), whose @ACI_OS@ and @ACI_ARCH@ placeholders are still to be
// filled in. The files are read-only.
func ReferenceACEManifests(t testing.TB) (mainTmpl, sidekickTmpl string) {
	t.Helper()
	refMu.Lock()
	defer refMu.Unlock()
	if refModDir == "" {
		oracle := filepath.Join(RepoRoot(t), "testdata", "oracle")
		refModDir = referenceDownload(t, oracle)
	}
	mainTmpl = filepath.Join(refModDir, "ace", "image_manifest_main.json.in")
	sidekickTmpl = filepath.Join(refModDir, "ace", "image_manifest_sidekick.json.in")
	for _, p := range []string{mainTmpl, sidekickTmpl} {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("reference ACE manifest template: %v", err)
		}
	}
	return mainTmpl, sidekickTmpl
}

// ACEValidatorLayouts builds the image layouts of the reference ACE
// validator, coreos.com/ace-validator-main and
// coreos.com/ace-validator-sidekick, the way the reference's build script
// does: the manifest from the template with this machine's os and arch
// (appc names), the static validator at /ace-validator, an empty
// /opt/acvalidator (the main app's working directory), and every mtime set to
// the epoch so the images built from them are reproducible. The directories
// are under t.TempDir().
func ACEValidatorLayouts(t testing.TB) (mainDir, sidekickDir string) {
	t.Helper()
	ace := Reference(t, "ace")
	mainTmpl, sidekickTmpl := ReferenceACEManifests(t)
	root := t.TempDir()
	mainDir = filepath.Join(root, "ace-validator-main")
	sidekickDir = filepath.Join(root, "ace-validator-sidekick")
	arch := AppcArch(runtime.GOOS, runtime.GOARCH)
	for _, l := range []struct{ dir, tmpl string }{{mainDir, mainTmpl}, {sidekickDir, sidekickTmpl}} {
		tmpl, err := os.ReadFile(l.tmpl)
		if err != nil {
			t.Fatal(err)
		}
		m := strings.NewReplacer("@ACI_OS@", runtime.GOOS, "@ACI_ARCH@", arch).Replace(string(tmpl))
		if i := strings.Index(m, "@ACI_"); i >= 0 {
			t.Fatalf("template %s: placeholder left after substitution: %.20q", l.tmpl, m[i:])
		}
		rootfs := filepath.Join(l.dir, "rootfs")
		if err := os.MkdirAll(filepath.Join(rootfs, "opt", "acvalidator"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(l.dir, "manifest"), []byte(m), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := copyFile(ace, filepath.Join(rootfs, "ace-validator"), 0o755); err != nil {
			t.Fatal(err)
		}
		// Children first, so setting a file's time does not touch its
		// directory's again.
		for _, p := range []string{"opt/acvalidator", "opt", "ace-validator", "."} {
			if err := os.Chtimes(filepath.Join(rootfs, p), time.Unix(0, 0), time.Unix(0, 0)); err != nil {
				t.Fatal(err)
			}
		}
	}
	return mainDir, sidekickDir
}

// AppcArch maps a Go GOOS/GOARCH pair to the AppC arch label value (the
// names the spec's os/arch table allows).
func AppcArch(goos, goarch string) string {
	switch {
	case goarch == "386":
		return "i386"
	case goarch == "arm64":
		return "aarch64"
	case goarch == "arm" && goos == "linux":
		return "armv7l"
	case goarch == "amd64" && goos == "darwin":
		return "x86_64"
	}
	return goarch
}

// referenceCacheDir is the cache directory for this oracle go.sum and
// platform: changing the pinned versions changes the key.
func referenceCacheDir(t testing.TB, oracle string) string {
	t.Helper()
	sum, err := os.ReadFile(filepath.Join(oracle, "go.sum"))
	if err != nil {
		t.Fatalf("read oracle go.sum: %v", err)
	}
	h := sha256.Sum256(sum)
	key := fmt.Sprintf("%s-%s-%s", hex.EncodeToString(h[:8]), runtime.GOOS, runtime.GOARCH)
	base := os.Getenv(CacheEnv)
	if base == "" {
		base = filepath.Join(RepoRoot(t), ".cache")
	}
	return filepath.Join(base, "oracle", key)
}

// referenceDownload makes sure the module cache holds the reference and its
// dependencies, skipping the test when they cannot be fetched, and returns
// the reference module's directory.
func referenceDownload(t testing.TB, oracle string) string {
	t.Helper()
	// Everything go.mod needs, so that the build after this is offline.
	if out, err := oracleGo(oracle, "mod", "download"); err != nil {
		Skip(t, fmt.Sprintf("reference oracle %s not in the module cache and the Go module proxy is unreachable: %v: %s",
			ReferenceModule, err, firstLine(out)))
	}
	out, err := oracleGo(oracle, "mod", "download", "-json", "github.com/appc/spec")
	if err != nil {
		Skip(t, fmt.Sprintf("reference oracle %s: cannot download it: %v: %s", ReferenceModule, err, firstLine(out)))
	}
	var mod struct{ Dir, Error string }
	if err := json.Unmarshal(out, &mod); err != nil || mod.Dir == "" {
		t.Fatalf("go mod download -json github.com/appc/spec = %s (%v), want a module directory", out, err)
	}
	return mod.Dir
}

// oracleGo runs the go command in the oracle module, outside the workspace.
func oracleGo(dir string, args ...string) ([]byte, error) {
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off", "CGO_ENABLED=0")
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err := cmd.Run()
	return out.Bytes(), err
}

func firstLine(b []byte) string {
	s := strings.TrimSpace(string(b))
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

func copyFile(src, dst string, mode os.FileMode) (err error) {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, mode)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := out.Close(); err == nil {
			err = cerr
		}
	}()
	_, err = io.Copy(out, in)
	return err
}
