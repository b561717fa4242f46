package dockerconv

import (
	"bytes"
	"context"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
)

func FuzzParseConfig(f *testing.F) {
	for _, s := range []string{
		`{"architecture":"amd64","os":"linux","config":{"User":"app:grp","Env":["A=1","B"],"Cmd":"sh","Entrypoint":null,"ExposedPorts":{"80/tcp":{}},"Volumes":{"/v":{}},"Labels":{"k":"v"}},"rootfs":{"type":"layers","diff_ids":["sha256:00"]}}`,
		`{"id":"ab","parent":"cd","created":"2016-01-01T00:00:00Z","config":{"Cmd":["a","b"],"PortSpecs":["53/udp","x"]}}`,
		`{}`, `null`, `[]`,
	} {
		f.Add([]byte(s))
	}
	if b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "docker", "config.json")); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := parseConfig(data)
		if err != nil {
			return
		}
		// Whatever the config says, the mapping must not panic and must
		// produce an app that validates, or no app.
		im := &Image{cfg: c, opts: &Options{}, repository: "x"}
		m, err := im.manifest(nil)
		if err != nil {
			return
		}
		if err := m.AssertValid(); err != nil {
			t.Errorf("manifest from config %q does not validate: %v", data, err)
		}
	})
}

func FuzzWhiteoutPaths(f *testing.F) {
	for _, s := range []string{"a/.wh.b", ".wh..wh..opq", "a/b/.wh..wh..opq", ".wh.", "./.wh..", "../x", "a/../b", "/abs", ".", "./", "a//b/./c"} {
		f.Add(s, "../x")
	}
	f.Fuzz(func(t *testing.T, name, link string) {
		p, err := cleanName(name)
		if err != nil {
			return
		}
		if p != "" && (strings.HasPrefix(p, "/") || path.Clean(p) != p || p == ".." || strings.HasPrefix(p, "../")) {
			t.Fatalf("cleanName(%q) = %q, not a clean local path", name, p)
		}
		kind, target := parseWhiteout(p)
		switch kind {
		case whiteoutFile:
			if target == "" || path.Base(target) == "." || strings.Contains("/"+target+"/", "/../") {
				t.Fatalf("parseWhiteout(%q) target %q", p, target)
			}
			if path.Dir(target) != path.Dir(p) {
				t.Fatalf("parseWhiteout(%q) = %q, not a sibling", p, target)
			}
		case whiteoutOpaque:
			if target != strings.TrimSuffix(path.Dir(p), ".") && !(target == "" && path.Dir(p) == ".") {
				t.Fatalf("parseWhiteout(%q) opaque dir %q", p, target)
			}
		}
		if p != "" && !symlinkEscapes(p, link) {
			base := "/" + path.Dir(p)
			if strings.HasPrefix(link, "/") {
				base = "/"
			}
			// A link judged safe must clean to a path inside the root even
			// when resolved from a root nested one level deeper.
			if r := path.Join("/root", base, link); r != "/root" && !strings.HasPrefix(r, "/root/") {
				t.Fatalf("symlinkEscapes(%q, %q) = false but it resolves to %s", p, link, r)
			}
		}
	})
}

// FuzzLegacyArchive feeds arbitrary layer bytes and repositories files
// through the legacy reader and the squasher: errors are fine, panics and
// hangs are not.
func FuzzLegacyArchive(f *testing.F) {
	f.Add(tarBytes([]tarEntry{{name: ".", dir: true}, {name: "a/.wh.b"}, {name: "c", data: "x"}, {name: "d", hard: true, link: "c"}}), `{"bad/image":{"latest":"`+strings.Repeat("a", 64)+`"}}`)
	f.Add([]byte("not a tar"), `{}`)
	f.Fuzz(func(t *testing.T, layer []byte, repos string) {
		id := strings.Repeat("a", 64)
		dir := t.TempDir()
		p := filepath.Join(dir, "in.tar")
		js := `{"id":"` + id + `","config":{"Cmd":["sh"]}}`
		if err := writeTar(p, []tarEntry{{name: id + "/json", data: js}, {name: id + "/layer.tar", data: string(layer)}, {name: "repositories", data: repos}}); err != nil {
			t.Fatal(err)
		}
		Convert(context.Background(), Source{Kind: Archive, Path: p}, &bytes.Buffer{}, Options{Compression: "none"})
	})
}
