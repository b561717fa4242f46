package main

import (
	"os"
	"path/filepath"
	"slices"

	"github.com/acikit/acikit/internal/cli"
	"github.com/acikit/acikit/internal/errkind"
	"github.com/acikit/acikit/internal/store"
	"github.com/acikit/acikit/internal/toolflags"
	ucli "github.com/urfave/cli/v2"
)

func newApp() *ucli.App {
	fc := fetchCommand()
	app := &ucli.App{
		Name:      "acfetch",
		Usage:     "fetch, verify and store App Container images",
		ArgsUsage: "IMAGE...",
		Description: `acfetch IMAGE... is acfetch fetch IMAGE...: images named NAME[:version][,label=value...] are
found through AppC discovery; https URLs, http URLs (--insecure-options=http), files and "-" work too,
and docker://[REGISTRY/]NAME[:TAG|@DIGEST] (or docker:NAME) images are converted as docker2aci does and
stored uncompressed (they carry no signature: --insecure-options=image is required).
Signatures are checked against the trust store (acsign trust) in the same pass that decompresses and
hashes the image. The store lives in /var/lib/acikit (root) or $XDG_DATA_HOME/acikit; --store-dir or
$ACIKIT_STORE_DIR move it.`,
		Flags:  fc.Flags,
		Action: fc.Action,
		Commands: []*ucli.Command{
			fc,
			listCommand(),
			rmCommand(),
			gcCommand(),
			exportCommand(),
			catManifestCommand(),
			verifyCommand(),
			cli.VersionCommand(),
		},
	}
	// "acfetch IMAGE" runs fetch, so the shared trailing-flag guard must not
	// see "acfetch rm --help" as an image followed by a flag: apply it only
	// when the first argument is not a command.
	app.Before = func(c *ucli.Context) error {
		args := c.Args().Slice()
		if len(args) == 0 || app.Command(args[0]) != nil {
			return nil
		}
		for _, a := range args[1:] {
			if a == "--" {
				return nil
			}
			if len(a) > 1 && a[0] == '-' {
				return errkind.Usagef("flag %s after argument %q: flags go before arguments", a, args[0])
			}
		}
		return nil
	}
	for _, name := range []string{"rm", "export", "cat-manifest"} {
		app.Command(name).BashComplete = cli.CompleteWith(storedNames)
	}
	return cli.AllowAppFlagsAfterArgs(app)
}

// storedNames are the names of the stored images, for shell completion.
// A store that does not exist yet is not made for it.
func storedNames(c *ucli.Context) []string {
	dir := toolflags.StorePath(c)
	if _, err := os.Stat(filepath.Join(dir, "index.db")); err != nil {
		return nil
	}
	st, err := store.Open(dir, store.Options{})
	if err != nil {
		return nil
	}
	list, err := st.List()
	if err != nil {
		return nil
	}
	var names []string
	for _, im := range list {
		if !slices.Contains(names, im.Name) {
			names = append(names, im.Name)
		}
	}
	return names
}
