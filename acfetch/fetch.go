package main

import (
	"fmt"
	"io"
	"os"

	"github.com/google/go-containerregistry/pkg/authn"
	ucli "github.com/urfave/cli/v2"

	"github.com/acikit/acikit/internal/cli"
	"github.com/acikit/acikit/internal/errkind"
	"github.com/acikit/acikit/internal/fetch"
	"github.com/acikit/acikit/internal/progress"
	"github.com/acikit/acikit/internal/toolflags"
)

func fetchCommand() *ucli.Command {
	return &ucli.Command{
		Name:      "fetch",
		Usage:     "fetch, verify and store images (the default command); print their IDs",
		ArgsUsage: "IMAGE...",
		Flags: commonFlags(append(trustFlags(),
			cli.InsecureOptionsFlag(),
			&ucli.StringFlag{Name: "pull-policy", Value: "update", Usage: "never (store only), new (store first) or update (ask the server, honoring ETag and max-age)"},
			&ucli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "write the image to `FILE` (and its signature to FILE.asc) instead of the store; - for stdout"},
			&ucli.StringFlag{Name: "dir", Usage: "write the image and its signature into `DIR` instead of the store"},
			&ucli.BoolFlag{Name: "overwrite", Usage: "replace existing files with -o/--dir"},
			&ucli.BoolFlag{Name: "no-deps", Usage: "do not fetch dependencies"},
			toolflags.IdleTimeout(),
			&ucli.StringFlag{Name: "platform", Usage: "pick `OS/ARCH[/VARIANT]` from docker:// manifest lists (default: this machine)"},
		)...),
		Action: runFetch,
	}
}

func runFetch(c *ucli.Context) error {
	if err := cli.NArgs(c, 1, -1); err != nil {
		return err
	}
	out, dir := c.String("output"), c.String("dir")
	if out != "" && dir != "" {
		return errkind.Usagef("-o and --dir exclude each other")
	}
	if out != "" && c.NArg() > 1 {
		return errkind.Usagef("-o takes one image, got %d", c.NArg())
	}
	if err := cli.RefuseTerminal(c, out, "an image"); err != nil {
		return err
	}
	if dir != "" {
		// Like mkdir -p: a user naming a new directory wants it made.
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("--dir: %w", err)
		}
	}
	ins, err := cli.Insecurities(c)
	if err != nil {
		return err
	}
	pull, err := fetch.ParsePullPolicy(c.String("pull-policy"))
	if err != nil {
		return err
	}
	auth, err := fetch.LoadAuth(toolflags.AuthDirs(c)...)
	if err != nil {
		return err
	}
	logger := cli.Logger(c)
	opts := fetch.Options{
		Trust:       toolflags.TrustStore(c),
		Insecure:    fetch.Insecure{Image: ins.Image, TLS: ins.TLS, HTTP: ins.HTTP, PubKey: ins.PubKey},
		Pull:        pull,
		Auth:        auth,
		Stdin:       cli.Stdin(c),
		NoDeps:      c.Bool("no-deps"),
		Log:         logger,
		Platform:    c.String("platform"),
		ReadTimeout: toolflags.IdleTime(c),
		// docker:// credentials not in an auth.d dockerAuth file come from
		// ~/.docker/config.json, as docker2aci reads them.
		DockerKeychain: authn.DefaultKeychain,
	}
	if progress.Enabled(cli.Stderr(c), c.Bool("quiet")) {
		stderr := cli.Stderr(c)
		opts.Progress = func(label, source string, total int64) io.WriteCloser {
			return progress.New(stderr, label, source, total)
		}
	}
	if out == "" && dir == "" {
		st, err := openStore(c)
		if err != nil {
			return err
		}
		opts.Store = st
	}
	f, err := fetch.New(opts)
	if err != nil {
		return err
	}
	for _, image := range c.Args().Slice() {
		if out != "" || dir != "" {
			so := fetch.SaveOptions{Path: out, Dir: dir, Overwrite: c.Bool("overwrite")}
			if out == "-" {
				so = fetch.SaveOptions{Writer: cli.Stdout(c), TempDir: os.TempDir()}
			}
			res, path, err := f.Save(c.Context, image, so)
			if err != nil {
				return err
			}
			if path != "" {
				logger.Infof("%s: %s", res.ID, path)
			}
			continue
		}
		results, err := f.Fetch(c.Context, image)
		for _, r := range results {
			cli.Printf(c, "%s\n", r.ID)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
