package cli

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/acikit/acikit/internal/errkind"
	"github.com/acikit/acikit/internal/log"
	ucli "github.com/urfave/cli/v2"
)

// Shared flags: the same name means the same thing in every tool.
var (
	DebugFlag = &ucli.BoolFlag{Name: "debug", Usage: "print debugging messages on stderr"}
	QuietFlag = &ucli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print only errors and data (no progress)"}
)

// InsecureOptionsFlag is --insecure-options, a comma list of the checks the
// user explicitly turns off. Nothing is insecure by default.
func InsecureOptionsFlag() *ucli.StringFlag {
	return &ucli.StringFlag{
		Name:  "insecure-options",
		Usage: "comma list of checks to skip: none, image, tls, http, pubkey, all",
		Value: "none",
	}
}

// Insecure is the parsed --insecure-options.
type Insecure struct {
	Image  bool // accept images without a valid signature from a trusted key
	TLS    bool // skip TLS certificate verification
	HTTP   bool // allow plain http
	PubKey bool // accept public keys fetched over insecure channels
}

// ParseInsecure parses a --insecure-options value as rkt does (all-fetch is
// image,tls,http,pubkey; ondisk is accepted and ignored).
func ParseInsecure(s string) (Insecure, error) {
	var in Insecure
	for _, opt := range strings.Split(s, ",") {
		switch strings.TrimSpace(opt) {
		case "", "none", "ondisk":
		case "image":
			in.Image = true
		case "tls":
			in.TLS = true
		case "http":
			in.HTTP = true
		case "pubkey":
			in.PubKey = true
		case "all", "all-fetch":
			in = Insecure{Image: true, TLS: true, HTTP: true, PubKey: true}
		default:
			valid := []string{"none", "image", "tls", "http", "pubkey", "all"}
			sort.Strings(valid)
			return in, errkind.Usagef("--insecure-options: unknown option %q (valid: %s)", opt, strings.Join(valid, ", "))
		}
	}
	return in, nil
}

// Insecurities returns the parsed --insecure-options of the command (or app).
func Insecurities(c *ucli.Context) (Insecure, error) {
	return ParseInsecure(c.String("insecure-options"))
}

// Logger returns the tool's logger on stderr at the level --debug/--quiet ask for.
func Logger(c *ucli.Context) *log.Logger {
	level := log.LevelInfo
	switch {
	case c.Bool("debug"):
		level = log.LevelDebug
	case c.Bool("quiet"):
		level = log.LevelWarn
	}
	return log.New(Stderr(c), c.App.Name, level)
}

// NArgs checks the number of positional arguments.
func NArgs(c *ucli.Context, min, max int) error {
	n := c.NArg()
	switch {
	case n < min && min == max:
		return errkind.Usagef("%s needs %d argument%s, got %d", c.Command.Name, min, plural(min), n)
	case n < min:
		return errkind.Usagef("%s needs at least %d argument%s, got %d", c.Command.Name, min, plural(min), n)
	case max >= 0 && n > max:
		return errkind.Usagef("%s takes at most %d argument%s, got %d", c.Command.Name, max, plural(max), n)
	}
	return nil
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// VersionCommand prints "<tool> version X" and the AppC spec version.
func VersionCommand() *ucli.Command {
	return &ucli.Command{
		Name:  "version",
		Usage: "print the version",
		Action: func(c *ucli.Context) error {
			printVersion(c)
			return nil
		},
	}
}

func printVersion(c *ucli.Context) {
	fmt.Fprintf(Stdout(c), "%s version %s\nappc version %s\n", c.App.Name, c.App.Version, SpecVersion)
}

// CompleteWith is a shell completion that offers the command's flags when
// a dash is being typed and operands (pods, stored images) otherwise.
func CompleteWith(operands func(c *ucli.Context) []string) ucli.BashCompleteFunc {
	return func(c *ucli.Context) {
		// urfave reads the word being completed from os.Args as well: the
		// completion script passes it only when it starts with a dash.
		if len(os.Args) > 2 && strings.HasPrefix(os.Args[len(os.Args)-2], "-") {
			ucli.DefaultCompleteWithFlags(c.Command)(c)
			return
		}
		for _, s := range operands(c) {
			fmt.Fprintln(Stdout(c), s)
		}
	}
}
