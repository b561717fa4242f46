package dockerconv

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/acikit/acikit/internal/schema"
)

// An image without Entrypoint and Cmd still maps its other run settings:
// exec is optional in an AppC app (aci.md), so the app keeps its
// environment, working directory and user, with no exec.
func TestConvertNoCommand(t *testing.T) {
	id := strings.Repeat("a", 64)
	js, _ := json.Marshal(map[string]any{"id": id, "os": "linux", "architecture": "amd64",
		"config": map[string]any{"Env": []string{"A=1"}, "WorkingDir": "/w", "User": "10:20"}})
	repos, _ := json.Marshal(map[string]map[string]string{"base/image": {"latest": id}})
	p := filepath.Join(t.TempDir(), "in.tar")
	layer := tarBytes([]tarEntry{{name: "bin/", dir: true}, {name: "bin/x", data: "x"}})
	if err := writeTar(p, []tarEntry{{name: id + "/json", data: string(js)}, {name: id + "/layer.tar", data: string(layer)},
		{name: "repositories", data: string(repos)}}); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	res, err := Convert(context.Background(), Source{Kind: Archive, Path: p}, &buf, Options{})
	if err != nil {
		t.Fatalf("Convert(no Cmd) = %v", err)
	}
	app := res.Manifest.App
	if app == nil {
		t.Fatalf("Convert(no Cmd) manifest has no app, want one without exec")
	}
	if len(app.Exec) != 0 || app.WorkingDirectory != "/w" || app.User != "10" || app.Group != "20" {
		t.Errorf("Convert(no Cmd) app = %+v, want no exec, /w, 10:20", app)
	}
	if v, _ := app.Environment.Get("A"); v != "1" {
		t.Errorf("Convert(no Cmd) environment = %v, want A=1", app.Environment)
	}
	b, err := json.Marshal(res.Manifest)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := schema.ParseImageManifest(b); err != nil {
		t.Errorf("ParseImageManifest(converted) = %v, want valid:\n%s", err, b)
	}
}
