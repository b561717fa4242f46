package main

import (
	"fmt"

	ucli "github.com/urfave/cli/v2"

	"github.com/acikit/acikit/internal/cli"
	"github.com/acikit/acikit/internal/pgp"
)

func exportCommand() *ucli.Command {
	return &ucli.Command{
		Name:        "export",
		Usage:       "print the public part of a secret key, armored",
		UsageText:   "acsign export --key SECRET",
		Description: `Writes the armored public key (what pubkeys.gpg holds) to stdout. No passphrase is needed.`,
		Flags: []ucli.Flag{
			&ucli.StringFlag{Name: "key", Usage: "armored secret (or public) key `FILE`, - for stdin", Required: true},
		},
		Action: export,
	}
}

func export(c *ucli.Context) error {
	if err := cli.NArgs(c, 0, 0); err != nil {
		return err
	}
	name := c.String("key")
	r, err := cli.OpenInput(c, name)
	if err != nil {
		return fmt.Errorf("open key: %w", err)
	}
	defer r.Close()
	el, err := pgp.ReadKeyring(r)
	if err != nil {
		return fmt.Errorf("key %s: %w", name, err)
	}
	return pgp.WritePublic(cli.Stdout(c), el...)
}
