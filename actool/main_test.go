package main

import (
	"bytes"
	"compress/gzip"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/acikit/acikit/internal/testutil"
)

func actool(t *testing.T, stdin []byte, args ...string) testutil.Result {
	t.Helper()
	return testutil.Run(t, stdin, testutil.Binary(t, "actool"), args...)
}

// layout writes a small image layout and returns its directory.
func layout(t *testing.T, manifest string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "rootfs", "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "rootfs", "bin", "hello"), []byte("#!/bin/sh\necho Hello AppC\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "manifest"), []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func helloManifest(t *testing.T) string {
	b, err := os.ReadFile(filepath.Join(testutil.RepoRoot(t), "testdata", "hello", "manifest"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func zcatSHA512(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	h := sha512.New()
	if _, err := io.Copy(h, zr); err != nil {
		t.Fatal(err)
	}
	return "sha512-" + hex.EncodeToString(h.Sum(nil))
}

func TestHelpGolden(t *testing.T) {
	for _, cmd := range []string{"", "build", "validate", "discover", "cat-manifest", "patch-manifest", "image-id", "version"} {
		name := cmd
		args := []string{"--help"}
		if cmd == "" {
			name = "actool"
		} else {
			args = []string{"help", cmd}
		}
		t.Run(name, func(t *testing.T) {
			r := actool(t, nil, args...)
			if r.Code != 0 {
				t.Fatalf("actool %s = exit %d, stderr %q", strings.Join(args, " "), r.Code, r.Stderr)
			}
			testutil.Golden(t, filepath.Join("testdata", "help-"+name+".golden"), []byte(r.Stdout))
		})
	}
}

func TestBuildValidateImageID(t *testing.T) {
	dir := layout(t, helloManifest(t))
	out := filepath.Join(t.TempDir(), "hello.aci")
	r := actool(t, nil, "build", dir, out)
	if r.Code != 0 {
		t.Fatalf("build = exit %d, stderr %q", r.Code, r.Stderr)
	}
	id := strings.TrimSpace(r.Stdout)
	if want := zcatSHA512(t, out); id != want {
		t.Errorf("build printed %s, want zcat|sha512 %s", id, want)
	}
	if r := actool(t, nil, "image-id", out); strings.TrimSpace(r.Stdout) != id {
		t.Errorf("image-id = %q, want %s", r.Stdout, id)
	}
	data, _ := os.ReadFile(out)
	if r := actool(t, data, "image-id", "-"); strings.TrimSpace(r.Stdout) != id {
		t.Errorf("image-id - = %q, want %s", r.Stdout, id)
	}

	// Reproducible: a second build of the same tree has the same ID.
	out2 := filepath.Join(t.TempDir(), "again.aci")
	if r := actool(t, nil, "build", dir, out2); strings.TrimSpace(r.Stdout) != id {
		t.Errorf("second build ID = %q, want %s", r.Stdout, id)
	}
	// Existing output is refused without --overwrite, accepted with it.
	if r := actool(t, nil, "build", dir, out); r.Code != 1 || !strings.Contains(r.Stderr, "file exists") {
		t.Errorf("build over existing = exit %d %q, want 1 and 'file exists'", r.Code, r.Stderr)
	}
	if r := actool(t, nil, "build", "--overwrite", dir, out); r.Code != 0 {
		t.Errorf("build --overwrite = exit %d %q", r.Code, r.Stderr)
	}
	// To stdout: the image on stdout, the ID on stderr.
	r = actool(t, nil, "build", dir, "-")
	if r.Code != 0 || strings.TrimSpace(r.Stderr) != id {
		t.Errorf("build to - = exit %d, stderr %q, want the ID", r.Code, r.Stderr)
	}
	if r := actool(t, []byte(r.Stdout), "image-id", "-"); strings.TrimSpace(r.Stdout) != id {
		t.Errorf("image built to stdout has ID %q, want %s", r.Stdout, id)
	}

	r = actool(t, nil, "--debug", "validate", out, dir, filepath.Join(dir, "manifest"))
	if r.Code != 0 {
		t.Fatalf("validate = exit %d, stderr %q", r.Code, r.Stderr)
	}
	for _, want := range []string{"valid app container image", "valid image layout", "valid ImageManifest"} {
		if !strings.Contains(r.Stderr, want) {
			t.Errorf("validate --debug stderr = %q, want it to contain %q", r.Stderr, want)
		}
	}
	if r.Stdout != "" {
		t.Errorf("validate stdout = %q, want nothing", r.Stdout)
	}

	// cat-manifest from stdin.
	r = actool(t, data, "cat-manifest", "-")
	if !strings.Contains(r.Stdout, `"name":"example.com/hello"`) {
		t.Errorf("cat-manifest - = %q, want the compact manifest", r.Stdout)
	}
}

func TestBuildSourceDateEpoch(t *testing.T) {
	dir := layout(t, helloManifest(t))
	bin := testutil.Binary(t, "actool")
	ids := map[string]bool{}
	for _, epoch := range []string{"1000", "1000", "2000"} {
		out := filepath.Join(t.TempDir(), "x.aci")
		t.Setenv("SOURCE_DATE_EPOCH", epoch)
		r := testutil.Run(t, nil, bin, "build", dir, out)
		if r.Code != 0 {
			t.Fatalf("build = %d %q", r.Code, r.Stderr)
		}
		ids[epoch+strings.TrimSpace(r.Stdout)] = true
	}
	if len(ids) != 2 {
		t.Errorf("builds with epochs 1000,1000,2000 gave %d distinct (epoch, ID) pairs, want 2", len(ids))
	}
}

func TestBuildFailureLeavesNothing(t *testing.T) {
	tests := []struct {
		name, manifest string
		extra          func(dir string)
		want           string
	}{
		{"bad manifest", `{"acKind":"ImageManifest","acVersion":"0.8.11","name":"Bad"}`, nil, "ACIdentifier"},
		{"syntax", `{"acKind":`, nil, "line 1"},
		{"stray file", helloManifest(t), func(dir string) { os.WriteFile(filepath.Join(dir, "rootfs.bak"), nil, 0o644) }, "rootfs.bak"},
		{"no rootfs", helloManifest(t), func(dir string) { os.RemoveAll(filepath.Join(dir, "rootfs")) }, "no rootfs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := layout(t, tt.manifest)
			if tt.extra != nil {
				tt.extra(dir)
			}
			outDir := t.TempDir()
			r := actool(t, nil, "build", dir, filepath.Join(outDir, "x.aci"))
			if r.Code != 3 || !strings.Contains(r.Stderr, tt.want) {
				t.Errorf("build = exit %d %q, want 3 and %q", r.Code, r.Stderr, tt.want)
			}
			if n := strings.Count(r.Stderr, "\n"); n != 1 {
				t.Errorf("build printed %d lines on stderr, want 1: %q", n, r.Stderr)
			}
			if entries, _ := os.ReadDir(outDir); len(entries) != 0 {
				t.Errorf("failed build left %d files", len(entries))
			}
		})
	}
}

func TestValidateChecksEveryPath(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(good, []byte(helloManifest(t)), 0o644)
	os.WriteFile(bad, []byte(`{"acKind":"ImageManifest","acVersion":"0.8.11","name":"x","labels":[{"name":"os","value":"plan9"}]}`), 0o644)
	noKind := filepath.Join(dir, "nokind.json")
	os.WriteFile(noKind, []byte(`{"acVersion":"0.8.11","name":"x"}`), 0o644)
	r := actool(t, nil, "validate", "--json", bad, good, noKind)
	if r.Code != 3 {
		t.Errorf("validate = exit %d, want 3", r.Code)
	}
	var reps []report
	if err := json.Unmarshal([]byte(r.Stdout), &reps); err != nil {
		t.Fatalf("validate --json stdout is not JSON: %v\n%s", err, r.Stdout)
	}
	if len(reps) != 3 || reps[0].Valid || !reps[1].Valid || reps[2].Valid {
		t.Errorf("reports = %+v, want invalid, valid, invalid", reps)
	}
	if !strings.Contains(r.Stderr, `labels[0]: bad os "plan9"`) || !strings.Contains(r.Stderr, "acKind") {
		t.Errorf("stderr = %q, want one line per bad file naming the JSON path", r.Stderr)
	}
	if r := actool(t, nil, "validate", filepath.Join(dir, "missing.aci"), good); r.Code != 5 {
		t.Errorf("validate of a missing file = exit %d, want 5 (not found)", r.Code)
	}
	if r := actool(t, nil, "validate", "--type", "layout", good); r.Code != 2 {
		t.Errorf("validate --type layout FILE = exit %d, want 2", r.Code)
	}
}

func TestPatchManifest(t *testing.T) {
	dir := layout(t, helloManifest(t))
	work := t.TempDir()
	in := filepath.Join(work, "in.aci")
	if r := actool(t, nil, "build", dir, in); r.Code != 0 {
		t.Fatal(r.Stderr)
	}
	out := filepath.Join(work, "out.aci")
	r := actool(t, nil, "patch-manifest", "--name", "example.com/patched", "--exec", "/bin/hello --loud",
		"--mounts", "data,path=/data", "--isolators", "resource/memory,limit=64M", in, out)
	if r.Code != 0 {
		t.Fatalf("patch-manifest = exit %d %q", r.Code, r.Stderr)
	}
	if got, want := strings.TrimSpace(r.Stdout), zcatSHA512(t, out); got != want {
		t.Errorf("patch-manifest printed %s, want the new image's ID %s", got, want)
	}
	m := actool(t, nil, "cat-manifest", out).Stdout
	for _, want := range []string{`"name":"example.com/patched"`, `"exec":["/bin/hello","--loud"]`, `"path":"/data"`, `"limit":"64M"`} {
		if !strings.Contains(m, want) {
			t.Errorf("patched manifest %s lacks %s", m, want)
		}
	}
	if r := actool(t, nil, "validate", out); r.Code != 0 {
		t.Errorf("patched image does not validate: %s", r.Stderr)
	}
	// Bad patches are refused and write nothing.
	for _, args := range [][]string{
		{"--isolators", "resource/memory,limit=lots"},
		{"--capability", "CAP_KILL", "--revoke-capability", "CAP_CHOWN"},
		{"--name", "Upper"},
	} {
		bad := filepath.Join(work, "bad.aci")
		r := actool(t, nil, append(append([]string{"patch-manifest"}, args...), in, bad)...)
		if r.Code == 0 {
			t.Errorf("patch-manifest %v = exit 0, want failure", args)
		}
		if _, err := os.Stat(bad); err == nil {
			t.Errorf("patch-manifest %v left %s", args, bad)
		}
	}
	if r := actool(t, nil, "patch-manifest", "--replace", "--overwrite", in); r.Code != 2 {
		t.Errorf("--replace --overwrite = exit %d, want 2", r.Code)
	}
	// --replace rewrites in place.
	if r := actool(t, nil, "patch-manifest", "--replace", "--user", "1000", in); r.Code != 0 {
		t.Fatalf("--replace = %d %q", r.Code, r.Stderr)
	}
	if m := actool(t, nil, "cat-manifest", in).Stdout; !strings.Contains(m, `"user":"1000"`) {
		t.Errorf("after --replace manifest = %s, want user 1000", m)
	}
	// A replacement manifest must be valid.
	badManifest := filepath.Join(work, "m.json")
	os.WriteFile(badManifest, []byte(`{"acKind":"ImageManifest","acVersion":"0.8.11"}`), 0o644)
	if r := actool(t, nil, "patch-manifest", "--manifest", badManifest, in, filepath.Join(work, "r.aci")); r.Code != 3 {
		t.Errorf("--manifest with an invalid manifest = exit %d %q, want 3", r.Code, r.Stderr)
	}
	// --manifest takes - for stdin, like every file argument.
	fromStdin := filepath.Join(work, "stdin.aci")
	replacement := strings.Replace(helloManifest(t), "example.com/hello", "example.com/from-stdin", 1)
	if r := actool(t, []byte(replacement), "patch-manifest", "--manifest", "-", in, fromStdin); r.Code != 0 {
		t.Fatalf("--manifest - = exit %d %q, want 0", r.Code, r.Stderr)
	}
	if m := actool(t, nil, "cat-manifest", fromStdin).Stdout; !strings.Contains(m, `"example.com/from-stdin"`) {
		t.Errorf("after --manifest - manifest = %s, want name example.com/from-stdin", m)
	}
	if r := actool(t, []byte(replacement), "patch-manifest", "--manifest", "-", "-", "-"); r.Code != 2 {
		t.Errorf("--manifest - with INPUT - = exit %d %q, want 2", r.Code, r.Stderr)
	}
}

func TestDiscover(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("ac-discovery") != "1" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprint(w, `<html><head>
<meta name="ac-discovery" content="127.0.0.1/hello https://127.0.0.1/{name}-{version}-{os}-{arch}.{ext}">
<meta name="ac-discovery-pubkeys" content="127.0.0.1/hello https://127.0.0.1/pubkeys.gpg">
</head></html>`)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	port := srv.URL[strings.LastIndex(srv.URL, ":")+1:]
	r := actool(t, nil, "discover", "--insecure-options", "http", "--port", port, "127.0.0.1/hello:1.0,os=linux,arch=amd64")
	want := "ACI: https://127.0.0.1/127.0.0.1/hello-1.0-linux-amd64.aci, ASC: https://127.0.0.1/127.0.0.1/hello-1.0-linux-amd64.aci.asc\nPublicKeys: https://127.0.0.1/pubkeys.gpg\n"
	if r.Code != 0 || r.Stdout != want {
		t.Errorf("discover = exit %d\nstdout %q\nwant   %q\nstderr %q", r.Code, r.Stdout, want, r.Stderr)
	}
	r = actool(t, nil, "discover", "--json", "--insecure", "--port", port, "127.0.0.1/hello:1.0,os=linux,arch=amd64")
	var got discoverJSON
	if err := json.Unmarshal([]byte(r.Stdout), &got); err != nil || len(got.ACIEndpoints) != 1 || got.Source != "meta" {
		t.Errorf("discover --json = %q (%v)", r.Stdout, err)
	}
	// Without the http opt-in nothing is found: the server speaks no TLS.
	if r := actool(t, nil, "discover", "--port", port, "127.0.0.1/hello"); r.Code != 5 {
		t.Errorf("discover over https only = exit %d %q, want 5", r.Code, r.Stderr)
	}
	if r := actool(t, nil, "discover", "Not/Valid"); r.Code != 2 || strings.Contains(r.Stderr, "panic") {
		t.Errorf("discover of a bad name = exit %d %q, want 2", r.Code, r.Stderr)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"build", "onlyone"},
		{"build", "dir", "out.tar"},
		{"cat-manifest"},
		{"nope"},
		{"validate"},
		{"build", "dir", "out.aci", "--overwrite"},
		{"build", "--no-compression", "--compression", "zstd", "dir", "out.aci"},
		{"patch-manifest", "--capability", "CAP_KILL", "--revoke-capability", "CAP_CHOWN", "in.aci", "out.aci"},
		{"build", "--compression-level", "42", "dir", "out.aci"},
		{"build", "--compression-level", "-3", "dir", "out.aci"},
		{"build", "--compression", "zstd", "--compression-level", "23", "dir", "out.aci"},
		{"validate", "--max-size", "-1", "x.aci"},
		{"cat-manifest", "--max-size", "-1", "x.aci"},
		{"image-id", "--max-size", "-1", "x.aci"},
	} {
		r := actool(t, nil, args...)
		if r.Code != 2 {
			t.Errorf("actool %v = exit %d, want 2 (stderr %q)", args, r.Code, r.Stderr)
		}
		if r.Stdout != "" && args[0] != "nope" {
			t.Errorf("actool %v printed %q on stdout", args, r.Stdout)
		}
	}
	_ = bytes.MinRead
}

// The bash completion script completes commands and flags from the binary.
func TestBashCompletion(t *testing.T) {
	bin := testutil.Binary(t, "actool")
	for _, tt := range []struct {
		line  string
		want  []string // all of them, and nothing else when exact
		exact bool
	}{
		{"actool ca", []string{"cat-manifest"}, true},
		{"actool build --ov", []string{"--overwrite"}, true},
		{"actool validate --ty", []string{"--type"}, true},
		{"actool build --", []string{"--overwrite", "--no-compression", "--compression", "--owner-root"}, false},
		{"actool validate -", []string{"--type", "--json", "--max-size"}, false},
		{"actool --", []string{"--debug", "--quiet", "--version"}, false},
	} {
		got := testutil.Complete(t, "actool", bin, tt.line)
		for _, w := range tt.want {
			if !slices.Contains(got, w) {
				t.Errorf("completion of %q = %q, want it to hold %s", tt.line, got, w)
			}
		}
		if tt.exact && len(got) != len(tt.want) {
			t.Errorf("completion of %q = %q, want %q", tt.line, got, tt.want)
		}
		for _, w := range got {
			if !strings.HasPrefix(w, strings.Fields(tt.line)[len(strings.Fields(tt.line))-1]) {
				t.Errorf("completion of %q offers %q", tt.line, w)
			}
		}
	}
}

func TestImageIDGoesOn(t *testing.T) {
	dir := layout(t, helloManifest(t))
	img := filepath.Join(t.TempDir(), "a.aci")
	if r := actool(t, nil, "build", dir, img); r.Code != 0 {
		t.Fatal(r.Stderr)
	}
	junk := filepath.Join(t.TempDir(), "junk.aci")
	os.WriteFile(junk, []byte("not an image"), 0o644)
	r := actool(t, nil, "image-id", junk, img)
	if r.Code != 3 {
		t.Errorf("image-id junk good = exit %d, want 3", r.Code)
	}
	if got, want := strings.TrimSpace(r.Stdout), zcatSHA512(t, img); got != want {
		t.Errorf("image-id stdout = %q, want the good image's ID %s", got, want)
	}
	if !strings.Contains(r.Stderr, "junk.aci") || strings.Count(r.Stderr, "\n") != 1 {
		t.Errorf("image-id stderr = %q, want one line naming junk.aci", r.Stderr)
	}
}

// Operands named h and help are paths, even after "--": an invalid layout
// so named fails validation instead of printing help.
func TestHelpNamedOperands(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"h", "help"} {
		if err := os.Mkdir(filepath.Join(dir, n), 0o755); err != nil { // no manifest: invalid
			t.Fatal(err)
		}
	}
	for _, args := range [][]string{{"validate", "h"}, {"validate", "help"}, {"validate", "--", "h"}, {"validate", "--", "help"},
		{"cat-manifest", "h"}, {"image-id", "--", "help"}, {"build", "h", "out.aci"}} {
		cmd := exec.Command(testutil.Binary(t, "actool"), args...)
		cmd.Dir = dir
		var so, se bytes.Buffer
		cmd.Stdout, cmd.Stderr = &so, &se
		err := cmd.Run()
		name := args[len(args)-1]
		if args[0] == "build" {
			name = args[1]
		}
		if err == nil || strings.Contains(so.String(), "USAGE") || !strings.Contains(se.String(), name) {
			t.Errorf("actool %s: %v, stdout %.80q, stderr %q; want a failure about %s", strings.Join(args, " "), err, so.String(), se.String(), name)
		}
	}
}

// An existing output is refused in one line that names the file and
// --overwrite.
func TestExistsSaysOverwrite(t *testing.T) {
	dir := layout(t, helloManifest(t))
	tmp := t.TempDir()
	img, taken := filepath.Join(tmp, "in.aci"), filepath.Join(tmp, "taken.aci")
	if r := actool(t, nil, "build", dir, img); r.Code != 0 {
		t.Fatal(r.Stderr)
	}
	os.WriteFile(taken, []byte("mine"), 0o644)
	for _, args := range [][]string{{"build", dir, taken}, {"patch-manifest", "--name", "example.com/x", img, taken}} {
		r := actool(t, nil, args...)
		want := "actool: write " + taken + ": file exists (use --overwrite to replace it)\n"
		if r.Code != 1 || r.Stderr != want {
			t.Errorf("actool %s: exit %d, stderr %q; want 1 and %q", strings.Join(args, " "), r.Code, r.Stderr, want)
		}
		if b, _ := os.ReadFile(taken); string(b) != "mine" {
			t.Errorf("actool %s replaced the file", strings.Join(args, " "))
		}
	}
}

// A missing input file exits 5 (not found) in every command.
func TestMissingInput(t *testing.T) {
	dir := layout(t, helloManifest(t))
	img := filepath.Join(t.TempDir(), "in.aci")
	if r := actool(t, nil, "build", dir, img); r.Code != 0 {
		t.Fatal(r.Stderr)
	}
	missing := filepath.Join(t.TempDir(), "missing")
	out := filepath.Join(t.TempDir(), "out.aci")
	for _, args := range [][]string{
		{"build", missing, out},
		{"validate", missing},
		{"validate", "--type", "manifest", missing},
		{"cat-manifest", missing},
		{"image-id", missing},
		{"patch-manifest", "--name", "example.com/x", missing, out},
		{"patch-manifest", "--manifest", missing, img, out},
	} {
		r := actool(t, nil, args...)
		if r.Code != 5 || !strings.Contains(r.Stderr, missing) || strings.Count(r.Stderr, "\n") != 1 {
			t.Errorf("actool %s: exit %d, stderr %q; want 5 and one line naming the file", strings.Join(args, " "), r.Code, r.Stderr)
		}
	}
}
