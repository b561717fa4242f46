package dockerconv

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/acikit/acikit/internal/aci"
	"github.com/acikit/acikit/internal/compress"
	"github.com/acikit/acikit/internal/schema"
	"github.com/acikit/acikit/internal/testutil"
	"github.com/google/go-cmp/cmp"
)

// wantFiles is the squashed tree of the fixture image: opt/delete-me (file
// whiteout), opt/gone (directory whiteout) and opt/opq/old.txt (opaque
// directory) are gone; the "." entry became nothing; /dev links added.
var wantFiles = []string{
	"manifest", "rootfs", "rootfs/bin", "rootfs/bin/busybox", "rootfs/bin/ls", "rootfs/bin/sh",
	"rootfs/dev", "rootfs/dev/fd", "rootfs/dev/stderr", "rootfs/dev/stdin", "rootfs/dev/stdout",
	"rootfs/etc", "rootfs/etc/group", "rootfs/etc/passwd",
	"rootfs/opt", "rootfs/opt/hl-link", "rootfs/opt/hl-orig", "rootfs/opt/keep", "rootfs/opt/keep/a.txt",
	"rootfs/opt/keep/b.txt", "rootfs/opt/opq", "rootfs/opt/opq/new.txt",
	"rootfs/var", "rootfs/var/log", "rootfs/var/log/.keep",
}

// aciContent reads an ACI: entry names (sorted) and the content of regular
// files, hard links resolved.
func aciContent(t *testing.T, b []byte) ([]string, map[string]string) {
	t.Helper()
	zr, _, err := compress.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	var names []string
	data := map[string]string{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, strings.TrimSuffix(h.Name, "/"))
		switch h.Typeflag {
		case tar.TypeReg:
			c, _ := io.ReadAll(tr)
			data[h.Name] = string(c)
		case tar.TypeLink:
			data[h.Name] = data[h.Linkname]
		case tar.TypeSymlink:
			data[h.Name] = "-> " + h.Linkname
		}
	}
	sort.Strings(names)
	return names, data
}

// validate checks an ACI with our aci package and, when it can be built,
// the reference actool.
func validate(t *testing.T, b []byte, id string) {
	t.Helper()
	res, err := aci.Validate(context.Background(), bytes.NewReader(b), aci.ValidateOptions{})
	if err != nil {
		t.Fatalf("aci.Validate = %v, want nil", err)
	}
	if res.ID != id {
		t.Errorf("aci.Validate ID = %s, want %s (Result.ID)", res.ID, id)
	}
	if os.Getenv("DOCKERCONV_REFERENCE") != "0" {
		p := filepath.Join(t.TempDir(), "x.aci")
		os.WriteFile(p, b, 0o644)
		if v := testutil.ReferenceValidate(t, "appimage", p); !v.Valid {
			t.Errorf("reference actool validate = %s, want valid", v)
		}
	}
}

func checkManifest(t *testing.T, m *schema.ImageManifest, name, version string) {
	t.Helper()
	if string(m.Name) != name {
		t.Errorf("name = %q, want %q", m.Name, name)
	}
	for _, l := range [][2]string{{"version", version}, {"os", "linux"}, {"arch", "amd64"}} {
		if v, _ := m.Labels.Get(l[0]); v != l[1] {
			t.Errorf("label %s = %q, want %q", l[0], v, l[1])
		}
	}
	a := m.App
	if a == nil {
		t.Fatal("app = nil, want an app")
	}
	if diff := cmp.Diff([]string{"/bin/sh", "-c", "echo hi"}, []string(a.Exec)); diff != "" {
		t.Errorf("exec (-want +got):\n%s", diff)
	}
	if a.User != "app" || a.Group != "app" || a.WorkingDirectory != "/opt" {
		t.Errorf("user, group, wd = %q, %q, %q, want app, app, /opt", a.User, a.Group, a.WorkingDirectory)
	}
	if v, _ := a.Environment.Get("FOO"); v != "bar" {
		t.Errorf("env FOO = %q, want bar", v)
	}
	var ports, mps []string
	for _, p := range a.Ports {
		ports = append(ports, string(p.Name)+" "+p.Protocol)
	}
	for _, mp := range a.MountPoints {
		mps = append(mps, string(mp.Name)+" "+mp.Path)
	}
	if diff := cmp.Diff([]string{"53-udp udp", "8080-tcp tcp"}, ports); diff != "" {
		t.Errorf("ports (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"volume-data /data", "volume-var-log /var/log"}, mps); diff != "" {
		t.Errorf("mountPoints (-want +got):\n%s", diff)
	}
	if a.UserLabels["com.example.k"] != "v" {
		t.Errorf("userLabels = %v, want com.example.k=v", a.UserLabels)
	}
	if v, _ := m.Annotations.Get("authors"); v != "A U Thor" {
		t.Errorf("annotation authors = %q, want A U Thor", v)
	}
	for _, k := range []string{"created", annoImageID, annoManifestHash, annoEntrypoint, annoCmd, annoRepository} {
		if _, ok := m.Annotations.Get(k); !ok {
			t.Errorf("annotation %s missing", k)
		}
	}
}

func TestConvertFixtures(t *testing.T) {
	f := getFixtures(t)
	tests := []struct {
		name, arg, image string
		wantName, ver    string
	}{
		{"oci layout dir", f.layout, "", "img", "latest"},
		{"oci layout with tag", "oci:" + f.layout + ":latest", "", "img", "latest"},
		{"oci-archive", f.ociArchive, "", "oci", "latest"},
		{"docker-archive (symlinked layer.tar)", f.dockerArchive, "", "research/busybox-appc", "latest"},
		{"docker-archive --image", f.dockerArchive, "docker.io/research/busybox-appc:latest", "research/busybox-appc", "latest"},
		{"legacy archive", f.legacy, "", "research/busybox-legacy", "1.0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, err := ParseSource(tt.arg, tt.image)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			res, err := Convert(context.Background(), src, &buf, Options{})
			if err != nil {
				t.Fatalf("Convert(%s) = %v, want nil", tt.arg, err)
			}
			validate(t, buf.Bytes(), res.ID)
			names, data := aciContent(t, buf.Bytes())
			if diff := cmp.Diff(wantFiles, names); diff != "" {
				t.Errorf("Convert(%s) entries (-want +got):\n%s", tt.arg, diff)
			}
			for p, want := range map[string]string{"rootfs/opt/hl-orig": "changed\n", "rootfs/opt/hl-link": "changed\n",
				"rootfs/opt/keep/b.txt": "b\n", "rootfs/bin/sh": "-> /bin/busybox", "rootfs/opt/opq/new.txt": "new\n"} {
				if data[p] != want {
					t.Errorf("Convert(%s) %s = %q, want %q", tt.arg, p, data[p], want)
				}
			}
			checkManifest(t, res.Manifest, tt.wantName, tt.ver)
		})
	}
}

func TestConvertStdinSpool(t *testing.T) {
	f := getFixtures(t)
	in, err := os.Open(f.dockerArchive)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	var buf bytes.Buffer
	res, err := Convert(context.Background(), Source{Kind: Archive, Path: "-", Stdin: in}, &buf, Options{TempDir: t.TempDir(), Compression: "none"})
	if err != nil {
		t.Fatalf("Convert(stdin) = %v, want nil", err)
	}
	validate(t, buf.Bytes(), res.ID)
	if names, _ := aciContent(t, buf.Bytes()); !cmp.Equal(wantFiles, names) {
		t.Errorf("Convert(stdin) entries = %v, want %v", names, wantFiles)
	}
}

func TestNoSquash(t *testing.T) {
	f := getFixtures(t)
	src, _ := ParseSource(f.layout, "")
	im, err := Open(context.Background(), src, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer im.Close()
	bufs := map[int]*bytes.Buffer{}
	res, err := im.WriteLayers(context.Background(), func(n int) (io.Writer, error) {
		bufs[n] = &bytes.Buffer{}
		return bufs[n], nil
	})
	if err != nil {
		t.Fatalf("WriteLayers = %v, want nil", err)
	}
	if len(res) != 3 {
		t.Fatalf("WriteLayers wrote %d images, want 3", len(res))
	}
	for i, r := range res {
		validate(t, bufs[len(res)-1-i].Bytes(), r.ID)
		if i == 0 {
			if len(r.Manifest.Dependencies) != 0 {
				t.Errorf("base layer dependencies = %v, want none", r.Manifest.Dependencies)
			}
			continue
		}
		deps := r.Manifest.Dependencies
		if len(deps) != 1 || deps[0].ImageID == nil || deps[0].ImageID.String() != res[i-1].ID || deps[0].ImageName != res[i-1].Manifest.Name {
			t.Errorf("layer %d dependencies = %+v, want the layer below (%s %s)", i, deps, res[i-1].Manifest.Name, res[i-1].ID)
		}
		if v, _ := deps[0].Labels.Get("arch"); v != "amd64" {
			t.Errorf("layer %d dependency labels = %v, want the dependency's own os/arch", i, deps[0].Labels)
		}
	}
	top := res[2].Manifest
	var want []string
	for _, n := range wantFiles {
		if p, ok := strings.CutPrefix(n, "rootfs/"); ok {
			want = append(want, "/"+p)
		}
	}
	if diff := cmp.Diff(want, top.PathWhitelist); diff != "" {
		t.Errorf("top pathWhitelist (-want +got):\n%s", diff)
	}
	checkManifest(t, top, "img", "latest")
	if !strings.HasPrefix(string(res[0].Manifest.Name), "img-") {
		t.Errorf("base layer name = %q, want img-<layer id>", res[0].Manifest.Name)
	}
}
