package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/acikit/acikit/internal/aci"
	"github.com/acikit/acikit/internal/cli"
	"github.com/acikit/acikit/internal/compress"
	"github.com/acikit/acikit/internal/errkind"
	ucli "github.com/urfave/cli/v2"
)

func buildCommand() *ucli.Command {
	return &ucli.Command{
		Name:      "build",
		Usage:     "build an image from a layout directory",
		ArgsUsage: "DIR OUT.aci",
		Description: `Validates the layout DIR (a "manifest" file and a "rootfs" directory, nothing else) and
writes it as an image to OUT ("-" for stdout), printing the image ID on stdout. The build is
reproducible: the same tree gives the same image ID. The manifest's mtime comes from
SOURCE_DATE_EPOCH when set, else from the manifest file itself. A failed build leaves no file.`,
		Flags: []ucli.Flag{
			&ucli.BoolFlag{Name: "overwrite", Usage: "replace OUT if it exists"},
			&ucli.BoolFlag{Name: "no-compression", Usage: "write a plain tar instead of gzip"},
			&ucli.StringFlag{Name: "compression", Usage: "output compression: gzip, none or zstd (an acikit extension)", Value: "gzip"},
			&ucli.IntFlag{Name: "compression-level", Usage: "gzip level 1 (fast) to 9 (small); 0 picks the default"},
			&ucli.BoolFlag{Name: "owner-root", Usage: "record every file as owned by root (0:0)"},
		},
		Action: build,
	}
}

func build(c *ucli.Context) error {
	if err := cli.NArgs(c, 2, 2); err != nil {
		return err
	}
	dir, out := c.Args().Get(0), c.Args().Get(1)
	if out != "-" && !strings.HasSuffix(out, ".aci") {
		return errkind.Usagef("output %s: the extension must be .aci", out)
	}
	if err := cli.RefuseTerminal(c, out, "an image"); err != nil {
		return err
	}
	kind, ok := compress.ParseKind(c.String("compression"))
	if !ok || (kind != compress.Gzip && kind != compress.None && kind != compress.Zstd) {
		return errkind.Usagef("--compression %q: must be gzip, none or zstd", c.String("compression"))
	}
	if c.Bool("no-compression") {
		if c.IsSet("compression") && kind != compress.None {
			return errkind.Usagef("--no-compression and --compression %s contradict each other", c.String("compression"))
		}
		kind = compress.None
	}
	// Checked here so a bad level is a usage error, not a failed build.
	if lvl := c.Int("compression-level"); lvl < 0 || lvl > 22 || (kind == compress.Gzip && lvl > 9) {
		return errkind.Usagef("--compression-level %d: must be 1-9 for gzip, 1-22 for zstd, or 0 for the default", lvl)
	}
	if _, err := os.Stat(dir); err != nil {
		return cli.NotFound(fmt.Errorf("build %s: %w", dir, err))
	}
	mtime, err := manifestTime(dir)
	if err != nil {
		return err
	}
	o, err := cli.CreateOutput(c, out, 0o644, c.Bool("overwrite"))
	if err != nil {
		return fmt.Errorf("write %w", err)
	}
	defer o.Abort()
	id, err := aci.Build(c.Context, dir, o, aci.BuildOptions{
		Compression:     kind,
		Compress:        compress.WriterOptions{Level: c.Int("compression-level")},
		OwnerRoot:       c.Bool("owner-root"),
		ManifestModTime: mtime,
		Log:             cli.Logger(c),
	})
	if err != nil {
		return fmt.Errorf("build %s: %w", dir, err)
	}
	if err := o.Commit(); err != nil {
		return fmt.Errorf("build: %w", err)
	}
	if o.IsStdout() {
		fmt.Fprintln(cli.Stderr(c), id)
	} else {
		cli.Printf(c, "%s\n", id)
	}
	return nil
}

// manifestTime is SOURCE_DATE_EPOCH when set (reproducible-builds.org), else
// the manifest file's mtime.
func manifestTime(dir string) (time.Time, error) {
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return time.Time{}, errkind.Usagef("SOURCE_DATE_EPOCH=%q is not a number of seconds", s)
		}
		return time.Unix(n, 0), nil
	}
	st, err := os.Stat(dir + "/manifest")
	if err != nil {
		// ReadLayout reports a missing manifest in the reference's words.
		return time.Time{}, nil
	}
	return st.ModTime(), nil
}
