package main

import (
	"github.com/acikit/acikit/internal/cli"
	ucli "github.com/urfave/cli/v2"
)

func newApp() *ucli.App {
	return &ucli.App{
		Name:  "acsign",
		Usage: "sign and verify App Container images, manage trusted keys",
		Description: `acsign makes detached ASCII-armored OpenPGP signatures over images as served (IMAGE.asc),
checks them against a keyring or the trust store, and manages the trust store, which has rkt's
layout (root.d/<fingerprint>, prefix.d/<prefix>/<fingerprint>). gpg verifies what acsign signs
and acsign verifies what gpg signs. Every file argument accepts "-"; stdout carries only data.`,
		Flags: []ucli.Flag{cli.DebugFlag, cli.QuietFlag},
		Commands: []*ucli.Command{
			keygenCommand(),
			signCommand(),
			verifyCommand(),
			trustCommand(),
			exportCommand(),
			cli.VersionCommand(),
		},
	}
}
