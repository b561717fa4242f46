package aci_test

// Differential tests against the reference implementation (appc/spec
// v0.8.11, built by testutil.Reference): layout and archive verdicts agree
// with the reference `actool validate` except where it is known to be wrong,
// and images cross between the two builders.

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha512"
	"encoding/hex"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/acikit/acikit/internal/aci"
	"github.com/acikit/acikit/internal/testutil"
)

// layoutDiffers lists the testdata/layouts directories whose verdict may
// differ from the reference's, with the reason the reference is wrong.
var layoutDiffers = map[string]string{
	"rootfs-bak": "the reference tests top-level names with a string prefix, so rootfs.bak passes as part of rootfs",
}

func TestReferenceLayouts(t *testing.T) {
	root := filepath.Join(testutil.RepoRoot(t), "testdata", "layouts")
	ents, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for _, e := range ents {
		if e.IsDir() {
			dirs = append(dirs, e.Name())
		}
	}
	if len(dirs) == 0 {
		t.Fatalf("no layouts under %s", root)
	}
	seen := map[string]bool{}
	for _, name := range dirs {
		seen[name] = true
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(root, name)
			ref := testutil.ReferenceValidate(t, "layout", dir)
			ours := aci.ValidateLayout(dir)
			compareVerdicts(t, "layout "+name, ref, ours, layoutDiffers[name])
		})
	}
	for name := range layoutDiffers {
		if !seen[name] {
			t.Errorf("layoutDiffers names %s, which is not in testdata/layouts: remove the entry", name)
		}
	}
}

// compareVerdicts fails unless the reference and our verdict agree, or they
// differ and reason (the listed excuse) is set.
func compareVerdicts(t *testing.T, what string, ref testutil.ReferenceVerdict, ours error, reason string) {
	t.Helper()
	differ := ref.Panicked || ref.Valid != (ours == nil)
	switch {
	case differ && reason == "":
		t.Errorf("reference actool validate %s = %s; ours = %s (list it only if the reference crashes or is wrong)",
			what, ref, verdictString(ours))
	case !differ && reason != "":
		t.Errorf("reference actool validate %s = %s, the same as ours, but it is listed as differing (%q): remove the entry",
			what, ref, reason)
	}
}

func verdictString(err error) string {
	if err == nil {
		return "valid"
	}
	return "invalid: " + err.Error()
}

// entry is one tar member of a generated archive.
type entry struct {
	name string
	dir  bool
	body string
	link string // hard link target, when set
}

const goodManifest = `{"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/archive",` +
	`"labels":[{"name":"os","value":"linux"},{"name":"arch","value":"amd64"}]}`

func TestReferenceArchives(t *testing.T) {
	rootfs := []entry{{name: "rootfs", dir: true}, {name: "rootfs/etc", dir: true}, {name: "rootfs/etc/hostname", body: "x\n"}}
	withRootfs := func(es ...entry) []entry { return append(append([]entry{}, rootfs...), es...) }
	man := entry{name: "manifest", body: goodManifest}
	tests := []struct {
		name    string
		entries []entry
		differs string // why the reference is wrong, when it is
	}{
		{name: "valid", entries: withRootfs(man)},
		{name: "manifest first", entries: append([]entry{man}, rootfs...)},
		{name: "dot slash names", entries: []entry{{name: "./rootfs/", dir: true}, {name: "./rootfs/a", body: "a"}, {name: "./manifest", body: goodManifest}}},
		{name: "no manifest", entries: rootfs},
		{name: "no rootfs", entries: []entry{man}},
		{name: "no rootfs entry", entries: []entry{{name: "rootfs/a", body: "a"}, man}},
		{name: "rootfs is a file", entries: []entry{{name: "rootfs", body: "x"}, man}},
		{name: "bad manifest", entries: withRootfs(entry{name: "manifest", body: `{"acKind":"ImageManifest","acVersion":"0.8.11","name":"Upper"}`})},
		{name: "manifest not json", entries: withRootfs(entry{name: "manifest", body: `{`})},
		{name: "duplicate file", entries: withRootfs(entry{name: "rootfs/etc/hostname", body: "y\n"}, man)},
		{name: "duplicate manifest", entries: withRootfs(man, man)},
		{name: "stray top-level file", entries: withRootfs(entry{name: "README", body: "hi"}, man)},
		{name: "stray nested file", entries: withRootfs(entry{name: "extra", dir: true}, entry{name: "extra/nested/file", body: "hi"}, man)},
		{name: "rootfs.bak", entries: withRootfs(entry{name: "rootfs.bak", body: "old"}, man),
			differs: "the reference tests top-level names with a string prefix, so rootfs.bak passes as part of rootfs"},
		{name: "escaping name", entries: withRootfs(entry{name: "rootfs/../../etc/passwd", body: "root"}, man)},
		{name: "absolute name", entries: withRootfs(entry{name: "/rootfs/etc/shadow", body: "root"}, man)},
		{name: "dot entry", entries: append([]entry{{name: "./", dir: true}}, withRootfs(man)...)},
		{name: "empty rootfs", entries: []entry{{name: "rootfs", dir: true}, man}},
		{name: "manifest is a directory", entries: withRootfs(entry{name: "manifest", dir: true})},
		{name: "hard link inside rootfs", entries: withRootfs(entry{name: "rootfs/etc/alias", link: "rootfs/etc/hostname"}, man)},
		{name: "hard link out of the image", entries: withRootfs(entry{name: "rootfs/etc/passwd", link: "../../etc/passwd"}, man),
			differs: "the reference does not check hard link targets; one naming no earlier entry cannot be extracted"},
		{name: "duplicate rootfs entry", entries: withRootfs(entry{name: "rootfs/", dir: true}, man),
			differs: "the reference does not check the rootfs entry itself for duplicates; the spec allows none"},
	}
	for _, tt := range tests {
		for _, comp := range []string{"tar", "gzip", "bzip2", "xz"} {
			name := tt.name + " " + comp
			t.Run(name, func(t *testing.T) {
				path := filepath.Join(t.TempDir(), "image.aci")
				writeArchive(t, path, tt.entries, comp)
				ref := testutil.ReferenceValidate(t, "appimage", path)
				f, err := os.Open(path)
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				_, ours := aci.Validate(context.Background(), f, aci.ValidateOptions{})
				compareVerdicts(t, "archive "+name, ref, ours, tt.differs)
			})
		}
	}
}

// writeArchive writes entries as a tar to path, compressed with comp (tar
// for none, gzip in-process, bzip2 and xz by their commands, since Go cannot
// write those), with fixed times and owners so the bytes only depend on the
// entries.
func writeArchive(t *testing.T, path string, entries []entry, comp string) {
	t.Helper()
	var buf bytes.Buffer
	var w io.Writer = &buf
	var zw *gzip.Writer
	if comp == "gzip" {
		zw = gzip.NewWriter(&buf)
		w = zw
	}
	tw := tar.NewWriter(w)
	for _, e := range entries {
		hdr := &tar.Header{Name: e.name, Mode: 0o644, Size: int64(len(e.body)), ModTime: time.Unix(1e9, 0), Typeflag: tar.TypeReg}
		switch {
		case e.dir:
			hdr.Mode, hdr.Size, hdr.Typeflag = 0o755, 0, tar.TypeDir
		case e.link != "":
			hdr.Size, hdr.Typeflag, hdr.Linkname = 0, tar.TypeLink, e.link
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(tw, e.body); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if zw != nil {
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
	}
	data := buf.Bytes()
	switch comp {
	case "bzip2", "xz":
		pkg := map[string]string{"bzip2": "bzip2", "xz": "xz-utils"}[comp]
		bin := testutil.RequireCommand(t, comp, pkg)
		cmd := exec.Command(bin, "-c")
		cmd.Stdin = bytes.NewReader(data)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s -c: %v", comp, err)
		}
		data = out
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestReferenceBuildsValidate: an image the reference actool builds passes
// our validation, and our image ID is the sha512 of its uncompressed tar.
func TestReferenceBuildsValidate(t *testing.T) {
	layout := filepath.Join(testutil.RepoRoot(t), "testdata", "layouts", "valid")
	for _, compress := range []bool{true, false} {
		name := "gzip"
		args := []string{"build"}
		if !compress {
			name = "uncompressed"
			args = append(args, "--no-compression")
		}
		t.Run(name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "ref.aci")
			r := testutil.Run(t, nil, testutil.Reference(t, "actool"), append(args, layout, out)...)
			if r.Code != 0 {
				t.Fatalf("reference actool build exit = %d, want 0 (stderr %q)", r.Code, r.Stderr)
			}
			want := uncompressedSHA512(t, out, compress)
			f, err := os.Open(out)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			res, err := aci.Validate(context.Background(), f, aci.ValidateOptions{})
			if err != nil || res.ID != want {
				t.Errorf("aci.Validate(reference-built %s image) = ID %q, %v, want %q, nil", name, res.ID, err, want)
			}
			g, err := os.Open(out)
			if err != nil {
				t.Fatal(err)
			}
			defer g.Close()
			got, err := aci.ImageID(context.Background(), g)
			if err != nil || got != want {
				t.Errorf("aci.ImageID(reference-built %s image) = %q, %v, want %q", name, got, err, want)
			}
		})
	}
}

// uncompressedSHA512 computes the image ID independently of our code.
func uncompressedSHA512(t *testing.T, path string, gz bool) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var r io.Reader = f
	if gz {
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		r = zr
	}
	h := sha512.New()
	if _, err := io.Copy(h, r); err != nil {
		t.Fatal(err)
	}
	return "sha512-" + hex.EncodeToString(h.Sum(nil))
}

// TestOurBuildsValidateWithReference: images built with aci.Build from the
// valid fixtures and from the ACE validator layouts pass the reference.
func TestOurBuildsValidateWithReference(t *testing.T) {
	root := testutil.RepoRoot(t)
	mainDir, sidekickDir := testutil.ACEValidatorLayouts(t)
	layouts := map[string]string{
		"valid":                  filepath.Join(root, "testdata", "layouts", "valid"),
		"nested-names":           filepath.Join(root, "testdata", "layouts", "nested-names"),
		"ace-validator-main":     mainDir,
		"ace-validator-sidekick": sidekickDir,
	}
	names := make([]string, 0, len(layouts))
	for n := range layouts {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), name+".aci")
			f, err := os.Create(out)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := aci.Build(context.Background(), layouts[name], f, aci.BuildOptions{}); err != nil {
				t.Fatalf("aci.Build(%s) = %v, want nil", name, err)
			}
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
			if ref := testutil.ReferenceValidate(t, "", out); !ref.Valid {
				t.Errorf("reference actool validate (aci.Build of %s) = %s, want valid", name, ref)
			}
		})
	}
}
