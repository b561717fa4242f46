package cli

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	ucli "github.com/urfave/cli/v2"
)

// Directory flags and their environment values reach the command
// absolute, on the command and on the app, whatever the tool.
func TestAbsDirs(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	abs := func(p string) string { return filepath.Join(wd, p) }
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want map[string]string
	}{
		{"relative flag", []string{"tool", "do", "--store-dir=store"}, nil, map[string]string{"store-dir": abs("store")}},
		{"dot", []string{"tool", "do", "--store-dir=."}, nil, map[string]string{"store-dir": wd}},
		{"absolute stays", []string{"tool", "do", "--store-dir=/x/y"}, nil, map[string]string{"store-dir": "/x/y"}},
		{"env", []string{"tool", "do"}, map[string]string{"TEST_STORE_DIR": "s"}, map[string]string{"store-dir": abs("s")}},
		{"flag wins over env", []string{"tool", "do", "--store-dir=f"}, map[string]string{"TEST_STORE_DIR": "s"}, map[string]string{"store-dir": abs("f")}},
		{"unset stays empty", []string{"tool", "do"}, nil, map[string]string{"store-dir": "", "cni-path": ""}},
		{"path list", []string{"tool", "do", "--cni-path=a:/b:c/d"}, nil, map[string]string{"cni-path": abs("a") + ":/b:" + abs("c/d")}},
		{"dir", []string{"tool", "do", "--dir=out"}, nil, map[string]string{"dir": abs("out")}},
		{"not a dir flag", []string{"tool", "do", "--name=rel"}, nil, map[string]string{"name": "rel"}},
		{"given before the command", []string{"tool", "--store-dir=pre", "do"}, nil, map[string]string{"store-dir": abs("pre")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			got := map[string]string{}
			flags := func() []ucli.Flag {
				return []ucli.Flag{
					&ucli.StringFlag{Name: "store-dir", EnvVars: []string{"TEST_STORE_DIR"}},
					&ucli.StringFlag{Name: "cni-path"},
					&ucli.StringFlag{Name: "dir"},
					&ucli.StringFlag{Name: "name"},
				}
			}
			app := &ucli.App{
				Name:      "tool",
				Writer:    io.Discard,
				ErrWriter: io.Discard,
				Flags:     flags(),
				Commands: []*ucli.Command{{Name: "do", Flags: flags(), Action: func(c *ucli.Context) error {
					for k := range tt.want {
						got[k] = c.String(k)
					}
					return nil
				}}},
			}
			if code := Main(context.Background(), app, tt.args); code != 0 {
				t.Fatalf("Main(%q) = %d", tt.args, code)
			}
			for k, w := range tt.want {
				if got[k] != w {
					t.Errorf("Main(%q): --%s = %q, want %q", tt.args, k, got[k], w)
				}
			}
		})
	}
}
