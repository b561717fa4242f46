// Package clitest checks a tool's command line as a whole: every flag of
// every command, given in every place the command line allows, must reach
// the command that runs (or be refused as a usage error), never be dropped.
// It is imported by tests only.
package clitest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/acikit/acikit/internal/cli"
	ucli "github.com/urfave/cli/v2"
)

// command is one runnable command: its path of names below the app and
// the flags of it and of its ancestors.
type command struct {
	path  []string
	cmd   *ucli.Command // nil for the app's own action
	flags []ucli.Flag
	// ancestors' flags, nearest last: anc[i] are the flags given after
	// path[:i] (anc[0] the app's).
	anc [][]ucli.Flag
	// ownParser: the command parses its arguments itself (SkipFlagParsing).
	ownParser bool
}

func commands(app *ucli.App) []command {
	var out []command
	if app.Action != nil {
		out = append(out, command{flags: app.Flags})
	}
	var walk func(cmds []*ucli.Command, path []string, anc [][]ucli.Flag)
	walk = func(cmds []*ucli.Command, path []string, anc [][]ucli.Flag) {
		for _, c := range cmds {
			p := append(slices.Clone(path), c.Name)
			if c.Action != nil {
				out = append(out, command{path: p, cmd: c, flags: c.Flags, anc: anc, ownParser: c.SkipFlagParsing})
			}
			walk(c.Subcommands, p, append(slices.Clone(anc), c.Flags))
		}
	}
	walk(app.Commands, nil, [][]ucli.Flag{app.Flags})
	return out
}

// handledByCLI: --help and --version are answered before any command.
func handledByCLI(f ucli.Flag) bool {
	return slices.Contains(f.Names(), "help") || slices.Contains(f.Names(), "version")
}

// testValue is a value for f unlike its default, as typed on the command
// line (empty for a bool flag, which is given bare) and in the environment.
func testValue(t *testing.T, f ucli.Flag) (arg, env string) {
	switch f.(type) {
	case *ucli.BoolFlag:
		return "", "true"
	case *ucli.StringFlag:
		return "/given/" + f.Names()[0], "/env/" + f.Names()[0]
	case *ucli.StringSliceFlag:
		return "/given/" + f.Names()[0], "/env/a,/env/b"
	case *ucli.IntFlag, *ucli.Int64Flag:
		return "7", "9"
	case *ucli.DurationFlag:
		return "7s", "9s"
	}
	t.Errorf("flag --%s: clitest has no test value for %T", f.Names()[0], f)
	return "", ""
}

func flagArg(name, v string, f ucli.Flag) string {
	if _, ok := f.(*ucli.BoolFlag); ok {
		return "--" + name
	}
	return "--" + name + "=" + v
}

type result struct {
	code   int
	ran    string
	value  string
	stderr string
}

// run builds a fresh app, replaces every action by a recorder of the
// value of flag name and runs args through cli.Main.
func run(newApp func() *ucli.App, name string, args []string) result {
	app := newApp()
	res := result{ran: "<nothing>", value: "<none>"}
	rec := func(label string) ucli.ActionFunc {
		return func(c *ucli.Context) error {
			res.ran = label
			res.value = show(c.Value(name))
			return nil
		}
	}
	recordActions(app, rec)
	var out, errb bytes.Buffer
	app.Writer, app.ErrWriter = &out, &errb
	res.code = cli.Main(context.Background(), app, append([]string{app.Name}, args...))
	res.stderr = errb.String()
	return res
}

// show is a flag value as the tests compare it.
func show(v any) string {
	switch v := v.(type) {
	case nil:
		return "<none>"
	case ucli.StringSlice:
		return fmt.Sprint(v.Value())
	}
	return fmt.Sprint(v)
}

// expect is what show gives for the test value v of f.
func expect(f ucli.Flag, v string) string {
	switch f.(type) {
	case *ucli.BoolFlag:
		return "true"
	case *ucli.StringSliceFlag:
		return "[" + v + "]"
	}
	return v
}

// required are the arguments giving c's required flags on c itself.
func required(c command) []string {
	var out []string
	for _, f := range c.flags {
		if r, ok := f.(ucli.RequiredFlag); ok && r.IsRequired() {
			out = append(out, "--"+f.Names()[0]+"=/required")
		}
	}
	return out
}

// Flags checks every flag of every command of the app newApp builds, in
// every placement: on the command, before the command name (on each
// ancestor that takes flags), in its environment variable, and not at all.
// A flag on the command or in the environment must reach it; one given
// before the command name must reach it too, or, when the command does not
// take it, be refused with a one-line usage error naming it; the command
// line beats the environment; the default is not the test value.
func Flags(t *testing.T, newApp func() *ucli.App) {
	app := newApp()
	envs := map[string]bool{}
	for _, c := range commands(app) {
		for _, fl := range append(slices.Concat(c.anc...), c.flags...) {
			if e, ok := fl.(interface{ GetEnvVars() []string }); ok {
				for _, v := range e.GetEnvVars() {
					envs[v] = true
				}
			}
		}
	}
	clearEnv := func(t *testing.T) {
		for e := range envs {
			t.Setenv(e, "")
			os.Unsetenv(e)
		}
	}
	for _, c := range commands(app) {
		if c.ownParser {
			continue // its flags are its own parser's, tested with it
		}
		label := strings.Join(c.path, " ")
		base := required(c)
		for _, f := range c.flags {
			if handledByCLI(f) {
				continue
			}
			name := f.Names()[0]
			v, envV := testValue(t, f)
			t.Run(fmt.Sprintf("%s/--%s", label, name), func(t *testing.T) {
				clearEnv(t)
				argsWith := func(pre []string, post ...string) []string {
					a := append(slices.Clone(pre), c.path...)
					return append(append(a, base...), post...)
				}
				// On the command itself, under each name.
				want := expect(f, v)
				for _, n := range f.Names() {
					r := run(newApp, name, argsWith(nil, flagArg(n, v, f)))
					if r.code != 0 || r.ran != label || r.value != want {
						t.Errorf("%s %s: exit %d, ran %q, value %s, want %s (stderr %q)", app.Name, strings.Join(argsWith(nil, flagArg(n, v, f)), " "), r.code, r.ran, r.value, want, r.stderr)
					}
				}
				// Not given: the default, which must differ from the test
				// value or the other checks prove nothing.
				def := run(newApp, name, argsWith(nil))
				if def.code != 0 {
					t.Fatalf("%s %s: exit %d, stderr %q", app.Name, label, def.code, def.stderr)
				}
				if def.value == want {
					t.Errorf("--%s: default %v equals the test value", name, def.value)
				}
				// The environment, and the command line over it.
				if e, ok := f.(interface{ GetEnvVars() []string }); ok {
					for _, ev := range e.GetEnvVars() {
						t.Setenv(ev, envV)
						r := run(newApp, name, argsWith(nil))
						if r.code != 0 || r.value == def.value {
							t.Errorf("$%s=%s %s: exit %d, value %v (default %v)", ev, envV, label, r.code, r.value, def.value)
						}
						r = run(newApp, name, argsWith(nil, flagArg(name, v, f)))
						if r.code != 0 || r.value != want {
							t.Errorf("$%s=%s %s --%s: exit %d, value %v, want %v", ev, envV, label, name, r.code, r.value, want)
						}
						os.Unsetenv(ev)
					}
				}
			})
		}
		// Before the command name: every flag of every ancestor.
		for i, anc := range c.anc {
			for _, f := range anc {
				if handledByCLI(f) {
					continue
				}
				name := f.Names()[0]
				v, envV := testValue(t, f)
				for _, n := range f.Names() {
					args := slices.Concat(c.path[:i], []string{flagArg(n, v, f)}, c.path[i:], base)
					t.Run(fmt.Sprintf("%s/before/%s", label, strings.Join(args, " ")), func(t *testing.T) {
						clearEnv(t)
						// The environment says otherwise: the command line wins.
						if e, ok := f.(interface{ GetEnvVars() []string }); ok {
							for _, ev := range e.GetEnvVars() {
								t.Setenv(ev, envV)
							}
						}
						r := run(newApp, name, args)
						defines := slices.ContainsFunc(c.flags, func(g ucli.Flag) bool { return slices.Contains(g.Names(), name) })
						switch {
						case r.code == 0 && r.ran == label:
							if want := expect(f, v); r.value != want {
								t.Errorf("%s %s: %s sees --%s = %s, want %s", app.Name, strings.Join(args, " "), label, name, r.value, want)
							}
						case r.code == 2 && !defines:
							if strings.Count(r.stderr, "\n") > 2 || !strings.Contains(r.stderr, "--"+n) {
								t.Errorf("%s %s: stderr %q, want one line naming --%s", app.Name, strings.Join(args, " "), r.stderr, n)
							}
						default:
							t.Errorf("%s %s: exit %d, ran %q, stderr %q; want %s to see --%s", app.Name, strings.Join(args, " "), r.code, r.ran, r.stderr, label, name)
						}
					})
				}
			}
		}
	}
}

// Operands checks that an operand named h or help, before or after "--",
// reaches every command's action as an operand, never as a help request;
// only "help" where a subcommand name may go (without "--") asks for help.
func Operands(t *testing.T, newApp func() *ucli.App) {
	for _, c := range commands(newApp()) {
		label := strings.Join(c.path, " ")
		hasSub := c.cmd == nil || len(c.cmd.Subcommands) > 0
		for _, ops := range [][]string{{"h"}, {"help"}, {"--", "h"}, {"--", "help"}} {
			if hasSub && len(ops) == 1 && ops[0] == "help" {
				continue
			}
			args := slices.Concat(c.path, required(c), ops)
			t.Run(strings.Join(args, " "), func(t *testing.T) {
				app := newApp()
				var ran, got = "<nothing>", ""
				rec := func(label string) ucli.ActionFunc {
					return func(c *ucli.Context) error {
						ran, got = label, strings.Join(c.Args().Slice(), " ")
						return nil
					}
				}
				recordActions(app, rec)
				var out, errb bytes.Buffer
				app.Writer, app.ErrWriter = &out, &errb
				code := cli.Main(context.Background(), app, append([]string{app.Name}, args...))
				want := ops[len(ops)-1]
				if c.ownParser {
					want = strings.Join(ops, " ") // "--" is its parser's to read
				}
				if code != 0 || ran != label || got != want {
					t.Errorf("%s %s: exit %d, ran %q with operands %q, want %q with %q (stdout %.60q, stderr %q)",
						app.Name, strings.Join(args, " "), code, ran, got, label, want, out.String(), errb.String())
				}
			})
		}
	}
}

// Version checks that --version prints what the version command prints.
func Version(t *testing.T, newApp func() *ucli.App) {
	var outs []string
	for _, args := range [][]string{{"--version"}, {"version"}} {
		app := newApp()
		var out, errb bytes.Buffer
		app.Writer, app.ErrWriter = &out, &errb
		code := cli.Main(context.Background(), app, append([]string{app.Name}, args...))
		if code != 0 || !strings.HasPrefix(out.String(), app.Name+" version ") || errb.Len() != 0 {
			t.Errorf("%s %s: exit %d, stdout %q, stderr %q; want the version", app.Name, args[0], code, out.String(), errb.String())
		}
		outs = append(outs, out.String())
	}
	if outs[0] != outs[1] {
		t.Errorf("--version printed %q, the version command %q", outs[0], outs[1])
	}
}

// recordActions replaces the action of the app and of every command that
// has one with rec(its command path, "" for the app), so a test sees which
// one a command line reached instead of running it.
func recordActions(app *ucli.App, rec func(path string) ucli.ActionFunc) {
	if app.Action != nil {
		app.Action = rec("")
	}
	var walk func(cmds []*ucli.Command, path string)
	walk = func(cmds []*ucli.Command, path string) {
		for _, c := range cmds {
			p := strings.TrimSpace(path + " " + c.Name)
			if c.Action != nil {
				c.Action = rec(p)
			}
			walk(c.Subcommands, p)
		}
	}
	walk(app.Commands, "")
}
