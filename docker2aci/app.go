package main

import (
	"github.com/acikit/acikit/internal/cli"
	"github.com/acikit/acikit/internal/toolflags"
	ucli "github.com/urfave/cli/v2"
)

func newApp() *ucli.App {
	return &ucli.App{
		Name:      "docker2aci",
		Usage:     "convert Docker and OCI images into App Container images",
		UsageText: "docker2aci [options] IMAGE",
		Description: `IMAGE is a docker save archive of any era, an oci-archive, an OCI layout directory
(also oci:DIR[:TAG]), "-" for an archive on standard input, or
docker://[REGISTRY/]NAME[:TAG|@DIGEST] for a registry (Docker Hub by default).
Layers are squashed into one ACI named <repository, / as ->-<tag>.aci in the current
directory (or -o); stdout lists the written files, one a line. Registry credentials come
from ~/.docker/config.json unless --username is given.`,
		Flags: []ucli.Flag{
			cli.DebugFlag,
			cli.QuietFlag,
			&ucli.BoolFlag{Name: "nosquash", Usage: "write one ACI per layer, each depending on the one below"},
			&ucli.StringFlag{Name: "image", Usage: "pick `NAME[:TAG]` from an archive or layout holding several images"},
			&ucli.StringFlag{Name: "compression", Value: "gzip", Usage: "compression of the written ACIs: gzip or none"},
			&ucli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "write to `PATH` (\"-\" for stdout; a directory with --nosquash)"},
			&ucli.BoolFlag{Name: "overwrite", Usage: "replace existing output files"},
			&ucli.StringFlag{Name: "platform", Usage: "pick `OS/ARCH[/VARIANT]` from manifest lists (default: this machine)"},
			&ucli.StringFlag{Name: "username", Usage: "registry user name (password read from stdin with --password-stdin)"},
			&ucli.BoolFlag{Name: "password-stdin", Usage: "read the registry password from the first line of stdin"},
			toolflags.IdleTimeout(),
			cli.InsecureOptionsFlag(),
			&ucli.BoolFlag{Name: "insecure-skip-verify", Hidden: true, Usage: "same as --insecure-options=tls"},
			&ucli.BoolFlag{Name: "insecure-allow-http", Hidden: true, Usage: "same as --insecure-options=http"},
		},
		Action:   convert,
		Commands: []*ucli.Command{cli.VersionCommand()},
	}
}
