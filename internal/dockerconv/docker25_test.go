package dockerconv

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// docker25Archive packs an OCI layout the way `docker save` has since Docker
// 25: the OCI layout itself (oci-layout, index.json, blobs/sha256/...) plus a
// legacy manifest.json whose Config and Layers are paths into blobs/.
func docker25Archive(t *testing.T, layout, repoTag string) string {
	t.Helper()
	readJSON := func(p string, v any) {
		b, err := os.ReadFile(filepath.Join(layout, p))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatal(err)
		}
	}
	blob := func(digest string) string { return "blobs/sha256/" + strings.TrimPrefix(digest, "sha256:") }
	var index struct {
		Manifests []struct{ Digest string } `json:"manifests"`
	}
	readJSON("index.json", &index)
	if len(index.Manifests) == 0 {
		t.Fatal("layout has no manifest")
	}
	var man struct {
		Config struct{ Digest string }   `json:"config"`
		Layers []struct{ Digest string } `json:"layers"`
	}
	readJSON(blob(index.Manifests[0].Digest), &man)
	legacy := []map[string]any{{"Config": blob(man.Config.Digest), "RepoTags": []string{repoTag}}}
	var layers []string
	for _, l := range man.Layers {
		layers = append(layers, blob(l.Digest))
	}
	legacy[0]["Layers"] = layers
	mj, _ := json.Marshal(legacy)

	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	err := filepath.WalkDir(layout, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == layout {
			return err
		}
		rel, _ := filepath.Rel(layout, p)
		if d.IsDir() {
			return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: rel + "/", Mode: 0o755})
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: rel, Mode: 0o644, Size: int64(len(b))}); err != nil {
			return err
		}
		_, err = tw.Write(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: "manifest.json", Mode: 0o644, Size: int64(len(mj))})
	tw.Write(mj)
	tw.Close()
	out := filepath.Join(t.TempDir(), "docker25.tar")
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

// A Docker 25+ `docker save` archive (an OCI layout with manifest.json)
// converts to the same files and manifest as the layout it was made from.
func TestConvertDocker25Archive(t *testing.T) {
	f := getFixtures(t)
	arc := docker25Archive(t, f.layout, "research/busybox-docker25:latest")
	src, err := ParseSource(arc, "")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	res, err := Convert(context.Background(), src, &buf, Options{})
	if err != nil {
		t.Fatalf("Convert(docker 25 archive) = %v, want nil", err)
	}
	validate(t, buf.Bytes(), res.ID)
	names, data := aciContent(t, buf.Bytes())
	if diff := cmp.Diff(wantFiles, names); diff != "" {
		t.Errorf("Convert(docker 25 archive) entries (-want +got):\n%s", diff)
	}
	if data["rootfs/opt/opq/new.txt"] != "new\n" {
		t.Errorf("rootfs/opt/opq/new.txt = %q, want %q", data["rootfs/opt/opq/new.txt"], "new\n")
	}
	checkManifest(t, res.Manifest, "research/busybox-docker25", "latest")
}
