package aci

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/acikit/acikit/internal/compress"
	"github.com/acikit/acikit/internal/errkind"
	"github.com/acikit/acikit/internal/schema"
	"github.com/acikit/acikit/internal/testutil"
	"golang.org/x/sys/unix"
)

// writeLayout creates a layout from a map of relative paths to contents;
// a name ending in "/" is a directory, "->target" a symlink.
func writeLayout(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		var err error
		switch {
		case strings.HasSuffix(name, "/"):
			err = os.MkdirAll(p, 0o755)
		case strings.HasPrefix(body, "->"):
			err = os.Symlink(body[2:], p)
		default:
			err = os.WriteFile(p, []byte(body), 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestValidateLayoutTable(t *testing.T) {
	base := map[string]string{"manifest": testManifest, "rootfs/etc/hostname": "x"}
	plus := func(kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == "DELETE" {
				delete(m, kv[i])
				continue
			}
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"valid", base, ""},
		{"nested names", plus("rootfs/manifest", "m", "rootfs/rootfs/x", "y"), ""},
		{"missing manifest", plus("manifest", "DELETE"), "no image manifest found in layout"},
		{"missing rootfs", map[string]string{"manifest": testManifest}, "no rootfs found in layout"},
		{"rootfs file", map[string]string{"manifest": testManifest, "rootfs": "x"}, "rootfs is not a directory"},
		{"rootfs symlink", map[string]string{"manifest": testManifest, "real/": "", "rootfs": "->real"}, "rootfs is not a directory"},
		{"rootfs file wins over missing manifest", map[string]string{"rootfs": "x"}, "rootfs is not a directory"},
		{"bad manifest", plus("manifest", `{"acKind":"ImageManifest","acVersion":"0.8.11","name":"Upper"}`), "image manifest validation failed: "},
		{"manifest before stray", plus("manifest", `{`, "README", "x"), "image manifest validation failed"},
		{"manifest symlink", plus("manifest", "->rootfs/etc/hostname"), "manifest is not a regular file"},
		{"manifest dir", plus("manifest", "DELETE", "manifest/", ""), "manifest is not a regular file"},
		{"stray file", plus("README", "x"), `unrecognized file path in layout: "README"`},
		{"stray dir", plus("extra/nested/file", "x"), `unrecognized file path in layout: "extra"`},
		{"rootfs.bak", plus("rootfs.bak", "x"), `unrecognized file path in layout: "rootfs.bak"`},
		{"rootfsX", plus("rootfsX/", ""), `unrecognized file path in layout: "rootfsX"`},
		{"huge manifest", plus("manifest", testManifest+strings.Repeat(" ", 2<<20)), "more than the limit of 1048576 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateLayout(writeLayout(t, tt.files))
			if tt.want == "" {
				if err != nil {
					t.Errorf("ValidateLayout(%s) = %v, want nil", tt.name, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, errkind.Invalid) {
				t.Errorf("ValidateLayout(%s) = %v, want an Invalid error containing %q", tt.name, err, tt.want)
			}
		})
	}
	if err := ValidateLayout(filepath.Join(t.TempDir(), "nope")); err == nil || errors.Is(err, errkind.Invalid) {
		t.Errorf("ValidateLayout(missing dir) = %v, want an open error", err)
	}
}

func build(t testing.TB, dir string, opts BuildOptions) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	id, err := Build(context.Background(), dir, &buf, opts)
	if err != nil {
		t.Fatalf("Build(%s) = %v", dir, err)
	}
	return buf.Bytes(), id
}

type seenEntry struct {
	name, link string
	typ        byte
	mode       int64
	uid        int
	body       string
	xattr      string
}

func readEntries(t *testing.T, img []byte) ([]seenEntry, Result) {
	t.Helper()
	r, err := NewReader(context.Background(), bytes.NewReader(img), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var out []seenEntry
	for {
		hdr, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("reading our image: %v", err)
		}
		b, _ := io.ReadAll(r)
		out = append(out, seenEntry{name: hdr.Name, link: hdr.Linkname, typ: hdr.Typeflag, mode: hdr.Mode, uid: hdr.Uid,
			body: string(b), xattr: hdr.PAXRecords["SCHILY.xattr.user.acikit"]})
	}
	m, raw := r.Manifest()
	return out, Result{ID: r.ID(), Manifest: m, RawManifest: raw, Size: r.Size()}
}

func TestBuildReproducible(t *testing.T) {
	dir := writeLayout(t, map[string]string{
		"manifest":              "  " + testManifest + "\n",
		"rootfs/etc/hostname":   "x\n",
		"rootfs/bin/hello":      "#!/bin/sh\necho hi\n",
		"rootfs/bin/hi":         "->hello",
		"rootfs/empty/":         "",
		"rootfs/a.txt":          "a",
		"rootfs/etc/mtab":       "->/proc/self/mounts",
		"rootfs/etc/escape":     "->../hostname",
		"rootfs/usr/share/doc/": "",
	})
	os.Chmod(filepath.Join(dir, "rootfs/bin/hello"), os.ModeSetuid|0o755)
	for _, kind := range []compress.Kind{compress.Gzip, compress.None, compress.Zstd} {
		t.Run(kind.String(), func(t *testing.T) {
			opts := BuildOptions{Compression: kind, ManifestModTime: time.Unix(1700000000, 0)}
			img1, id1 := build(t, dir, opts)
			img2, id2 := build(t, dir, BuildOptions{Compression: kind, ManifestModTime: time.Unix(1700000000, 0), Compress: compress.WriterOptions{Concurrency: 1}})
			if id1 != id2 || !bytes.Equal(img1, img2) {
				t.Errorf("Build twice = %s, %s (bytes equal %v), want the same ID and bytes", id1, id2, bytes.Equal(img1, img2))
			}
			res, err := Validate(context.Background(), bytes.NewReader(img1), ValidateOptions{})
			if err != nil || res.ID != id1 {
				t.Fatalf("Validate(Build) = %s, %v, want %s", res.ID, err, id1)
			}
			if res.Compression != kind {
				t.Errorf("Validate(Build).Compression = %v, want %v", res.Compression, kind)
			}
			want, _ := res.Manifest.MarshalJSON()
			if !bytes.Equal(res.RawManifest, want) || bytes.HasPrefix(res.RawManifest, []byte(" ")) {
				t.Errorf("manifest entry = %q, want compact %q", res.RawManifest, want)
			}
			entries, _ := readEntries(t, img1)
			var names []string
			for _, e := range entries {
				names = append(names, e.name)
			}
			wantNames := []string{"manifest", "rootfs/", "rootfs/a.txt", "rootfs/bin/", "rootfs/bin/hello", "rootfs/bin/hi",
				"rootfs/empty/", "rootfs/etc/", "rootfs/etc/escape", "rootfs/etc/hostname", "rootfs/etc/mtab",
				"rootfs/usr/", "rootfs/usr/share/", "rootfs/usr/share/doc/"}
			if strings.Join(names, " ") != strings.Join(wantNames, " ") {
				t.Errorf("entries = %v, want %v", names, wantNames)
			}
			for _, e := range entries {
				if e.name == "rootfs/bin/hello" && e.mode != 0o4755 {
					t.Errorf("mode of %s = %o, want 4755", e.name, e.mode)
				}
			}
		})
	}
}

func TestBuildIDMatchesSystemTools(t *testing.T) {
	testutil.RequireCommand(t, "zcat", "gzip")
	dir := writeLayout(t, map[string]string{"manifest": testManifest, "rootfs/etc/hostname": "x\n", "rootfs/big": strings.Repeat("0123456789", 300000)})
	img, id := build(t, dir, BuildOptions{})
	p := filepath.Join(t.TempDir(), "x.aci")
	os.WriteFile(p, img, 0o644)
	if got := systemImageID(t, "zcat", p); got != id {
		t.Errorf("zcat | sha512sum = %s, Build said %s", got, id)
	}
	f, _ := os.Open(p)
	defer f.Close()
	if got, err := ImageID(context.Background(), f); err != nil || got != id {
		t.Errorf("ImageID(built) = %s, %v, want %s", got, err, id)
	}
}

func TestBuildSpecialFiles(t *testing.T) {
	testutil.RequireRoot(t)
	dir := writeLayout(t, map[string]string{"manifest": testManifest, "rootfs/etc/hostname": "x\n", "rootfs/bin/a": "binary"})
	rootfs := filepath.Join(dir, "rootfs")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.Link(filepath.Join(rootfs, "bin/a"), filepath.Join(rootfs, "bin/b")))
	must(os.Link(filepath.Join(rootfs, "bin/a"), filepath.Join(rootfs, "z")))
	must(syscall.Mkfifo(filepath.Join(rootfs, "fifo"), 0o600))
	must(syscall.Mknod(filepath.Join(rootfs, "null"), syscall.S_IFCHR|0o666, int(unix.Mkdev(1, 3))))
	must(os.Symlink("../etc/hostname", filepath.Join(rootfs, "bin/link")))
	must(os.Chown(filepath.Join(rootfs, "etc/hostname"), 1234, 5678))
	sock, err := net.Listen("unix", filepath.Join(rootfs, "sock"))
	must(err)
	defer sock.Close()
	if err := unix.Setxattr(filepath.Join(rootfs, "bin/a"), "user.acikit", []byte("hello"), 0); err != nil {
		testutil.Skip(t, fmt.Sprintf("user xattrs unsupported on %s: %v", dir, err))
	}
	must(unix.Setxattr(rootfs, "user.acikit", []byte("dir"), 0))

	img1, id1 := build(t, dir, BuildOptions{})
	_, id2 := build(t, dir, BuildOptions{})
	if id1 != id2 {
		t.Errorf("Build twice = %s, %s, want the same ID", id1, id2)
	}
	entries, res := readEntries(t, img1)
	if res.ID != id1 {
		t.Errorf("read ID = %s, want %s", res.ID, id1)
	}
	got := map[string]seenEntry{}
	for _, e := range entries {
		got[e.name] = e
	}
	checks := []struct {
		name        string
		typ         byte
		link, xattr string
	}{
		{"rootfs/", tar.TypeDir, "", "dir"},
		{"rootfs/bin/a", tar.TypeReg, "", "hello"},
		{"rootfs/bin/b", tar.TypeLink, "rootfs/bin/a", ""},
		{"rootfs/z", tar.TypeLink, "rootfs/bin/a", ""},
		{"rootfs/fifo", tar.TypeFifo, "", ""},
		{"rootfs/null", tar.TypeChar, "", ""},
		{"rootfs/bin/link", tar.TypeSymlink, "../etc/hostname", ""},
	}
	for _, c := range checks {
		e, ok := got[c.name]
		if !ok || e.typ != c.typ || e.link != c.link || e.xattr != c.xattr {
			t.Errorf("entry %s = %+v (present %v), want type %q link %q xattr %q", c.name, e, ok, c.typ, c.link, c.xattr)
		}
	}
	if _, ok := got["rootfs/sock"]; ok {
		t.Errorf("socket rootfs/sock was packed, want it skipped")
	}
	if e := got["rootfs/etc/hostname"]; e.uid != 1234 {
		t.Errorf("uid of rootfs/etc/hostname = %d, want 1234", e.uid)
	}
	img3, _ := build(t, dir, BuildOptions{OwnerRoot: true})
	entries, _ = readEntries(t, img3)
	for _, e := range entries {
		if e.uid != 0 {
			t.Errorf("OwnerRoot: uid of %s = %d, want 0", e.name, e.uid)
		}
	}
}

func TestBuildRefusesBadLayouts(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"stray", map[string]string{"manifest": testManifest, "rootfs/a": "a", "rootfs.bak": "x"}, "unrecognized file path in layout"},
		{"escaping symlink", map[string]string{"manifest": testManifest, "rootfs/etc/x": "->../../../etc/passwd"}, "escapes rootfs"},
		{"no manifest", map[string]string{"rootfs/a": "a"}, "no image manifest found in layout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			_, err := Build(context.Background(), writeLayout(t, tt.files), &buf, BuildOptions{})
			if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, errkind.Invalid) {
				t.Errorf("Build(%s) = %v, want an Invalid error containing %q", tt.name, err, tt.want)
			}
			if buf.Len() != 0 {
				t.Errorf("Build(%s) wrote %d bytes, want none (w may be stdout)", tt.name, buf.Len())
			}
		})
	}
}

func TestPatch(t *testing.T) {
	dir := writeLayout(t, map[string]string{"manifest": testManifest, "rootfs/etc/hostname": "x\n", "rootfs/bin/sh": "sh"})
	img, oldID := build(t, dir, BuildOptions{})
	for _, kind := range []compress.Kind{compress.Gzip, compress.None} {
		t.Run(kind.String(), func(t *testing.T) {
			var out bytes.Buffer
			id, err := Patch(context.Background(), bytes.NewReader(img), &out, func(m *schema.ImageManifest, raw []byte) ([]byte, error) {
				return bytes.Replace(raw, []byte("example.com/test"), []byte("example.com/patched"), 1), nil
			}, PatchOptions{Write: WriterOptions{Compression: kind}})
			if err != nil {
				t.Fatalf("Patch = %v", err)
			}
			if id == oldID {
				t.Errorf("Patch ID = old ID, want a new one")
			}
			before, _ := readEntries(t, img)
			after, res := readEntries(t, out.Bytes())
			if res.ID != id || res.Manifest.Name.String() != "example.com/patched" {
				t.Errorf("patched image: ID %s name %s, want %s example.com/patched", res.ID, res.Manifest.Name, id)
			}
			if len(before) != len(after) {
				t.Fatalf("patched image has %d entries, want %d", len(after), len(before))
			}
			for i := range before {
				if before[i].name == "manifest" {
					continue
				}
				if before[i] != after[i] {
					t.Errorf("entry %d = %+v, want %+v", i, after[i], before[i])
				}
			}
		})
	}
	boom := errors.New("boom")
	var out bytes.Buffer
	_, err := Patch(context.Background(), bytes.NewReader(img), &out, func(*schema.ImageManifest, []byte) ([]byte, error) { return nil, boom }, PatchOptions{})
	if !errors.Is(err, boom) || out.Len() != 0 {
		t.Errorf("Patch(failing edit) = %v, wrote %d bytes, want boom and nothing written", err, out.Len())
	}
}

func TestWriterRefusesBadEntries(t *testing.T) {
	w, err := NewWriter(io.Discard, WriterOptions{Compression: compress.None})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.AddFile(&tar.Header{Name: "../x", Typeflag: tar.TypeReg}, nil); err == nil || !errors.Is(err, errkind.Invalid) {
		t.Errorf("AddFile(../x) = %v, want an Invalid error", err)
	}
	if err := w.AddFile(&tar.Header{Name: "rootfs", Typeflag: tar.TypeDir, Mode: 0o755}, nil); err != nil {
		t.Fatal(err)
	}
	if err := w.AddFile(&tar.Header{Name: "rootfs/a", Typeflag: tar.TypeReg, Size: 10}, strings.NewReader("short")); err == nil || !strings.Contains(err.Error(), "short content") {
		t.Errorf("AddFile(short body) = %v, want short content", err)
	}
	w2, _ := NewWriter(io.Discard, WriterOptions{})
	w2.AddFile(&tar.Header{Name: "rootfs", Typeflag: tar.TypeDir, Mode: 0o755}, nil)
	if err := w2.Close(); err == nil || !strings.Contains(err.Error(), "no image manifest") {
		t.Errorf("Close without manifest = %v, want no image manifest", err)
	}
}
