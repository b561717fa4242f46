package schema

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/acikit/acikit/internal/errkind"
	"github.com/acikit/acikit/internal/schema/types"
)

func TestSniffKind(t *testing.T) {
	tests := []struct {
		in      string
		want    types.ACKind
		wantErr string
	}{
		{`{"acKind":"ImageManifest","acVersion":"0.8.11"}`, KindImage, ""},
		{`{"acKind":"PodManifest"}`, KindPod, ""},
		{`{"ACKIND":"PodManifest"}`, KindPod, ""},
		{`{"acVersion":"0.8.11"}`, "", "acKind: ACKind must be set"},
		{`{"acKind":"PodManifest","acVersion":"0.0.0"}`, "", "acVersion: SemVer cannot be zero"},
		{`{"acKind":"Other"}`, "", "acKind: bad ACKind: Other"},
		{`{"acKind":`, "", "line 1, column 10: unexpected end of JSON input"},
		{``, "", "line 1, column 1: empty manifest"},
		{`null`, "", "acKind: ACKind must be set"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := SniffKind([]byte(tt.in))
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
				if !errors.Is(err, errkind.Invalid) {
					t.Errorf("SniffKind(%q) error %v is not errkind.Invalid", tt.in, err)
				}
			}
			if got != tt.want || gotErr != tt.wantErr {
				t.Errorf("SniffKind(%q) = %q, %q, want %q, %q", tt.in, got, gotErr, tt.want, tt.wantErr)
			}
		})
	}
}

func TestErrorPositions(t *testing.T) {
	in := "{\n  \"acKind\": \"ImageManifest\",\n  \"name\": \"x\" \"y\"\n}"
	_, err := ParseImageManifest([]byte(in))
	var se *Error
	if !errors.As(err, &se) || se.Line != 3 || se.Column != 15 {
		t.Fatalf("ParseImageManifest(syntax error) = %#v, want line 3 column 15", err)
	}
	_, err = ParseImageManifest([]byte(`{"acKind":"ImageManifest","acVersion":"0.8.11","name":"a","app":{"exec":["/x"],"user":"0","group":"0","environment":[{"name":"1X","value":""}]}}`))
	if !errors.As(err, &se) || se.Path != "app.environment[0].name" {
		t.Fatalf("ParseImageManifest(bad env) = %v, want path app.environment[0].name", err)
	}
	var ve *types.ValueError
	if !errors.As(err, &ve) || !errors.Is(err, types.ErrEnvironment) {
		t.Errorf("error %v does not unwrap to a types.ErrEnvironment *ValueError", err)
	}
}

func TestMarshalImageManifest(t *testing.T) {
	m := BlankImageManifest()
	m.Name = types.MustACIdentifier("example.com/app")
	m.App = &types.App{Exec: types.Exec{"/bin/app"}, User: "0", Group: "0"}
	m.Labels = types.Labels{{Name: "os", Value: "linux"}}
	m.PathWhitelist = []string{"/bin/app"}
	m.Annotations = types.Annotations{{Name: "authors", Value: "me"}}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/app","labels":[{"name":"os","value":"linux"}],"app":{"exec":["/bin/app"],"user":"0","group":"0"},"annotations":[{"name":"authors","value":"me"}],"pathWhitelist":["/bin/app"]}`
	if string(b) != want {
		t.Errorf("Marshal = %s\nwant      %s", b, want)
	}
	m.Name = "Bad"
	if _, err := json.Marshal(m); err == nil || !errors.Is(err, errkind.Invalid) {
		t.Errorf("Marshal(bad name) = %v, want an Invalid error", err)
	}
	m.Name = ""
	if _, err := m.MarshalJSON(); err == nil || err.Error() != "name: name must be set" {
		t.Errorf("MarshalJSON(no name) = %v, want name: name must be set", err)
	}
}

func TestMarshalPodManifest(t *testing.T) {
	p := BlankPodManifest()
	p.Apps = AppList{{Name: "web", Image: RuntimeImage{ID: types.MustHash("sha512-" + strings.Repeat("0", 128))}}}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"acVersion":"0.8.11","acKind":"PodManifest","apps":[{"name":"web","image":{"id":"sha512-` + strings.Repeat("0", 128) + `"}}]}`
	if string(b) != want {
		t.Errorf("Marshal = %s\nwant      %s", b, want)
	}
	if p.Apps.Get("web") == nil || p.Apps.Get("db") != nil {
		t.Errorf("AppList.Get misbehaves")
	}
	p.Apps = append(p.Apps, p.Apps[0])
	if _, err := p.MarshalJSON(); err == nil || err.Error() != `apps[1].name: duplicate apps of name "web"` {
		t.Errorf("MarshalJSON(duplicate apps) = %v", err)
	}
}

// FuzzImageManifest and FuzzPodManifest check the parsers never panic and
// that whatever parses survives marshal and parse again.
func FuzzImageManifest(f *testing.F) { fuzzManifest(f, "ImageManifest") }
func FuzzPodManifest(f *testing.F)   { fuzzManifest(f, "PodManifest") }

func fuzzManifest(f *testing.F, kind string) {
	for _, sub := range []string{"good", "bad"} {
		for _, p := range corpus(f, sub) {
			b, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			if strings.Contains(string(b), kind) {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = SniffKind(b)
		var m any
		var err error
		if kind == "PodManifest" {
			m, err = ParsePodManifest(b)
		} else {
			m, err = ParseImageManifest(b)
		}
		if err != nil {
			var se *Error
			if !errors.As(err, &se) || !errors.Is(err, errkind.Invalid) {
				t.Fatalf("error %v (%T) is not an Invalid *schema.Error", err, err)
			}
			return
		}
		out, err := json.Marshal(m)
		if err != nil {
			t.Fatalf("Marshal(parsed %s) = %v", b, err)
		}
		if kind == "PodManifest" {
			_, err = ParsePodManifest(out)
		} else {
			_, err = ParseImageManifest(out)
		}
		if err != nil {
			t.Fatalf("re-parse of %s = %v", out, err)
		}
	})
}

// pods.md: "Pod Manifests can serve the role of both deployable template
// and runtime manifest"; a template names an app's image by name (and
// labels) and is resolved before it runs. An image with neither id nor
// name identifies nothing.
func TestPodTemplate(t *testing.T) {
	const id = "sha512-cbead8fe640f4d4a9a34356dba22e9f4c440233b4d13a780cbf067bfc6e9bbbb3e20da84b5b00070eefda0883ae6974a5b9626938386609a9df158cc8e48743e"
	pod := func(images ...string) string {
		apps := ""
		for i, im := range images {
			if i > 0 {
				apps += ","
			}
			apps += `{"name":"a` + string(rune('0'+i)) + `","image":` + im + `}`
		}
		return `{"acVersion":"0.8.11","acKind":"PodManifest","apps":[` + apps + `]}`
	}
	tests := []struct {
		name, in     string
		wantTemplate bool
		wantErr      string
	}{
		{"reified", pod(`{"id":"` + id + `"}`), false, ""},
		{"by name", pod(`{"name":"example.com/web"}`), true, ""},
		{"by name and labels", pod(`{"name":"example.com/web","labels":[{"name":"version","value":"latest"}]}`), true, ""},
		{"one of two", pod(`{"id":"`+id+`"}`, `{"name":"example.com/web"}`), true, ""},
		{"labels only", pod(`{"labels":[{"name":"version","value":"1"}]}`), false, "apps[0].image: image needs an id, or a name in a template"},
		{"empty image", pod(`{}`), false, "apps[0].image: image needs an id, or a name in a template"},
		{"no image", `{"acVersion":"0.8.11","acKind":"PodManifest","apps":[{"name":"a"}]}`, false, "apps[0].image: image needs an id, or a name in a template"},
		{"bad name", pod(`{"name":"Web"}`), false, `apps[0].image.name: ACIdentifier must contain only lower case alphanumeric characters plus "-._~/", got "Web"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := ParsePodManifest([]byte(tt.in))
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.wantErr {
				t.Fatalf("ParsePodManifest(%s) = %q, want %q", tt.in, got, tt.wantErr)
			}
			if err != nil {
				return
			}
			if m.IsTemplate() != tt.wantTemplate {
				t.Errorf("IsTemplate(%s) = %v, want %v", tt.in, m.IsTemplate(), tt.wantTemplate)
			}
			b, err := json.Marshal(m)
			if err != nil {
				t.Fatalf("Marshal(%s) = %v", tt.name, err)
			}
			if tt.wantTemplate && strings.Contains(string(b), `"id":""`) {
				t.Errorf("Marshal(template) = %s, want no empty id", b)
			}
			if _, err := ParsePodManifest(b); err != nil {
				t.Errorf("ParsePodManifest(Marshal(%s)) = %v", tt.name, err)
			}
		})
	}
}
