package dockerconv

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestSquash covers whiteout and hard-link cases layer by layer (layers
// listed base first).
func TestSquash(t *testing.T) {
	tests := []struct {
		name   string
		layers [][]tarEntry
		want   map[string]string // rootfs path -> content ("dir", "-> target")
	}{
		{
			name: "file and dir whiteouts hit lower layers only",
			layers: [][]tarEntry{
				{{name: "a", data: "a"}, {name: "d/", dir: true}, {name: "d/x", data: "x"}, {name: "keep", data: "k"}},
				{{name: ".wh.a"}, {name: ".wh.d"}, {name: "d/", dir: true}, {name: "d/new", data: "n"}},
			},
			want: map[string]string{"d": "dir", "d/new": "n", "keep": "k"},
		},
		{
			name: "opaque directory keeps its own layer's files",
			layers: [][]tarEntry{
				{{name: "o/", dir: true}, {name: "o/old", data: "old"}, {name: "o/sub/", dir: true}, {name: "o/sub/f", data: "f"}},
				{{name: "o/", dir: true}, {name: "o/mine", data: "m"}, {name: "o/.wh..wh..opq"}},
			},
			want: map[string]string{"o": "dir", "o/mine": "m"},
		},
		{
			name: "dot entries and ./ prefixes",
			layers: [][]tarEntry{
				{{name: ".", dir: true}, {name: "./", dir: true}, {name: "./x", data: "1"}},
				{{name: ".", dir: true}, {name: "./x", data: "2"}},
			},
			want: map[string]string{"x": "2"},
		},
		{
			name: "upper file replaces a lower directory",
			layers: [][]tarEntry{
				{{name: "p/", dir: true}, {name: "p/f", data: "f"}},
				{{name: "p", sym: true, link: "/q"}},
			},
			want: map[string]string{"p": "-> /q"},
		},
		{
			name: "hard link whose target was whited out keeps the data",
			layers: [][]tarEntry{
				{{name: "t", data: "data"}, {name: "q", hard: true, link: "t"}, {name: "r", hard: true, link: "t"}},
				{{name: ".wh.t"}},
			},
			want: map[string]string{"q": "data", "r": "data"},
		},
		{
			name: "hard link whose target was overwritten keeps the old data",
			layers: [][]tarEntry{
				{{name: "t", data: "old"}, {name: "q", hard: true, link: "t"}},
				{{name: "t", data: "new"}},
			},
			want: map[string]string{"q": "old", "t": "new"},
		},
		{
			name: "aufs metadata dropped",
			layers: [][]tarEntry{
				{{name: ".wh..wh.plnk/", dir: true}, {name: ".wh..wh.aufs"}, {name: "f", data: "f"}},
			},
			want: map[string]string{"f": "f"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var layers [][]byte
			for _, l := range tt.layers {
				layers = append(layers, tarBytes(l))
			}
			var buf bytes.Buffer
			res, err := Convert(context.Background(), Source{Kind: Archive, Path: legacyArchive(t, layers...)}, &buf, Options{})
			if err != nil {
				t.Fatalf("Convert = %v, want nil", err)
			}
			validate(t, buf.Bytes(), res.ID)
			names, data := aciContent(t, buf.Bytes())
			got := map[string]string{}
			for _, n := range names {
				p, ok := strings.CutPrefix(n, "rootfs/")
				if !ok || p == "dev" || strings.HasPrefix(p, "dev/") {
					continue
				}
				c, ok := data["rootfs/"+p]
				if !ok {
					c = "dir"
				}
				got[p] = c
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("squashed tree (-want +got):\n%s", diff)
			}
		})
	}
}
