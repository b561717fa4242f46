package main

import (
	"github.com/acikit/acikit/internal/cli"
	ucli "github.com/urfave/cli/v2"
)

func newApp() *ucli.App {
	return &ucli.App{
		Name:  "actool",
		Usage: "build, validate, discover and edit App Container images",
		Description: `actool works on AppC 0.8.11 images (.aci files), image layouts (a directory holding a
"manifest" file and a "rootfs" directory) and manifests. Every file argument accepts "-" for
standard input or output; stdout carries only data, messages go to stderr.`,
		Flags: []ucli.Flag{cli.DebugFlag, cli.QuietFlag},
		Commands: []*ucli.Command{
			buildCommand(),
			catManifestCommand(),
			discoverCommand(),
			imageIDCommand(),
			patchManifestCommand(),
			validateCommand(),
			cli.VersionCommand(),
		},
	}
}
