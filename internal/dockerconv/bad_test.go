package dockerconv

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/acikit/acikit/internal/errkind"
)

// legacyArchive builds a one-layer legacy docker save archive around layer.
func legacyArchive(t *testing.T, layers ...[]byte) string {
	t.Helper()
	var entries []tarEntry
	parent := ""
	for i, layer := range layers {
		id := strings.Repeat(string(rune('a'+i)), 64)
		js, _ := json.Marshal(map[string]any{"id": id, "parent": parent, "os": "linux", "architecture": "amd64",
			"config": map[string]any{"Cmd": []string{"/bin/sh"}}})
		entries = append(entries, tarEntry{name: id + "/json", data: string(js)}, tarEntry{name: id + "/layer.tar", data: string(layer)})
		parent = id
	}
	repos, _ := json.Marshal(map[string]map[string]string{"bad/image": {"latest": parent}})
	p := filepath.Join(t.TempDir(), "in.tar")
	if err := writeTar(p, append(entries, tarEntry{name: "repositories", data: string(repos)})); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestBadInputs(t *testing.T) {
	good := tarBytes([]tarEntry{{name: "bin/", dir: true}, {name: "bin/x", data: "x"}})
	tests := []struct {
		name  string
		layer []byte
		want  string
	}{
		{"dotdot name", tarBytes([]tarEntry{{name: "../etc/passwd", data: "x"}}), "climbs out of the root"},
		{"dotdot inside name", tarBytes([]tarEntry{{name: "a/../../b", data: "x"}}), "climbs out of the root"},
		{"escaping relative symlink", tarBytes([]tarEntry{{name: "etc/x", sym: true, link: "../../etc/shadow"}}), "points outside the image root"},
		{"escaping absolute symlink", tarBytes([]tarEntry{{name: "x", sym: true, link: "/../etc/shadow"}}), "points outside the image root"},
		{"hard link outside the layer", tarBytes([]tarEntry{{name: "x", hard: true, link: "nope"}}), "no such file earlier in the layer"},
		{"truncated layer", good[:700], "truncated"},
		{"duplicate file", tarBytes([]tarEntry{{name: "a", data: "1"}, {name: "a", data: "2"}}), "duplicate entry"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := legacyArchive(t, tt.layer)
			var buf bytes.Buffer
			_, err := Convert(context.Background(), Source{Kind: Archive, Path: p}, &buf, Options{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Convert(%s) = %v, want an error containing %q", tt.name, err, tt.want)
			}
			if !errors.Is(err, errkind.Invalid) {
				t.Errorf("Convert(%s) error %v is not marked Invalid", tt.name, err)
			}
		})
	}
	t.Run("absolute symlink inside the root is fine", func(t *testing.T) {
		p := legacyArchive(t, tarBytes([]tarEntry{{name: "bin/busybox", data: "bb"}, {name: "bin/sh", sym: true, link: "/bin/busybox"},
			{name: "lib", sym: true, link: "usr/lib"}, {name: "usr/lib/x", sym: true, link: "../../bin/sh"}}))
		if _, err := Convert(context.Background(), Source{Kind: Archive, Path: p}, &bytes.Buffer{}, Options{}); err != nil {
			t.Fatalf("Convert = %v, want nil", err)
		}
	})
}

func TestTruncatedArchive(t *testing.T) {
	f := getFixtures(t)
	b, err := os.ReadFile(f.dockerArchive)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "cut.tar")
	os.WriteFile(p, b[:len(b)/2], 0o644)
	_, err = Convert(context.Background(), Source{Kind: Archive, Path: p}, &bytes.Buffer{}, Options{})
	if err == nil || !strings.Contains(err.Error(), "truncated") || !errors.Is(err, errkind.Invalid) {
		t.Fatalf("Convert(truncated archive) = %v, want an Invalid error saying truncated", err)
	}
}

func TestLayoutDigestMismatch(t *testing.T) {
	f := getFixtures(t)
	dir := filepath.Join(t.TempDir(), "img")
	if err := os.CopyFS(dir, os.DirFS(f.layout)); err != nil {
		t.Fatal(err)
	}
	// Swap the content of the biggest layer blob for another layer's bytes.
	var idx struct {
		Manifests []struct{ Digest string }
	}
	readJSONFile(filepath.Join(dir, "index.json"), &idx)
	var m struct {
		Layers []struct{ Digest string }
	}
	readJSONFile(filepath.Join(dir, "blobs/sha256", strings.TrimPrefix(idx.Manifests[0].Digest, "sha256:")), &m)
	l0 := filepath.Join(dir, "blobs/sha256", strings.TrimPrefix(m.Layers[0].Digest, "sha256:"))
	l2, _ := os.ReadFile(filepath.Join(dir, "blobs/sha256", strings.TrimPrefix(m.Layers[2].Digest, "sha256:")))
	os.Chmod(l0, 0o644)
	if err := os.WriteFile(l0, l2, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Convert(context.Background(), Source{Kind: Layout, Path: dir}, &bytes.Buffer{}, Options{})
	if !errors.Is(err, ErrDigest) {
		t.Fatalf("Convert(tampered layout) = %v, want a digest mismatch", err)
	}
}

func TestMultiImageArchive(t *testing.T) {
	p := legacyArchive(t, tarBytes([]tarEntry{{name: "a", data: "1"}}))
	_, err := Convert(context.Background(), Source{Kind: Archive, Path: p, Ref: "other/image:1"}, &bytes.Buffer{}, Options{})
	if !errors.Is(err, errkind.NotFound) || !strings.Contains(err.Error(), "bad/image:latest") {
		t.Fatalf("Convert(--image missing) = %v, want NotFound listing bad/image:latest", err)
	}
}

// TestBadArchiveFiles: inputs that are not image archives or layouts give one
// Invalid error naming what the user gave (never a spool file), and a path
// that does not exist is NotFound.
func TestBadArchiveFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	notLayout := filepath.Join(dir, "notlayout")
	os.Mkdir(notLayout, 0o755)
	tests := []struct {
		name  string
		src   Source
		stdin []byte
		want  string
		kind  error
	}{
		{"text file", Source{Kind: Archive, Path: write("notes.txt", []byte("hello\n"))}, nil, "notes.txt: not a tar archive", errkind.Invalid},
		{"empty file", Source{Kind: Archive, Path: write("empty.tar", nil)}, nil, "empty.tar: empty archive", errkind.Invalid},
		{"empty stdin", Source{Kind: Archive, Path: "-"}, []byte{}, "standard input: empty archive", errkind.Invalid},
		{"text on stdin", Source{Kind: Archive, Path: "-"}, []byte("hello\n"), "standard input: not a tar archive", errkind.Invalid},
		{"tar of other files", Source{Kind: Archive, Path: write("other.tar", tarBytes([]tarEntry{{name: "x", data: "1"}}))}, nil,
			"other.tar: not an image archive", errkind.Invalid},
		{"directory without index.json", Source{Kind: Layout, Path: notLayout}, nil, "not an OCI layout", errkind.Invalid},
		{"missing file", Source{Kind: Archive, Path: filepath.Join(dir, "nope.tar")}, nil, "nope.tar", errkind.NotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.src.Stdin = bytes.NewReader(tt.stdin)
			_, err := Convert(context.Background(), tt.src, &bytes.Buffer{}, Options{TempDir: t.TempDir()})
			if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, tt.kind) {
				t.Fatalf("Convert(%s) = %v, want a %v error containing %q", tt.name, err, tt.kind, tt.want)
			}
			if strings.Contains(err.Error(), "spool") {
				t.Errorf("Convert(%s) = %v, names the spool file", tt.name, err)
			}
		})
	}
}

func TestParseSourceBad(t *testing.T) {
	for _, arg := range []string{"", "docker://", "oci:", "oci::tag", "oci-archive:", "docker-archive::x"} {
		if _, err := ParseSource(arg, ""); !errors.Is(err, errkind.Usage) {
			t.Errorf("ParseSource(%q) = %v, want a usage error", arg, err)
		}
	}
}

// TestFileBase: names from archives become one safe, visible file name that
// no shell or tool reads as a flag.
func TestFileBase(t *testing.T) {
	tests := []struct{ repo, tag, want string }{
		{"library/busybox", "latest", "library-busybox-latest"},
		{"127.0.0.1:5000/x", "1.0", "127.0.0.1_5000-x-1.0"},
		{"../../etc/passwd", "", "etc-passwd"},
		{"-rf", "", "rf"},
		{"...", "", "image"},
		{"", "", "image"},
		{"a b/c", "t/../u", "a_b-c-t_.._u"},
	}
	for _, tt := range tests {
		im := &Image{repository: tt.repo, tag: tt.tag}
		if got := im.FileBase(); got != tt.want {
			t.Errorf("FileBase(%q, %q) = %q, want %q", tt.repo, tt.tag, got, tt.want)
		}
	}
}
