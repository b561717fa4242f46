package main

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/acikit/acikit/internal/testutil"
)

func TestHelpGolden(t *testing.T) {
	r := testutil.Run(t, nil, testutil.Binary(t, "docker2aci"), "--help")
	if r.Code != 0 {
		t.Fatalf("docker2aci --help exit = %d, want 0", r.Code)
	}
	testutil.Golden(t, "testdata/help.golden", []byte(r.Stdout))
}

// legacyArchive writes a one-layer legacy docker save archive.
func legacyArchive(t *testing.T, dir string, layer []tarFile) string {
	t.Helper()
	var lb bytes.Buffer
	tw := tar.NewWriter(&lb)
	for _, f := range layer {
		tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o755, Size: int64(len(f.data)), Typeflag: tar.TypeReg})
		tw.Write([]byte(f.data))
	}
	tw.Close()
	id := strings.Repeat("ab", 32)
	js, _ := json.Marshal(map[string]any{"id": id, "os": "linux", "architecture": "amd64", "config": map[string]any{"Cmd": []string{"/bin/true"}}})
	repos, _ := json.Marshal(map[string]map[string]string{"example/tool": {"1.0": id}})
	var ab bytes.Buffer
	aw := tar.NewWriter(&ab)
	for _, f := range []tarFile{{id + "/json", string(js)}, {id + "/layer.tar", lb.String()}, {"repositories", string(repos)}} {
		aw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.data)), Typeflag: tar.TypeReg})
		aw.Write([]byte(f.data))
	}
	aw.Close()
	p := filepath.Join(dir, "in.tar")
	os.WriteFile(p, ab.Bytes(), 0o644)
	return p
}

type tarFile struct{ name, data string }

func TestConvertCommand(t *testing.T) {
	bin := testutil.Binary(t, "docker2aci")
	tests := []struct {
		name     string
		layer    []tarFile
		args     []string
		code     int
		stdout   string
		files    []string
		stderrRe string
		// stdoutTar, when set, lists entries the plain tar on stdout must hold.
		stdoutTar []string
	}{
		{name: "default name", layer: []tarFile{{"bin/true", "x"}}, code: 0, stdout: "example-tool-1.0.aci\n", files: []string{"example-tool-1.0.aci", "in.tar"}},
		{name: "-o", layer: []tarFile{{"bin/true", "x"}}, args: []string{"-o", "out.aci", "--compression", "none"}, code: 0, stdout: "out.aci\n", files: []string{"in.tar", "out.aci"}},
		{name: "nosquash", layer: []tarFile{{"bin/true", "x"}}, args: []string{"--nosquash"}, code: 0, stdout: "example-tool-1.0-0.aci\n", files: []string{"example-tool-1.0-0.aci", "in.tar"}},
		{name: "bad layer leaves nothing", layer: []tarFile{{"../evil", "x"}}, code: 3, files: []string{"in.tar"}, stderrRe: "climbs out of the root"},
		{name: "-o - writes the image to stdout", layer: []tarFile{{"bin/true", "x"}}, args: []string{"-o", "-", "--compression", "none"}, code: 0,
			stdoutTar: []string{"rootfs", "rootfs/bin/true", "manifest"}, files: []string{"in.tar"}},
		{name: "nosquash to stdout", layer: []tarFile{{"bin/true", "x"}}, args: []string{"--nosquash", "-o", "-"}, code: 2, files: []string{"in.tar"}},
		{name: "bad compression", layer: []tarFile{{"bin/true", "x"}}, args: []string{"--compression", "xz"}, code: 2, files: []string{"in.tar"}},
		{name: "image flag with registry", args: []string{"--image", "x", "docker://example.com/x"}, code: 2, files: []string{"in.tar"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			in := legacyArchive(t, dir, tt.layer)
			args := tt.args
			if len(args) == 0 || !strings.HasPrefix(args[len(args)-1], "docker://") {
				args = append(append([]string{}, args...), in)
			}
			r := runIn(t, dir, bin, args...)
			if r.Code != tt.code {
				t.Fatalf("docker2aci %v exit = %d, want %d (stderr %q)", args, r.Code, tt.code, r.Stderr)
			}
			if tt.stdout != "" && r.Stdout != tt.stdout {
				t.Errorf("docker2aci %v stdout = %q, want %q", args, r.Stdout, tt.stdout)
			}
			if tt.stdoutTar != nil {
				names := map[string]bool{}
				tr := tar.NewReader(strings.NewReader(r.Stdout))
				for {
					h, err := tr.Next()
					if err != nil {
						break
					}
					names[strings.TrimSuffix(h.Name, "/")] = true
				}
				for _, n := range tt.stdoutTar {
					if !names[n] {
						t.Errorf("docker2aci %v: the tar on stdout lacks %q (has %v)", args, n, names)
					}
				}
			}
			if tt.stderrRe != "" && !strings.Contains(r.Stderr, tt.stderrRe) {
				t.Errorf("docker2aci %v stderr = %q, want it to contain %q", args, r.Stderr, tt.stderrRe)
			}
			var got []string
			ents, _ := os.ReadDir(dir)
			for _, e := range ents {
				got = append(got, e.Name())
			}
			if strings.Join(got, " ") != strings.Join(tt.files, " ") {
				t.Errorf("docker2aci %v left %v, want %v", args, got, tt.files)
			}
		})
	}
}

func runIn(t *testing.T, dir, bin string, args ...string) testutil.Result {
	t.Helper()
	old, _ := os.Getwd()
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(old)
	return testutil.Run(t, nil, bin, args...)
}

// An existing output is refused in one line that names --overwrite.
func TestExistsSaysOverwrite(t *testing.T) {
	dir := t.TempDir()
	legacyArchive(t, dir, []tarFile{{"bin/true", "x"}})
	os.WriteFile(filepath.Join(dir, "taken.aci"), []byte("mine"), 0o644)
	os.WriteFile(filepath.Join(dir, "example-tool-1.0.aci"), []byte("mine"), 0o644)
	for _, args := range [][]string{{"-o", "taken.aci", "in.tar"}, {"in.tar"}} {
		r := runIn(t, dir, testutil.Binary(t, "docker2aci"), args...)
		if r.Code != 1 || strings.Count(r.Stderr, "\n") != 1 || !strings.HasSuffix(r.Stderr, ".aci: file exists (use --overwrite to replace it)\n") {
			t.Errorf("docker2aci %s: exit %d, stderr %q; want one line naming --overwrite", strings.Join(args, " "), r.Code, r.Stderr)
		}
	}
}

// A missing archive exits 5 (not found), as in every tool.
func TestMissingInput(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{{"missing.tar"}, {"oci:missing"}, {"-o", "x.aci", "missing.tar"}} {
		r := runIn(t, dir, testutil.Binary(t, "docker2aci"), args...)
		if r.Code != 5 || !strings.Contains(r.Stderr, "missing") || strings.Count(r.Stderr, "\n") != 1 {
			t.Errorf("docker2aci %s: exit %d, stderr %q; want 5 and one line naming the file", strings.Join(args, " "), r.Code, r.Stderr)
		}
	}
}
