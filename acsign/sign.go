package main

import (
	"fmt"

	ucli "github.com/urfave/cli/v2"

	"github.com/acikit/acikit/internal/cli"
	"github.com/acikit/acikit/internal/errkind"
	"github.com/acikit/acikit/internal/pgp"
)

func signCommand() *ucli.Command {
	return &ucli.Command{
		Name:      "sign",
		Usage:     "write a detached armored signature over an image",
		UsageText: "acsign sign --key SECRET [-o IMAGE.asc] IMAGE",
		Description: `Signs the image's bytes as served (compressed or not), streaming them. The signature goes
to IMAGE.asc, or to -o FILE; with IMAGE "-" the image is read from stdin and the signature
written to stdout. gpg --verify IMAGE.asc IMAGE accepts the result.`,
		Flags: []ucli.Flag{
			&ucli.StringFlag{Name: "key", Usage: "armored secret key `FILE`", Required: true},
			&ucli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "write the signature to `FILE` (- for stdout; default IMAGE.asc)"},
			&ucli.BoolFlag{Name: "overwrite", Usage: "replace an existing signature file"},
			passphraseFileFlag(),
		},
		Action: sign,
	}
}

func sign(c *ucli.Context) error {
	if err := cli.NArgs(c, 1, 1); err != nil {
		return err
	}
	image := c.Args().First()
	out := c.String("output")
	if out == "" {
		out = pgp.SignatureName(image)
		if image == "-" {
			out = "-"
		}
	}
	// Whatever the output, one stdin cannot feed both: the key reader would
	// drain it and the signature would cover empty data.
	stdin := 0
	for _, f := range []string{image, c.String("key"), c.String("passphrase-file")} {
		if f == "-" {
			stdin++
		}
	}
	if stdin > 1 {
		return errkind.Usagef("sign: only one of the key, the image and the passphrase file can come from stdin")
	}
	key, err := loadSecretKey(c, c.String("key"))
	if err != nil {
		return err
	}
	in, err := cli.OpenInput(c, image)
	if err != nil {
		return fmt.Errorf("open image: %w", err)
	}
	defer in.Close()
	w, err := cli.CreateOutput(c, out, 0o644, c.Bool("overwrite"))
	if err != nil {
		return fmt.Errorf("write signature: %w", err)
	}
	defer w.Abort()
	if err := pgp.Sign(c.Context, w, in, key); err != nil {
		return fmt.Errorf("sign %s: %w", image, err)
	}
	if err := w.Commit(); err != nil {
		return err
	}
	if !w.IsStdout() {
		cli.Logger(c).Infof("signed %s with %s; signature in %s", image, pgp.Fingerprint(key), out)
	}
	return nil
}
