package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/acikit/acikit/internal/atomicfile"
	"github.com/acikit/acikit/internal/cli"
	"github.com/acikit/acikit/internal/dockerconv"
	"github.com/acikit/acikit/internal/errkind"
	"github.com/acikit/acikit/internal/toolflags"
	"github.com/google/go-containerregistry/pkg/authn"
	ucli "github.com/urfave/cli/v2"
)

func convert(c *ucli.Context) error {
	if c.NArg() != 1 {
		return errkind.Usagef("need exactly one IMAGE argument, got %d", c.NArg())
	}
	arg := c.Args().First()
	src, err := dockerconv.ParseSource(arg, c.String("image"))
	if err != nil {
		return err
	}
	src.Stdin = cli.Stdin(c)
	opts, err := options(c, src)
	if err != nil {
		return err
	}
	if comp := c.String("compression"); comp != "gzip" && comp != "none" {
		return errkind.Usagef("unknown compression method %q (want gzip or none)", comp)
	}
	if c.String("output") == "-" && c.Bool("nosquash") {
		return errkind.Usagef("--nosquash writes several files: -o must be a directory, not -")
	}
	if err := cli.RefuseTerminal(c, c.String("output"), "an image"); err != nil {
		return err
	}
	lg := opts.Log
	bar := newProgress(c, arg)
	defer bar.finish()
	opts.Progress = bar.update
	if src.Kind == dockerconv.Archive && src.Path == "-" {
		// Spooling a big archive from a pipe takes a while with nothing
		// else to show.
		lg.Infof("reading the archive from stdin")
	}
	lg.Debugf("getting image info for %s", arg)
	im, err := dockerconv.Open(c.Context, src, opts)
	if err != nil {
		return fmt.Errorf("conversion error: %w", err)
	}
	defer im.Close()
	if n := im.Name(); n != "" {
		bar.setName(n)
	}
	if c.Bool("nosquash") {
		return writeLayers(c, im)
	}
	path := c.String("output")
	if path == "-" {
		// The image is the data on stdout; its ID goes to the log.
		res, err := im.WriteSquashed(c.Context, cli.Stdout(c))
		if err != nil {
			return fmt.Errorf("conversion error: %w", err)
		}
		bar.finish()
		lg.Debugf("-: %s", res.ID)
		return nil
	}
	if path == "" {
		path = im.FileBase() + ".aci"
	}
	f, err := atomicfile.Create(path, 0o644, c.Bool("overwrite"))
	if err != nil {
		return existsHint(err)
	}
	defer f.Abort()
	lg.Debugf("squashing layers into %s", path)
	res, err := im.WriteSquashed(c.Context, f)
	if err != nil {
		return fmt.Errorf("conversion error: %w", err)
	}
	if err := f.Commit(); err != nil {
		return existsHint(err)
	}
	bar.finish()
	lg.Debugf("%s: %s", path, res.ID)
	fmt.Fprintln(cli.Stdout(c), path)
	return nil
}

// writeLayers writes one ACI per layer; they appear all together or not at
// all.
func writeLayers(c *ucli.Context, im *dockerconv.Image) error {
	dir := c.String("output")
	if dir == "" {
		dir = "."
	}
	files := map[int]*atomicfile.File{}
	paths := map[int]string{}
	defer func() {
		for _, f := range files {
			f.Abort()
		}
	}()
	_, err := im.WriteLayers(c.Context, func(n int) (io.Writer, error) {
		p := filepath.Join(dir, fmt.Sprintf("%s-%d.aci", im.FileBase(), n))
		f, err := atomicfile.Create(p, 0o644, c.Bool("overwrite"))
		if err != nil {
			return nil, existsHint(err)
		}
		files[n], paths[n] = f, p
		return f, nil
	})
	if err != nil {
		return fmt.Errorf("conversion error: %w", err)
	}
	for n := 0; n < len(files); n++ {
		if err := files[n].Commit(); err != nil {
			return existsHint(err)
		}
		fmt.Fprintln(cli.Stdout(c), paths[n])
	}
	return nil
}

// existsHint names the file that is in the way; Main adds the --overwrite
// hint.
func existsHint(err error) error {
	if errors.Is(err, atomicfile.ErrExists) {
		return fmt.Errorf("write %w", err)
	}
	return err
}

func options(c *ucli.Context, src dockerconv.Source) (dockerconv.Options, error) {
	in, err := cli.Insecurities(c)
	if err != nil {
		return dockerconv.Options{}, err
	}
	opts := dockerconv.Options{
		Platform:     c.String("platform"),
		InsecureHTTP: in.HTTP || c.Bool("insecure-allow-http"),
		InsecureTLS:  in.TLS || c.Bool("insecure-skip-verify"),
		Compression:  c.String("compression"),
		Log:          cli.Logger(c),
		Keychain:     authn.DefaultKeychain,
		IdleTimeout:  toolflags.IdleTime(c),
	}
	if _, err := dockerconv.ParsePlatform(opts.Platform); err != nil {
		return opts, err
	}
	if c.Bool("password-stdin") {
		if c.String("username") == "" {
			return opts, errkind.Usagef("--password-stdin needs --username")
		}
		if src.Path == "-" {
			return opts, errkind.Usagef("--password-stdin and an archive on stdin cannot share it")
		}
		line, err := bufio.NewReader(cli.Stdin(c)).ReadString('\n')
		if err != nil && (err != io.EOF || line == "") {
			return opts, errkind.Usagef("--password-stdin: read password: %w", err)
		}
		opts.Password = strings.TrimRight(line, "\r\n")
	}
	if u := c.String("username"); u != "" {
		opts.Username = u
		opts.Keychain = nil
	}
	return opts, nil
}
