package discovery

import (
	"errors"
	"strings"
	"testing"

	"github.com/acikit/acikit/internal/errkind"
	"github.com/acikit/acikit/internal/schema/types"
	"github.com/google/go-cmp/cmp"
)

func TestParseApp(t *testing.T) {
	tests := []struct {
		in   string
		want *App
	}{
		{"example.com/app", &App{Name: "example.com/app", Labels: map[types.ACIdentifier]string{}}},
		{"example.com/app:1.0.0", &App{Name: "example.com/app", Labels: map[types.ACIdentifier]string{"version": "1.0.0"}}},
		{"example.com/app:1.0.0,os=linux,arch=amd64", &App{Name: "example.com/app",
			Labels: map[types.ACIdentifier]string{"version": "1.0.0", "os": "linux", "arch": "amd64"}}},
		{"example.com/app,channel=alpha,label=value", &App{Name: "example.com/app",
			Labels: map[types.ACIdentifier]string{"channel": "alpha", "label": "value"}}},
		{"example.com/app,version=2", &App{Name: "example.com/app", Labels: map[types.ACIdentifier]string{"version": "2"}}},
		// Values are literal: escapes, "=", "&", "+" and spaces stay as typed.
		{"a.b/c,v=x%2Fy", &App{Name: "a.b/c", Labels: map[types.ACIdentifier]string{"v": "x%2Fy"}}},
		{"a.b/c,v=x=y&z+w q", &App{Name: "a.b/c", Labels: map[types.ACIdentifier]string{"v": "x=y&z+w q"}}},
		{"a.b/c:1.0+git/x", &App{Name: "a.b/c", Labels: map[types.ACIdentifier]string{"version": "1.0+git/x"}}},
		{"127.0.0.1/app:v~1", &App{Name: "127.0.0.1/app", Labels: map[types.ACIdentifier]string{"version": "v~1"}}},
		{"x", &App{Name: "x", Labels: map[types.ACIdentifier]string{}}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseApp(tt.in)
			if err != nil {
				t.Fatalf("ParseApp(%q) = %v, want success", tt.in, err)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("ParseApp(%q) mismatch (-want +got):\n%s", tt.in, d)
			}
		})
	}
}

func TestParseAppErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "empty app string"},
		{"Example.com/app", "lower case"},
		{"example.com/app:1:2", "colon may appear at most once"},
		{"example.com/app,os=linux:1", "colon may appear only right after the name"},
		{"example.com/app,os", `label "os" has no value`},
		{"example.com/app,", `label "" has no value`},
		{"example.com/app,,os=linux", `label "" has no value`},
		{"example.com/app:", `label "version" has an empty value`},
		{"example.com/app,os=", `label "os" has an empty value`},
		{"example.com/app,os=linux,os=darwin", `label "os" given twice`},
		{"example.com/app:1,version=2", `label "version" given twice`},
		{"example.com/app,name=other", `label "name" given twice`},
		{"example.com/app,=x", "ACIdentifier cannot be empty"},
		{"example.com/app,o%73=linux", "label name"},
		{"example.com/app,OS=linux", "label name"},
		{"example.com/app_", "start and end"},
		{"/app", "start and end"},
		{"app/", "start and end"},
		{":1", "ACIdentifier cannot be empty"},
		{"a b", "lower case"},
		{"example.com/app=1", "lower case"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseApp(tt.in)
			if err == nil {
				t.Fatalf("ParseApp(%q) = %+v, want error containing %q", tt.in, got, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseApp(%q) = %q, want error containing %q", tt.in, err, tt.want)
			}
			if !errors.Is(err, errkind.Usage) {
				t.Errorf("errors.Is(ParseApp(%q), errkind.Usage) = false, want true", tt.in)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("ParseApp(%q) error has several lines: %q", tt.in, err)
			}
		})
	}
}

func TestAppString(t *testing.T) {
	tests := []struct{ in, want string }{
		{"example.com/app", "example.com/app"},
		{"example.com/app:1.0", "example.com/app:1.0"},
		{"example.com/app,version=1.0", "example.com/app:1.0"},
		{"example.com/app:1.0,os=linux,arch=amd64,channel=beta", "example.com/app:1.0,arch=amd64,channel=beta,os=linux"},
		{"a.b/c,v=x=y&z%20", "a.b/c,v=x=y&z%20"},
	}
	for _, tt := range tests {
		a, err := ParseApp(tt.in)
		if err != nil {
			t.Errorf("ParseApp(%q) = %v, want success", tt.in, err)
			continue
		}
		if got := a.String(); got != tt.want {
			t.Errorf("ParseApp(%q).String() = %q, want %q", tt.in, got, tt.want)
		}
		back, err := ParseApp(a.String())
		if err != nil {
			t.Fatalf("ParseApp(%q) = %v, want the App back", a.String(), err)
		}
		if d := cmp.Diff(a, back); d != "" {
			t.Errorf("ParseApp(%q) does not round-trip (-first +second):\n%s", tt.in, d)
		}
	}
}

func TestAppVersion(t *testing.T) {
	tests := []struct {
		labels map[types.ACIdentifier]string
		want   string
	}{
		{nil, "latest"},
		{map[types.ACIdentifier]string{"version": ""}, "latest"},
		{map[types.ACIdentifier]string{"version": "1.2.3"}, "1.2.3"},
	}
	for _, tt := range tests {
		a := &App{Name: "example.com/app", Labels: tt.labels}
		if got := a.Version(); got != tt.want {
			t.Errorf("(labels %v).Version() = %q, want %q", tt.labels, got, tt.want)
		}
	}
}

func TestWithDefaults(t *testing.T) {
	tests := []struct {
		goos, goarch, goarm string
		wantOS, wantArch    string
	}{
		{"linux", "amd64", "", "linux", "amd64"},
		{"linux", "386", "", "linux", "i386"},
		{"linux", "arm64", "", "linux", "aarch64"},
		{"linux", "arm", "", "linux", "armv6l"},
		{"linux", "arm", "6", "linux", "armv6l"},
		{"linux", "arm", "7", "linux", "armv7l"},
		{"linux", "arm", "7,softfloat", "linux", "armv7l"},
		{"linux", "ppc64le", "", "linux", "ppc64le"},
		{"linux", "ppc64", "", "linux", "ppc64"},
		{"linux", "s390x", "", "linux", "s390x"},
		{"freebsd", "amd64", "", "freebsd", "amd64"},
		{"freebsd", "386", "", "freebsd", "i386"},
		{"freebsd", "arm", "7", "freebsd", "arm"},
		{"darwin", "amd64", "", "darwin", "x86_64"},
		{"darwin", "386", "", "darwin", "i386"},
		{"linux", "riscv64", "", "linux", "riscv64"},
	}
	for _, tt := range tests {
		name := tt.goos + "/" + tt.goarch + "/" + tt.goarm
		t.Run(name, func(t *testing.T) {
			a := &App{Name: "example.com/app", Labels: map[types.ACIdentifier]string{"version": "1"}}
			got := a.withDefaults(tt.goos, tt.goarch, tt.goarm)
			want := map[types.ACIdentifier]string{"version": "1", "os": tt.wantOS, "arch": tt.wantArch}
			if d := cmp.Diff(want, got.Labels); d != "" {
				t.Errorf("withDefaults(%s) labels mismatch (-want +got):\n%s", name, d)
			}
			if len(a.Labels) != 1 {
				t.Errorf("withDefaults(%s) changed its receiver: %v", name, a.Labels)
			}
		})
	}
	// Labels the user gave win over the platform.
	a := &App{Name: "example.com/app", Labels: map[types.ACIdentifier]string{"os": "freebsd", "arch": "i386"}}
	if got := a.WithDefaults().Labels; got["os"] != "freebsd" || got["arch"] != "i386" {
		t.Errorf("WithDefaults() = %v, want os=freebsd arch=i386 kept", got)
	}
	// The running platform gets its appc name.
	if got := (&App{Name: "x"}).WithDefaults().Labels; got["os"] == "" || got["arch"] == "" {
		t.Errorf("WithDefaults() = %v, want os and arch", got)
	}
}
