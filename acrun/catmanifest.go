package main

import (
	"bytes"
	"encoding/json"

	ucli "github.com/urfave/cli/v2"

	"github.com/acikit/acikit/internal/cli"
)

func catManifestCommand() *ucli.Command {
	return &ucli.Command{
		Name:      "cat-manifest",
		Usage:     "print a pod's manifest (reified: image IDs, volumes, mounts)",
		ArgsUsage: "UUID",
		Flags:     []ucli.Flag{podDirFlag(), &ucli.BoolFlag{Name: "pretty-print", Usage: "indent the JSON"}},
		Action: func(c *ucli.Context) error {
			if err := cli.NArgs(c, 1, 1); err != nil {
				return err
			}
			p, err := podArg(c)
			if err != nil {
				return err
			}
			b, err := p.Manifest()
			if err != nil {
				return err
			}
			if c.Bool("pretty-print") {
				var out bytes.Buffer
				if err := json.Indent(&out, b, "", "  "); err == nil {
					b = out.Bytes()
				}
			}
			cli.Printf(c, "%s\n", b)
			return nil
		},
	}
}
