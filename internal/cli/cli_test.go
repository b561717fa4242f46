package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/acikit/acikit/internal/errkind"
	ucli "github.com/urfave/cli/v2"
)

func TestCode(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{nil, 0},
		{errors.New("x"), 1},
		{fmt.Errorf("a: %w", errkind.Usagef("b")), 2},
		{errkind.Invalidf("bad manifest"), 3},
		{errkind.Trustf("bad signature"), 4},
		{errkind.NotFoundf("no image"), 5},
		{fmt.Errorf("fetch: %w", context.Canceled), 130},
	}
	for _, tt := range tests {
		if got := Code(tt.err); got != tt.want {
			t.Errorf("Code(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}

func newTestApp(action ucli.ActionFunc) (*ucli.App, *bytes.Buffer, *bytes.Buffer) {
	var out, errb bytes.Buffer
	app := &ucli.App{
		Name:      "tool",
		Writer:    &out,
		ErrWriter: &errb,
		Commands: []*ucli.Command{{
			Name:   "do",
			Flags:  []ucli.Flag{&ucli.BoolFlag{Name: "x"}},
			Action: action,
		}},
	}
	return app, &out, &errb
}

func TestMain(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		err      error
		wantCode int
		wantErr  string
	}{
		{"ok", []string{"tool", "do", "a"}, nil, 0, ""},
		{"failure", []string{"tool", "do", "a"}, errkind.Invalidf("open %q: bad", "a"), 3, "tool: open \"a\": bad\n"},
		{"unknown flag", []string{"tool", "do", "--nope"}, nil, 2, "tool: flag provided but not defined: -nope\n"},
		{"trailing flag", []string{"tool", "do", "a", "--x"}, nil, 2, "tool: flag --x after argument \"a\": flags go before arguments\n"},
		{"after dashdash", []string{"tool", "do", "a", "--", "--x"}, nil, 0, ""},
		{"unknown command", []string{"tool", "nope"}, nil, 2, "tool: unknown command \"nope\"\n"},
		{"silent", []string{"tool", "do"}, Silent(errkind.Invalidf("x")), 3, ""},
		{"hint", []string{"tool", "do"}, WithHint(errkind.Trustf("unknown key"), "run acsign trust"), 4, "tool: unknown key\ntool: hint: run acsign trust\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app, _, errb := newTestApp(func(*ucli.Context) error { return tt.err })
			code := Main(context.Background(), app, tt.args)
			if code != tt.wantCode {
				t.Errorf("Main(%q) = %d, want %d (stderr %q)", tt.args, code, tt.wantCode, errb)
			}
			got := errb.String()
			if tt.wantCode == 2 {
				// Usage errors add a pointer to the help of the command
				// that failed.
				cmd := "tool do"
				if tt.args[1] == "nope" {
					cmd = "tool"
				}
				ptr := "tool: run '" + cmd + " --help' for usage\n"
				if !strings.HasSuffix(got, ptr) {
					t.Errorf("Main(%q) stderr = %q, want it to end in %q", tt.args, got, ptr)
				}
				got = strings.TrimSuffix(got, ptr)
			}
			if got != tt.wantErr {
				t.Errorf("Main(%q) stderr = %q, want %q", tt.args, got, tt.wantErr)
			}
		})
	}
}

func TestParseInsecure(t *testing.T) {
	in, err := ParseInsecure("image,http")
	if err != nil || !in.Image || !in.HTTP || in.TLS || in.PubKey {
		t.Errorf("ParseInsecure(image,http) = %+v, %v", in, err)
	}
	in, err = ParseInsecure("all")
	if err != nil || !(in.Image && in.HTTP && in.TLS && in.PubKey) {
		t.Errorf("ParseInsecure(all) = %+v, %v", in, err)
	}
	if _, err := ParseInsecure("bogus"); Code(err) != ExitUsage {
		t.Errorf("ParseInsecure(bogus) error = %v, want a usage error", err)
	}
}

// A flag given before the command name reaches the command's own copy of
// it, over the environment; repeated slice values replace the default.
func TestInheritFlags(t *testing.T) {
	t.Setenv("TOOL_S", "env1,env2")
	t.Setenv("TOOL_DIR", "/env")
	tests := []struct {
		args     []string
		wantDir  string
		wantS    string
		wantCode int
	}{
		{[]string{"tool", "do"}, "/env", "[env1 env2]", 0},
		{[]string{"tool", "--dir", "/given", "do"}, "/given", "[env1 env2]", 0},
		{[]string{"tool", "-d", "/given", "do"}, "/given", "[env1 env2]", 0},
		{[]string{"tool", "--dir", "/app", "do", "--dir", "/cmd"}, "/cmd", "[env1 env2]", 0},
		{[]string{"tool", "--s", "a", "--s", "b", "do"}, "/env", "[a b]", 0},
		{[]string{"tool", "--s", "a", "do", "--s", "c"}, "/env", "[c]", 0},
		{[]string{"tool", "--only-app", "do"}, "", "", 2},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var dir, s string
			app := &ucli.App{
				Name:      "tool",
				Writer:    &bytes.Buffer{},
				ErrWriter: &bytes.Buffer{},
				Flags: []ucli.Flag{
					&ucli.StringFlag{Name: "dir", Aliases: []string{"d"}, EnvVars: []string{"TOOL_DIR"}},
					&ucli.StringSliceFlag{Name: "s", EnvVars: []string{"TOOL_S"}},
					&ucli.BoolFlag{Name: "only-app"},
				},
				Commands: []*ucli.Command{{
					Name: "do",
					Flags: []ucli.Flag{
						&ucli.StringFlag{Name: "dir", Aliases: []string{"d"}, EnvVars: []string{"TOOL_DIR"}},
						&ucli.StringSliceFlag{Name: "s", EnvVars: []string{"TOOL_S"}},
					},
					Action: func(c *ucli.Context) error {
						dir, s = c.String("d"), fmt.Sprint(c.StringSlice("s"))
						return nil
					},
				}},
			}
			code := Main(context.Background(), app, tt.args)
			if code != tt.wantCode || dir != tt.wantDir || s != tt.wantS {
				t.Errorf("Main(%q) = %d, dir %q, s %s; want %d, %q, %s (stderr %q)", tt.args, code, dir, s, tt.wantCode, tt.wantDir, tt.wantS, app.ErrWriter)
			}
		})
	}
}

// The pointer after a usage error names the help of the command that
// failed, however deep.
func TestUsagePointer(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"tool", "--nope"}, "tool"},
		{[]string{"tool", "nope"}, "tool"},
		{[]string{"tool", "keys", "--nope"}, "tool keys"},
		{[]string{"tool", "keys", "rm", "--nope"}, "tool keys rm"},
		{[]string{"tool", "keys", "rm"}, "tool keys rm"},
		{[]string{"tool", "keys", "rm", "a", "--x"}, "tool keys rm"},
	} {
		var errb bytes.Buffer
		app := &ucli.App{Name: "tool", Writer: &bytes.Buffer{}, ErrWriter: &errb, Commands: []*ucli.Command{{
			Name: "keys",
			Subcommands: []*ucli.Command{{
				Name:   "rm",
				Flags:  []ucli.Flag{&ucli.BoolFlag{Name: "x"}},
				Action: func(c *ucli.Context) error { return NArgs(c, 1, 1) },
			}},
		}}}
		code := Main(context.Background(), app, tt.args)
		want := "tool: run '" + tt.want + " --help' for usage\n"
		if code != 2 || !strings.HasSuffix(errb.String(), want) || strings.Count(errb.String(), "\n") != 2 {
			t.Errorf("Main(%q) = %d, stderr %q; want 2 and a pointer %q", tt.args, code, errb.String(), want)
		}
	}
}
