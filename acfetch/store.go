package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/acikit/acikit/internal/aci"
	"github.com/acikit/acikit/internal/cli"
	"github.com/acikit/acikit/internal/errkind"
	"github.com/acikit/acikit/internal/pgp"
	"github.com/acikit/acikit/internal/store"
	"github.com/acikit/acikit/internal/toolflags"
)

func listCommand() *ucli.Command {
	return &ucli.Command{
		Name:  "list",
		Usage: "list the stored images",
		Flags: commonFlags(&ucli.BoolFlag{Name: "json", Usage: "print a JSON array"}),
		Action: withStore(0, 0, func(c *ucli.Context, st *store.Store) error {
			list, err := st.List()
			if err != nil {
				return err
			}
			if c.Bool("json") {
				if list == nil {
					list = []*store.Image{}
				}
				for _, im := range list {
					im.Manifest = nil
				}
				enc := json.NewEncoder(cli.Stdout(c))
				enc.SetIndent("", "  ")
				return enc.Encode(list)
			}
			tw := tabwriter.NewWriter(cli.Stdout(c), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tNAME\tSIZE\tIMPORTED\tLAST USED\tLATEST")
			for _, im := range list {
				name := im.Name
				if v := im.Labels["version"]; v != "" {
					name += ":" + v
				}
				fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%v\n", im.ID[:39], name, im.Size,
					im.ImportTime.Local().Format(time.DateTime), im.LastUsed.Local().Format(time.DateTime), im.Latest)
			}
			return tw.Flush()
		}),
	}
}

func rmCommand() *ucli.Command {
	return &ucli.Command{
		Name:      "rm",
		Usage:     "remove images from the store",
		ArgsUsage: "ID|NAME...",
		Flags:     commonFlags(),
		Action: withStore(1, -1, func(c *ucli.Context, st *store.Store) error {
			for _, ref := range c.Args().Slice() {
				im, err := lookup(st, ref)
				if err != nil {
					return err
				}
				if err := st.Remove(im.ID); err != nil {
					return err
				}
				cli.Printf(c, "%s\n", im.ID)
			}
			return nil
		}),
	}
}

func gcCommand() *ucli.Command {
	return &ucli.Command{
		Name:  "gc",
		Usage: "remove images not used lately, unindexed blobs and dead temporary files",
		Flags: commonFlags(&ucli.DurationFlag{Name: "older-than", Value: 24 * time.Hour, Usage: "remove images not fetched or run within `D`"}),
		Action: withStore(0, 0, func(c *ucli.Context, st *store.Store) error {
			removed, err := st.GC(c.Duration("older-than"))
			for _, id := range removed {
				cli.Printf(c, "%s\n", id)
			}
			return err
		}),
	}
}

func exportCommand() *ucli.Command {
	return &ucli.Command{
		Name:      "export",
		Usage:     "write a stored image as fetched (and its signature beside it with -o)",
		ArgsUsage: "ID|NAME",
		Flags: commonFlags(
			&ucli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "-", Usage: "write to `FILE` (its signature to FILE.asc); - for stdout"},
			&ucli.BoolFlag{Name: "overwrite", Usage: "replace existing files"},
		),
		Action: withStore(1, 1, func(c *ucli.Context, st *store.Store) error {
			name := c.String("output")
			if err := cli.RefuseTerminal(c, name, "an image"); err != nil {
				return err
			}
			im, err := lookup(st, c.Args().First())
			if err != nil {
				return err
			}
			if im.Signed && name != "-" {
				if err := copyOut(c, st.Signature, im.ID, pgp.SignatureName(name)); err != nil {
					return err
				}
			}
			return copyOut(c, st.OpenBlob, im.ID, name)
		}),
	}
}

func copyOut(c *ucli.Context, open func(string) (*os.File, error), id, name string) error {
	in, err := open(id)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := cli.CreateOutput(c, name, 0o644, c.Bool("overwrite"))
	if err != nil {
		return fmt.Errorf("write %w", err)
	}
	defer out.Abort()
	if _, err := io.Copy(out, in); err != nil {
		return fmt.Errorf("export %s: %w", id, err)
	}
	return out.Commit()
}

func catManifestCommand() *ucli.Command {
	return &ucli.Command{
		Name:      "cat-manifest",
		Usage:     "print the manifest of a stored image",
		ArgsUsage: "ID|NAME",
		Flags:     commonFlags(),
		Action: withStore(1, 1, func(c *ucli.Context, st *store.Store) error {
			im, err := lookup(st, c.Args().First())
			if err != nil {
				return err
			}
			w := cli.Stdout(c)
			if _, err := w.Write(im.Manifest); err != nil {
				return err
			}
			if len(im.Manifest) > 0 && im.Manifest[len(im.Manifest)-1] != '\n' {
				fmt.Fprintln(w)
			}
			return nil
		}),
	}
}

func verifyCommand() *ucli.Command {
	return &ucli.Command{
		Name:  "verify",
		Usage: "recompute the ID of every stored image and report damage",
		Flags: commonFlags(),
		Action: withStore(0, 0, func(c *ucli.Context, st *store.Store) error {
			probs, err := st.Verify(c.Context, aci.ImageID)
			if err != nil {
				return err
			}
			damaged := 0
			for _, p := range probs {
				if p.Orphan {
					// Left by an interrupted fetch; harmless.
					cli.Logger(c).Warnf("%s: %s", p.ID, p.Err)
					continue
				}
				damaged++
				fmt.Fprintf(cli.Stderr(c), "acfetch: %s: %s\n", p.ID, p.Err)
			}
			if damaged > 0 {
				return cli.Silent(errkind.Invalidf("%d problem(s) in the store", damaged))
			}
			cli.Logger(c).Infof("store %s: all images intact", st.Dir())
			return nil
		}),
	}
}

// withStore checks the argument count and opens the store before f runs.
func withStore(min, max int, f func(c *ucli.Context, st *store.Store) error) ucli.ActionFunc {
	return func(c *ucli.Context) error {
		if err := cli.NArgs(c, min, max); err != nil {
			return err
		}
		st, done, err := openStoreToLook(c)
		if err != nil {
			return err
		}
		defer done()
		return f(c, st)
	}
}

// openStoreToLook opens the store for the commands that only look at it or
// remove from it: they make nothing. A store directory the user named (flag
// or environment) that is missing or holds no store is an error naming it,
// so a typo shows instead of an empty store appearing. The default one
// missing means no images yet: the command runs on an empty store in a
// temporary directory, so list, gc and verify report nothing and rm, export
// and cat-manifest say the image is not there, as on a fresh store.
func openStoreToLook(c *ucli.Context) (*store.Store, func(), error) {
	dir := toolflags.StorePath(c)
	if _, err := os.Stat(filepath.Join(dir, store.IndexFile)); errors.Is(err, fs.ErrNotExist) {
		if c.IsSet("store-dir") {
			if _, derr := os.Stat(dir); derr != nil {
				return nil, nil, errkind.NotFoundf("image store %s does not exist (acfetch makes it on the first fetch)", dir)
			}
			return nil, nil, errkind.NotFoundf("image store %s: no store there (%s is missing)", dir, store.IndexFile)
		}
		tmp, err := os.MkdirTemp("", "acfetch-empty-store-")
		if err != nil {
			return nil, nil, fmt.Errorf("empty store: %w", err)
		}
		st, err := store.Open(tmp, store.Options{Log: cli.Logger(c)})
		if err != nil {
			os.RemoveAll(tmp)
			return nil, nil, err
		}
		return st, func() { os.RemoveAll(tmp) }, nil
	}
	st, err := openStore(c)
	return st, func() {}, err
}
