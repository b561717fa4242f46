// Package cli is the one place that knows urfave/cli and process exit codes.
//
// Tools build a *cli.App of commands whose actions return ordinary wrapped
// errors; Main runs it, prints a failure as one line "<tool>: <error>" on
// stderr and turns it into the exit code shared by every acikit tool:
//
//	0   success
//	1   failure (I/O, network, anything not listed below)
//	2   usage: bad flags or arguments
//	3   invalid image, layout or manifest
//	4   signature or trust failure
//	5   not found (a missing input file, discovery, download, store lookup)
//	130 interrupted (SIGINT/SIGTERM)
//
// Libraries mark their errors with internal/errkind; nothing below this
// package uses cli.Exit.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/acikit/acikit/internal/atomicfile"
	"github.com/acikit/acikit/internal/errkind"
	ucli "github.com/urfave/cli/v2"
)

// Exit codes shared by all tools (see the package comment and the README).
const (
	ExitOK          = 0
	ExitFailure     = 1
	ExitUsage       = 2
	ExitInvalid     = 3
	ExitTrust       = 4
	ExitNotFound    = 5
	ExitInterrupted = 130
)

// Version is stamped by the Makefile with -ldflags -X.
var Version = "0.0.0-dev"

// SpecVersion is the AppC spec version acikit implements and writes.
const SpecVersion = "0.8.11"

// Code maps an error to the process exit code.
func Code(err error) int {
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, context.Canceled), errors.Is(err, ErrInterrupted):
		return ExitInterrupted
	case errors.Is(err, errkind.Usage):
		return ExitUsage
	case errors.Is(err, errkind.Trust):
		return ExitTrust
	case errors.Is(err, errkind.Invalid):
		return ExitInvalid
	case errors.Is(err, errkind.NotFound):
		return ExitNotFound
	}
	return ExitFailure
}

// ErrInterrupted is returned when a signal stopped the work.
var ErrInterrupted = errors.New("interrupted")

// ErrSilent marks a failure that the command already reported on stderr
// (for example validate, which prints one line per bad input); Main then only
// sets the exit code.
var ErrSilent = errors.New("failure already reported")

// Silent wraps err so that Main prints nothing but still uses err's exit code.
func Silent(err error) error {
	if err == nil {
		return nil
	}
	return &silent{err}
}

type silent struct{ err error }

func (s *silent) Error() string   { return s.err.Error() }
func (s *silent) Unwrap() []error { return []error{s.err, ErrSilent} }

// Hinter is an error that carries a second line telling the user what to do.
type Hinter interface{ Hint() string }

// WithHint attaches a hint line to err.
func WithHint(err error, hint string) error {
	if err == nil {
		return nil
	}
	return &hinted{err: err, hint: hint}
}

type hinted struct {
	err  error
	hint string
}

func (h *hinted) Error() string { return h.err.Error() }
func (h *hinted) Unwrap() error { return h.err }
func (h *hinted) Hint() string  { return h.hint }

// Main runs app with args (os.Args shape) and returns the exit code. Output
// goes to app.Writer (data, default stdout) and app.ErrWriter (messages,
// default stderr).
func Main(ctx context.Context, app *ucli.App, args []string) int {
	if app.Writer == nil {
		app.Writer = os.Stdout
	}
	if app.ErrWriter == nil {
		app.ErrWriter = os.Stderr
	}
	st := &runState{command: app.Name}
	prepare(app, st, args)
	err := app.RunContext(ctx, args)
	if errors.Is(err, errHandled) {
		err = nil
	}
	if err == nil {
		err = st.notFound
	}
	if err != nil && ctx.Err() != nil && !errors.Is(err, context.Canceled) {
		// A signal arrived and the work failed because of it.
		err = fmt.Errorf("%w: %w", ErrInterrupted, err)
	}
	if errors.Is(err, atomicfile.ErrExists) && hasFlag(st.flags, "overwrite") && !strings.Contains(err.Error(), "--overwrite") {
		err = &withSuffix{err, " (use --overwrite to replace it)"}
	}
	report(app.ErrWriter, app.Name, st.command, err)
	return Code(err)
}

// runState is what Main learns while urfave runs the app.
type runState struct {
	notFound error
	// command is the full name of the command that ran or failed
	// ("acsign trust rm"), for the pointer to its help.
	command string
	flags   []ucli.Flag // its flags
}

// Report prints err as "<tool>: <message>" plus an optional hint line.
func Report(w io.Writer, tool string, err error) { report(w, tool, tool, err) }

// report is Report with a usage error pointing at command's help.
func report(w io.Writer, tool, command string, err error) {
	if err == nil || errors.Is(err, ErrSilent) {
		return
	}
	msg := strings.TrimSpace(err.Error())
	fmt.Fprintf(w, "%s: %s\n", tool, msg)
	var h Hinter
	if errors.As(err, &h) && h.Hint() != "" {
		fmt.Fprintf(w, "%s: hint: %s\n", tool, h.Hint())
	} else if errors.Is(err, errkind.Usage) {
		fmt.Fprintf(w, "%s: run '%s --help' for usage\n", tool, command)
	}
}

func prepare(app *ucli.App, st *runState, args []string) {
	app.ExitErrHandler = func(*ucli.Context, error) {}
	app.EnableBashCompletion = true
	app.HideVersion = true
	if app.Version == "" {
		app.Version = Version
	}
	usageError := func(c *ucli.Context, err error, _ bool) error {
		st.record(c)
		return errkind.Mark(err, errkind.Usage)
	}
	app.OnUsageError = usageError
	app.CommandNotFound = func(c *ucli.Context, name string) {
		st.record(c)
		st.notFound = errkind.Usagef("unknown command %q", name)
	}
	var raw []string
	if len(args) > 0 {
		raw = args[1:]
	}
	var walk func(cmds []*ucli.Command)
	walk = func(cmds []*ucli.Command) {
		for _, cmd := range cmds {
			cmd.OnUsageError = usageError
			var trailing, dashdash ucli.BeforeFunc
			if !trailingOK[cmd] && !cmd.SkipFlagParsing {
				trailing = rejectTrailingFlags
			}
			if len(cmd.Subcommands) == 0 {
				// urfave adds a "help" (alias "h") subcommand to every
				// command, which turns an operand named h or help into a
				// help request: help is --help, or "help" where a command
				// name goes.
				cmd.HideHelpCommand = true
			} else {
				if cmd.Command("help") == nil {
					cmd.Subcommands = append(cmd.Subcommands, helpCommand())
				}
				dashdash = operandsAfterDashDash(cmd.Action, func(c *ucli.Context) []string {
					return c.Lineage()[1].Args().Tail()
				})
			}
			cmd.Before = chain(st.record, inheritFlags, absDirs, trailing, requireFlags(takeRequired(cmd.Flags)), cmd.Before, dashdash)
			walk(cmd.Subcommands)
		}
	}
	walk(app.Commands)
	var trailing, dashdash ucli.BeforeFunc
	if app.Action != nil && !trailingOKApp[app] {
		trailing = rejectTrailingFlags
	}
	if len(app.Commands) > 0 {
		if app.Command("help") == nil {
			app.Commands = append(app.Commands, helpCommand())
			// urfave adds --help only with its own help command.
			app.Flags = append(app.Flags, ucli.HelpFlag)
		}
		dashdash = operandsAfterDashDash(app.Action, func(*ucli.Context) []string { return raw })
	} else {
		app.HideHelpCommand = true
	}
	// --version is the version command, in every tool.
	if !hasFlag(app.Flags, "version") {
		app.Flags = append(app.Flags, &ucli.BoolFlag{Name: "version", Usage: "print the version"})
	}
	version := func(c *ucli.Context) error {
		if !c.Bool("version") {
			return nil
		}
		printVersion(c)
		return errHandled
	}
	app.Before = chain(st.record, version, absDirs, trailing, requireFlags(takeRequired(app.Flags)), app.Before, dashdash)
}

// errHandled stops urfave after a Before did the command's work itself;
// Main treats it as success.
var errHandled = errors.New("handled")

// operandsAfterDashDash keeps urfave from running a subcommand named by an
// operand that came after "--" ("acsign trust --root -- list" trusts the
// key file list; "acfetch -- help" fetches help): after "--" nothing is a
// command. rawArgs are the command's arguments as typed, its name left out.
func operandsAfterDashDash(action ucli.ActionFunc, rawArgs func(*ucli.Context) []string) ucli.BeforeFunc {
	return func(c *ucli.Context) error {
		n := c.NArg()
		raw := rawArgs(c)
		// Flag parsing stops at the first operand, so the operands are the
		// last n raw arguments, and the "--" that ended the flags is just
		// before them.
		i := len(raw) - n - 1
		if n == 0 || i < 0 || raw[i] != "--" || c.Command.Command(c.Args().First()) == nil {
			return nil
		}
		if action == nil {
			return errkind.Usagef("%s takes a command, not %q after --", c.Command.HelpName, c.Args().First())
		}
		if err := action(c); err != nil {
			return err
		}
		return errHandled
	}
}

// helpCommand is "help [COMMAND]", without urfave's alias h.
func helpCommand() *ucli.Command {
	return &ucli.Command{
		Name:            "help",
		Usage:           "show the commands, or one command's help",
		ArgsUsage:       "[COMMAND]",
		HideHelpCommand: true,
		Action: func(c *ucli.Context) error {
			parent := c.Lineage()[1]
			root := len(parent.Lineage()) <= 2
			if name := c.Args().First(); name != "" {
				if parent.Command.Command(name) == nil {
					return errkind.Usagef("no command %q", name)
				}
				return ucli.ShowCommandHelp(parent, name)
			}
			if root {
				return ucli.ShowAppHelp(parent)
			}
			return ucli.ShowSubcommandHelp(parent)
		},
	}
}

// withSuffix adds words to the end of an error's message.
type withSuffix struct {
	err    error
	suffix string
}

func (e *withSuffix) Error() string { return e.err.Error() + e.suffix }
func (e *withSuffix) Unwrap() error { return e.err }

func hasFlag(flags []ucli.Flag, name string) bool {
	for _, f := range flags {
		if slices.Contains(f.Names(), name) {
			return true
		}
	}
	return false
}

// record notes the command c runs, innermost last.
func (st *runState) record(c *ucli.Context) error {
	if c.Command != nil && c.Command.HelpName != "" {
		st.command, st.flags = c.Command.HelpName, c.Command.Flags
	}
	return nil
}

// chain runs the non-nil befores in order, up to the first error.
func chain(befores ...ucli.BeforeFunc) ucli.BeforeFunc {
	return func(c *ucli.Context) error {
		for _, b := range befores {
			if b == nil {
				continue
			}
			if err := b(c); err != nil {
				return err
			}
		}
		return nil
	}
}

var (
	trailingOK    = map[*ucli.Command]bool{}
	trailingOKApp = map[*ucli.App]bool{}
)

// AllowFlagsAfterArgs exempts cmd from the trailing-flag check, for commands
// whose positional arguments are themselves command lines (acrun).
func AllowFlagsAfterArgs(cmd *ucli.Command) *ucli.Command {
	trailingOK[cmd] = true
	return cmd
}

// AllowAppFlagsAfterArgs is AllowFlagsAfterArgs for an app's own action.
func AllowAppFlagsAfterArgs(app *ucli.App) *ucli.App {
	trailingOKApp[app] = true
	return app
}

// rejectTrailingFlags turns "tool cmd ARG --flag" into a usage error: urfave/cli
// v2 stops parsing flags at the first argument and would silently take
// "--flag" as another argument.
func rejectTrailingFlags(c *ucli.Context) error {
	args := c.Args().Slice()
	if len(args) > 0 && c.Command != nil && c.Command.Command(args[0]) != nil {
		return nil // the subcommand checks its own
	}
	for i, a := range args {
		if a == "--" {
			return nil
		}
		if i > 0 && len(a) > 1 && a[0] == '-' {
			return errkind.Usagef("flag %s after argument %q: flags go before arguments", a, args[0])
		}
	}
	return nil
}
