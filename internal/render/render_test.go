package render

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/acikit/acikit/internal/aci"
	"github.com/acikit/acikit/internal/errkind"
	"github.com/acikit/acikit/internal/log"
	"github.com/acikit/acikit/internal/store"
	"github.com/acikit/acikit/internal/testutil"
)

// entry is a file ("content"), a directory ("/") or a symlink ("->target")
// in a test image's rootfs.
type files map[string]string

type dep struct {
	Name    string `json:"imageName"`
	ImageID string `json:"imageID,omitempty"`
}

// addImage builds an image from a manifest description and files, imports
// it into st and returns its ID.
func addImage(t *testing.T, st *store.Store, name string, deps []dep, whitelist []string, fs files) string {
	t.Helper()
	dir := t.TempDir()
	m := map[string]any{"acKind": "ImageManifest", "acVersion": "0.8.11", "name": name}
	if len(deps) > 0 {
		m["dependencies"] = deps
	}
	if len(whitelist) > 0 {
		m["pathWhitelist"] = whitelist
	}
	b, _ := json.Marshal(m)
	if err := os.WriteFile(filepath.Join(dir, "manifest"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "rootfs"), 0o755); err != nil {
		t.Fatal(err)
	}
	for p, c := range fs {
		full := filepath.Join(dir, "rootfs", p)
		os.MkdirAll(filepath.Dir(full), 0o755)
		var err error
		switch {
		case c == "/":
			err = os.MkdirAll(full, 0o755)
		case strings.HasPrefix(c, "->"):
			err = os.Symlink(c[2:], full)
		default:
			err = os.WriteFile(full, []byte(c), 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	id, err := aci.Build(context.Background(), dir, &buf, aci.BuildOptions{OwnerRoot: true})
	if err != nil {
		t.Fatalf("build %s: %v", name, err)
	}
	im, err := st.NewImport()
	if err != nil {
		t.Fatal(err)
	}
	im.Write(buf.Bytes())
	if _, err := im.Commit(id, store.Meta{Name: name, Manifest: b}); err != nil {
		t.Fatal(err)
	}
	return id
}

func newStore(t *testing.T) *store.Store {
	st, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func names(ims []Image) []string {
	var out []string
	for _, im := range ims {
		out = append(out, string(im.Manifest.Name))
	}
	return out
}

func TestResolveOrder(t *testing.T) {
	st := newStore(t)
	addImage(t, st, "example.com/d", nil, nil, files{"d": "d"})
	addImage(t, st, "example.com/b", []dep{{Name: "example.com/d"}}, nil, files{"b": "b"})
	addImage(t, st, "example.com/c", []dep{{Name: "example.com/d"}}, nil, files{"c": "c"})
	a := addImage(t, st, "example.com/a", []dep{{Name: "example.com/b"}, {Name: "example.com/c"}}, nil, files{"a": "a"})
	got, err := Resolve(context.Background(), st, a)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"example.com/d", "example.com/b", "example.com/d", "example.com/c", "example.com/a"}
	if diff := cmp.Diff(want, names(got)); diff != "" {
		t.Errorf("Resolve(a) order (-want +got):\n%s", diff)
	}
}

func TestResolveMissing(t *testing.T) {
	st := newStore(t)
	a := addImage(t, st, "example.com/a", []dep{{Name: "example.com/gone"}}, nil, files{"a": "a"})
	_, err := Resolve(context.Background(), st, a)
	var miss *MissingDependencyError
	if !errors.As(err, &miss) || miss.Name != "example.com/gone" || !errors.Is(err, errkind.NotFound) {
		t.Fatalf("Resolve(a) = %v, want a MissingDependencyError for example.com/gone marked NotFound", err)
	}
}

// tree lists a rendered rootfs as files: content, "/" or "->target".
func tree(t *testing.T, dir string) files {
	out := files{}
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		switch {
		case fi.IsDir():
			out[rel] = "/"
		case fi.Mode()&os.ModeSymlink != 0:
			l, _ := os.Readlink(p)
			out[rel] = "->" + l
		default:
			b, _ := os.ReadFile(p)
			out[rel] = string(b)
		}
		return nil
	})
	return out
}

func TestRender(t *testing.T) {
	tests := []struct {
		name  string
		build func(t *testing.T, st *store.Store) string
		want  files
	}{
		{"override: the parent wins", func(t *testing.T, st *store.Store) string {
			addImage(t, st, "example.com/base", nil, nil, files{"etc/os": "base", "bin/sh": "sh"})
			return addImage(t, st, "example.com/app", []dep{{Name: "example.com/base"}}, nil, files{"etc/os": "app"})
		}, files{"etc": "/", "etc/os": "app", "bin": "/", "bin/sh": "sh"}},
		{"later dependency wins over earlier", func(t *testing.T, st *store.Store) string {
			addImage(t, st, "example.com/x", nil, nil, files{"f": "x"})
			addImage(t, st, "example.com/y", nil, nil, files{"f": "y"})
			return addImage(t, st, "example.com/app", []dep{{Name: "example.com/x"}, {Name: "example.com/y"}}, nil, files{"a": "a"})
		}, files{"f": "y", "a": "a"}},
		{"symlinked parent hides what is below it", func(t *testing.T, st *store.Store) string {
			addImage(t, st, "example.com/base", nil, nil, files{"etc/passwd": "base", "etc/group": "g"})
			return addImage(t, st, "example.com/app", []dep{{Name: "example.com/base"}}, nil, files{"etc": "->/host-etc"})
		}, files{"etc": "->/host-etc"}},
		{"own whitelist drops own files only", func(t *testing.T, st *store.Store) string {
			return addImage(t, st, "example.com/app", nil, []string{"/bin/keep"}, files{"bin/keep": "k", "bin/drop": "d", "empty": "/"})
		}, files{"bin": "/", "bin/keep": "k", "empty": "/"}},
		{"whitelist above filters dependencies", func(t *testing.T, st *store.Store) string {
			addImage(t, st, "example.com/base", nil, nil, files{"usr/lib/keep": "k", "usr/lib/drop": "d", "var/x": "/"})
			return addImage(t, st, "example.com/app", []dep{{Name: "example.com/base"}}, []string{"/usr/lib/keep", "/a"}, files{"a": "a"})
		}, files{"usr": "/", "usr/lib": "/", "usr/lib/keep": "k", "a": "a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := newStore(t)
			id := tt.build(t, st)
			opts := Options{Store: st, CacheDir: t.TempDir(), Log: log.ForTest(t.Logf)}
			tr, err := Render(context.Background(), id, opts)
			if err != nil {
				t.Fatalf("Render = %v", err)
			}
			if diff := cmp.Diff(tt.want, tree(t, tr.Rootfs)); diff != "" {
				t.Errorf("Render tree (-want +got):\n%s", diff)
			}
			if string(tr.Manifest.Name) != "example.com/app" || len(tr.Raw) == 0 {
				t.Errorf("Render manifest = %s (%d bytes), want example.com/app", tr.Manifest.Name, len(tr.Raw))
			}
		})
	}
}

func TestRenderCached(t *testing.T) {
	st := newStore(t)
	id := addImage(t, st, "example.com/app", nil, nil, files{"f": "1"})
	opts := Options{Store: st, CacheDir: t.TempDir()}
	first, err := Render(context.Background(), id, opts)
	if err != nil || first.Cached {
		t.Fatalf("first Render = cached %v, %v; want a fresh tree", first != nil && first.Cached, err)
	}
	// A file added to the cached tree survives: the second run must not
	// extract again.
	os.WriteFile(filepath.Join(first.Rootfs, "stamp"), nil, 0o644)
	second, err := Render(context.Background(), id, opts)
	if err != nil || !second.Cached {
		t.Fatalf("second Render = cached %v, %v; want the cached tree", second != nil && second.Cached, err)
	}
	if _, err := os.Stat(filepath.Join(second.Rootfs, "stamp")); err != nil {
		t.Errorf("second Render extracted again: %v", err)
	}
	// Without the marker the tree is incomplete and is rendered afresh.
	os.Remove(filepath.Join(first.Dir, Marker))
	third, err := Render(context.Background(), id, opts)
	if err != nil || third.Cached {
		t.Fatalf("Render without marker = cached %v, %v; want a fresh tree", third != nil && third.Cached, err)
	}
	if _, err := os.Stat(filepath.Join(third.Rootfs, "stamp")); err == nil {
		t.Errorf("Render without marker kept the old tree")
	}
}

func TestRenderHashMismatch(t *testing.T) {
	st := newStore(t)
	id := addImage(t, st, "example.com/app", nil, nil, files{"f": "1"})
	other := newStore(t)
	otherID := addImage(t, other, "example.com/app", nil, nil, files{"f": "2"})
	b, err := os.ReadFile(other.BlobPath(otherID))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(st.BlobPath(id), b, 0o644); err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	_, err = Render(context.Background(), id, Options{Store: st, CacheDir: cache})
	if err == nil || !strings.Contains(err.Error(), "image hash does not match expected") {
		t.Fatalf("Render(tampered blob) = %v, want a hash mismatch", err)
	}
	if _, err := os.Stat(filepath.Join(cache, id)); !os.IsNotExist(err) {
		t.Errorf("Render(tampered blob) left the tree behind: %v", err)
	}
}

func TestNewRootfs(t *testing.T) {
	testutil.RequireRoot(t)
	st := newStore(t)
	id := addImage(t, st, "example.com/app", nil, nil, files{"etc/os": "app", "bin/link": "->../etc/os"})
	tr, err := Render(context.Background(), id, Options{Store: st, CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	for _, noOverlay := range []bool{false, true} {
		dir := filepath.Join(t.TempDir(), "app")
		rf, err := NewRootfs(tr, dir, RootfsOptions{NoOverlay: noOverlay})
		if err != nil {
			t.Fatalf("NewRootfs(noOverlay=%v) = %v", noOverlay, err)
		}
		if rf.Overlay == noOverlay {
			t.Errorf("NewRootfs(noOverlay=%v).Overlay = %v", noOverlay, rf.Overlay)
		}
		if err := os.WriteFile(filepath.Join(rf.Path, "etc/os"), []byte("changed"), 0o644); err != nil {
			t.Fatal(err)
		}
		if got := tree(t, rf.Path); got["bin/link"] != "->../etc/os" || got["etc/os"] != "changed" {
			t.Errorf("NewRootfs(noOverlay=%v) view = %v", noOverlay, got)
		}
		if b, _ := os.ReadFile(filepath.Join(tr.Rootfs, "etc/os")); string(b) != "app" {
			t.Errorf("writing the app's rootfs changed the cached tree: %q", b)
		}
		if err := RemoveRootfs(dir); err != nil {
			t.Fatalf("RemoveRootfs = %v", err)
		}
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("RemoveRootfs left %s: %v", dir, err)
		}
	}
}

func FuzzWhitelist(f *testing.F) {
	f.Add("/usr/lib/x", "rootfs/usr/lib/x", false)
	f.Add("../etc", "rootfs/etc", true)
	f.Fuzz(func(t *testing.T, entry, name string, isDir bool) {
		wl := whitelist([]string{entry})
		got := allowed(name, isDir, wl, true)
		if got && !isDir && name != "rootfs" && !wl[name] {
			t.Errorf("allowed(%q) with whitelist %q = true for a file not listed", name, entry)
		}
		for k := range wl {
			if k != "rootfs" && !strings.HasPrefix(k, "rootfs/") {
				t.Errorf("whitelist(%q) holds %q outside rootfs", entry, k)
			}
		}
	})
}
