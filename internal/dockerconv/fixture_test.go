package dockerconv

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/acikit/acikit/internal/testutil"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// fixtures are images built once per test process with Debian's umoci and
// skopeo from a busybox-static rootfs.
type fixtures struct {
	dir           string
	layout        string // OCI layout, tag "latest"
	ociArchive    string
	dockerArchive string // skopeo: layer.tar entries are symlinks
	legacy        string // repositories + <id>/json + <id>/layer.tar as real files
}

var (
	fixOnce sync.Once
	fix     *fixtures
	fixErr  string
	fixDir  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if fixDir != "" {
		os.RemoveAll(fixDir)
	}
	os.Exit(code)
}

func run(name string, args ...string) error {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		return &exec.Error{Name: name + " " + strings.Join(args, " ") + ": " + string(out), Err: err}
	}
	return nil
}

// getFixtures builds: layer 1 a busybox rootfs (with a hard link pair and a
// "." entry, as umoci writes), layer 2 deleting a file and a directory and
// rewriting the hard-linked file, layer 3 (hand-made) making /opt/opq opaque.
func getFixtures(t *testing.T) *fixtures {
	t.Helper()
	testutil.RequireCommand(t, "umoci", "umoci")
	testutil.RequireCommand(t, "skopeo", "skopeo")
	bb := testutil.RequireCommand(t, "busybox", "busybox-static")
	fixOnce.Do(func() {
		d, err := os.MkdirTemp("", "dockerconv-fixtures-")
		if err != nil {
			fixErr = err.Error()
			return
		}
		fixDir = d
		f, err := buildFixtures(d, bb)
		if err != nil {
			fixErr = err.Error()
			return
		}
		fix = f
	})
	if fix == nil {
		t.Fatalf("build fixtures: %s", fixErr)
	}
	return fix
}

func buildFixtures(d, busybox string) (*fixtures, error) {
	f := &fixtures{dir: d, layout: filepath.Join(d, "img"), ociArchive: filepath.Join(d, "oci.tar"),
		dockerArchive: filepath.Join(d, "docker.tar"), legacy: filepath.Join(d, "legacy.tar")}
	img := f.layout + ":latest"
	steps := [][]string{{"umoci", "init", "--layout", f.layout}, {"umoci", "new", "--image", img},
		{"umoci", "unpack", "--image", img, filepath.Join(d, "b1")}}
	for _, s := range steps {
		if err := run(s[0], s[1:]...); err != nil {
			return nil, err
		}
	}
	r := filepath.Join(d, "b1", "rootfs")
	files := map[string]string{
		"etc/passwd":      "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n",
		"etc/group":       "root:x:0:\napp:x:1000:\n",
		"opt/keep/a.txt":  "a\n",
		"opt/delete-me":   "del\n",
		"opt/gone/sub/g":  "g\n",
		"opt/opq/old.txt": "old\n",
		"opt/hl-orig":     "hl\n",
		"var/log/.keep":   "",
	}
	for p, c := range files {
		if err := os.MkdirAll(filepath.Join(r, filepath.Dir(p)), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(r, p), []byte(c), 0o644); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(filepath.Join(r, "bin"), 0o755); err != nil {
		return nil, err
	}
	bbData, err := os.ReadFile(busybox)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(r, "bin/busybox"), bbData, 0o755); err != nil {
		return nil, err
	}
	for _, l := range [][2]string{{"/bin/busybox", "bin/sh"}, {"busybox", "bin/ls"}} {
		if err := os.Symlink(l[0], filepath.Join(r, l[1])); err != nil {
			return nil, err
		}
	}
	if err := os.Link(filepath.Join(r, "opt/hl-orig"), filepath.Join(r, "opt/hl-link")); err != nil {
		return nil, err
	}
	if err := run("umoci", "repack", "--image", img, filepath.Join(d, "b1")); err != nil {
		return nil, err
	}
	if err := run("umoci", "unpack", "--image", img, filepath.Join(d, "b2")); err != nil {
		return nil, err
	}
	r = filepath.Join(d, "b2", "rootfs")
	os.Remove(filepath.Join(r, "opt/delete-me"))
	os.RemoveAll(filepath.Join(r, "opt/gone"))
	os.WriteFile(filepath.Join(r, "opt/keep/b.txt"), []byte("b\n"), 0o644)
	os.WriteFile(filepath.Join(r, "opt/hl-orig"), []byte("changed\n"), 0o644) // also changes hl-link
	if err := run("umoci", "repack", "--image", img, filepath.Join(d, "b2")); err != nil {
		return nil, err
	}
	// umoci writes per-file whiteouts only; an opaque directory is made by hand.
	l3 := filepath.Join(d, "l3.tar")
	if err := writeTar(l3, []tarEntry{{name: "opt/", dir: true}, {name: "opt/opq/", dir: true},
		{name: "opt/opq/.wh..wh..opq"}, {name: "opt/opq/new.txt", data: "new\n"}}); err != nil {
		return nil, err
	}
	steps = [][]string{
		{"umoci", "raw", "add-layer", "--image", img, l3},
		{"umoci", "config", "--image", img, "--config.user", "app", "--config.exposedports", "8080/tcp",
			"--config.exposedports", "53/udp", "--config.volume", "/data", "--config.volume", "/var/log",
			"--config.env", "FOO=bar", "--config.env", "PATH=/bin", "--config.entrypoint", "/bin/sh",
			"--config.cmd", "-c", "--config.cmd", "echo hi", "--config.workingdir", "/opt",
			"--config.label", "com.example.k=v", "--author", "A U Thor", "--os", "linux", "--architecture", "amd64"},
		{"skopeo", "copy", "-q", "oci:" + img, "oci-archive:" + f.ociArchive + ":latest"},
		{"skopeo", "copy", "-q", "oci:" + img, "docker-archive:" + f.dockerArchive + ":research/busybox-appc:latest"},
	}
	for _, s := range steps {
		if err := run(s[0], s[1:]...); err != nil {
			return nil, err
		}
	}
	if err := buildLegacy(f.layout, f.legacy); err != nil {
		return nil, err
	}
	return f, nil
}

type tarEntry struct {
	name, data, link string
	dir, sym, hard   bool
}

func tarBytes(entries []tarEntry) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Mode: 0o644, Size: int64(len(e.data)), Typeflag: tar.TypeReg}
		switch {
		case e.dir:
			h.Typeflag, h.Mode, h.Size = tar.TypeDir, 0o755, 0
		case e.sym:
			h.Typeflag, h.Linkname, h.Size = tar.TypeSymlink, e.link, 0
		case e.hard:
			h.Typeflag, h.Linkname, h.Size = tar.TypeLink, e.link, 0
		}
		tw.WriteHeader(h)
		io.WriteString(tw, e.data)
	}
	tw.Close()
	return buf.Bytes()
}

func writeTar(path string, entries []tarEntry) error {
	return os.WriteFile(path, tarBytes(entries), 0o644)
}

// buildLegacy assembles a pre-1.10 docker save archive from the layout's
// layers: repositories, and per layer <id>/json (v1 image JSON chained by
// parent) and <id>/layer.tar as a real file.
func buildLegacy(layout, out string) error {
	var idx v1.IndexManifest
	if err := readJSONFile(filepath.Join(layout, "index.json"), &idx); err != nil {
		return err
	}
	var m v1.Manifest
	if err := readJSONFile(blobPath(layout, idx.Manifests[0].Digest), &m); err != nil {
		return err
	}
	var cfg map[string]any
	if err := readJSONFile(blobPath(layout, m.Config.Digest), &cfg); err != nil {
		return err
	}
	var entries []tarEntry
	parent := ""
	for i, l := range m.Layers {
		zr, err := os.Open(blobPath(layout, l.Digest))
		if err != nil {
			return err
		}
		gz, err := gzip.NewReader(zr)
		if err != nil {
			return err
		}
		data, err := io.ReadAll(gz)
		zr.Close()
		if err != nil {
			return err
		}
		sum := sha256.Sum256([]byte(parent + l.Digest.String()))
		id := hex.EncodeToString(sum[:])
		js := map[string]any{"id": id, "created": cfg["created"]}
		if parent != "" {
			js["parent"] = parent
		}
		if i == len(m.Layers)-1 {
			for _, k := range []string{"config", "author", "architecture", "os"} {
				js[k] = cfg[k]
			}
		}
		b, _ := json.Marshal(js)
		entries = append(entries, tarEntry{name: id + "/", dir: true}, tarEntry{name: id + "/VERSION", data: "1.0"},
			tarEntry{name: id + "/json", data: string(b)}, tarEntry{name: id + "/layer.tar", data: string(data)})
		parent = id
	}
	repos, _ := json.Marshal(map[string]map[string]string{"research/busybox-legacy": {"1.0": parent}})
	entries = append(entries, tarEntry{name: "repositories", data: string(repos)})
	return writeTar(out, entries)
}

func blobPath(layout string, h v1.Hash) string {
	return filepath.Join(layout, "blobs", h.Algorithm, h.Hex)
}

func readJSONFile(p string, v any) error {
	b, err := os.ReadFile(p)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}
