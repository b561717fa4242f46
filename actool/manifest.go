package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/acikit/acikit/internal/aci"
	"github.com/acikit/acikit/internal/cli"
	"github.com/acikit/acikit/internal/compress"
	"github.com/acikit/acikit/internal/errkind"
	"github.com/acikit/acikit/internal/patch"
	"github.com/acikit/acikit/internal/schema"
	ucli "github.com/urfave/cli/v2"
)

func catManifestCommand() *ucli.Command {
	return &ucli.Command{
		Name:      "cat-manifest",
		Usage:     "print the manifest of an image",
		ArgsUsage: "ACI",
		Description: `Prints the manifest of the image ACI ("-" for stdin) on stdout, as stored, after checking
that it is a valid image manifest (an invalid one is reported, not printed).`,
		Flags: []ucli.Flag{
			&ucli.BoolFlag{Name: "pretty-print", Usage: "indent the JSON (4 spaces)"},
			maxSizeFlag(),
		},
		Action: catManifest,
	}
}

func catManifest(c *ucli.Context) error {
	if err := cli.NArgs(c, 1, 1); err != nil {
		return err
	}
	in, err := cli.OpenInput(c, c.Args().First())
	if err != nil {
		return err
	}
	defer in.Close()
	m, raw, err := aci.ReadManifestOptions(c.Context, in, aci.Options{MaxSize: c.Int64("max-size")})
	if err != nil {
		return fmt.Errorf("cat-manifest %s: %w", c.Args().First(), err)
	}
	if !c.Bool("pretty-print") {
		out := raw
		if !bytes.HasSuffix(out, []byte("\n")) {
			out = append(out, '\n')
		}
		_, err = cli.Stdout(c).Write(out)
		return err
	}
	compact, err := m.MarshalJSON()
	if err != nil {
		return err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, compact, "", "    "); err != nil {
		return err
	}
	cli.Printf(c, "%s\n", out.Bytes())
	return nil
}

func imageIDCommand() *ucli.Command {
	return &ucli.Command{
		Name:      "image-id",
		Usage:     "print the image ID of images",
		ArgsUsage: "ACI...",
		Description: `Prints the image ID ("sha512-" and the SHA-512 of the uncompressed tar, as
"zcat ACI | sha512sum" computes it) of each ACI ("-" for stdin), one per line. The image is not
validated; use validate for that.`,
		Flags:  []ucli.Flag{maxSizeFlag()},
		Action: imageID,
	}
}

func imageID(c *ucli.Context) error {
	if err := cli.NArgs(c, 1, -1); err != nil {
		return err
	}
	// Like sha512sum, a bad file is reported and the others still get done.
	var first error
	for _, path := range c.Args().Slice() {
		id, err := imageIDOf(c, path)
		if err != nil {
			fmt.Fprintf(cli.Stderr(c), "actool: image-id %s: %v\n", path, err)
			if first == nil {
				first = err
			}
			continue
		}
		cli.Printf(c, "%s\n", id)
	}
	return cli.Silent(first)
}

func imageIDOf(c *ucli.Context, path string) (string, error) {
	in, err := cli.OpenInput(c, path)
	if err != nil {
		return "", err
	}
	defer in.Close()
	return aci.ImageIDOptions(c.Context, in, aci.Options{MaxSize: c.Int64("max-size")})
}

// maxSizeFlag bounds how much of an image is read, against decompression bombs.
func maxSizeFlag() ucli.Flag {
	return &ucli.Int64Flag{
		Name:  "max-size",
		Usage: "stop reading an image past this many uncompressed `bytes` (0: no cap)",
		Action: func(_ *ucli.Context, v int64) error {
			if v < 0 {
				return errkind.Usagef("--max-size %d: must be a number of bytes, or 0 for no cap", v)
			}
			return nil
		},
	}
}

func patchManifestCommand() *ucli.Command {
	return &ucli.Command{
		Name:      "patch-manifest",
		Usage:     "change the manifest of an image",
		ArgsUsage: "INPUT.aci [OUTPUT.aci]",
		Description: `Copies INPUT to OUTPUT ("-" for stdout) with its manifest changed, or rewrites INPUT in place
with --replace. The new manifest is validated before anything is written; every other entry is
copied unchanged. Prints the new image ID on stdout (on stderr when the image goes to stdout).
Lists: --mounts and --ports and --isolators take items separated by ":"; mount points, ports and
isolators are appended; --capability, --revoke-capability and --seccomp-* replace the isolators of
their kind.`,
		Flags: []ucli.Flag{
			&ucli.StringFlag{Name: "manifest", Usage: "replace the whole manifest with the one in `FILE` (- for stdin)"},
			&ucli.StringFlag{Name: "name", Usage: "set the image name"},
			&ucli.StringFlag{Name: "exec", Usage: "set the app's command line (split on spaces); creates the app if missing"},
			&ucli.StringFlag{Name: "user", Usage: "set the app's user"},
			&ucli.StringFlag{Name: "group", Usage: "set the app's group"},
			&ucli.StringFlag{Name: "supplementary-groups", Usage: "set the app's supplementary group IDs (`GID,GID...`)"},
			&ucli.StringFlag{Name: "capability", Usage: "set the capabilities retain set (`CAP,CAP...`)"},
			&ucli.StringFlag{Name: "revoke-capability", Usage: "set the capabilities remove set (`CAP,CAP...`)"},
			&ucli.StringFlag{Name: "mounts", Usage: "add mount points: `name,path=/p[,readOnly=true][:...]`"},
			&ucli.StringFlag{Name: "ports", Usage: "add ports: `name,protocol=tcp,port=80[,count=1][,socketActivated=false][:...]`"},
			&ucli.StringFlag{Name: "isolators", Usage: "add isolators: `resource/memory,limit=1G[:os/linux/no-new-privileges,true][:...]`"},
			&ucli.StringFlag{Name: "seccomp-mode", Usage: "seccomp isolator mode: `retain|remove[,errno=EPERM]`"},
			&ucli.StringFlag{Name: "seccomp-set", Usage: "syscalls of the seccomp isolator (`name,name...`)"},
			&ucli.BoolFlag{Name: "replace", Usage: "rewrite INPUT in place"},
			&ucli.BoolFlag{Name: "overwrite", Usage: "replace OUTPUT if it exists"},
			&ucli.BoolFlag{Name: "no-compression", Usage: "write a plain tar instead of gzip"},
		},
		Action: patchManifest,
	}
}

func patchManifest(c *ucli.Context) error {
	replace := c.Bool("replace")
	if replace && c.Bool("overwrite") {
		return errkind.Usagef("--replace and --overwrite cannot be used together")
	}
	if replace {
		if err := cli.NArgs(c, 1, 1); err != nil {
			return err
		}
	} else if err := cli.NArgs(c, 2, 2); err != nil {
		return err
	}
	input, output := c.Args().Get(0), c.Args().Get(1)
	if replace {
		if input == "-" {
			return errkind.Usagef("--replace needs a file, not standard input")
		}
		output = input
	}
	if output != "-" && !strings.HasSuffix(output, ".aci") {
		return errkind.Usagef("output %s: the extension must be .aci", output)
	}
	if err := cli.RefuseTerminal(c, output, "an image"); err != nil {
		return err
	}
	opts := patch.Options{
		Name: c.String("name"), Exec: c.String("exec"), User: c.String("user"), Group: c.String("group"),
		SupplementaryGIDs: c.String("supplementary-groups"), Capability: c.String("capability"),
		RevokeCapability: c.String("revoke-capability"), Mounts: c.String("mounts"), Ports: c.String("ports"),
		Isolators: c.String("isolators"), SeccompMode: c.String("seccomp-mode"), SeccompSet: c.String("seccomp-set"),
	}
	if opts.Capability != "" && opts.RevokeCapability != "" {
		return errkind.Usagef("--capability and --revoke-capability cannot be used together")
	}
	var replacement []byte
	if f := c.String("manifest"); f != "" {
		if opts != (patch.Options{}) {
			return errkind.Usagef("--manifest cannot be combined with other manifest editing flags")
		}
		if f == "-" && input == "-" {
			return errkind.Usagef("--manifest - and INPUT - cannot both be standard input")
		}
		data, err := readSmallFile(c, f)
		if err != nil {
			return err
		}
		// Unlike the reference, a replacement manifest is validated.
		if _, err := schema.ParseImageManifest(data); err != nil {
			return fmt.Errorf("--manifest %s: %w", f, err)
		}
		replacement = data
	}
	edit := func(m *schema.ImageManifest, _ []byte) ([]byte, error) {
		if replacement != nil {
			return replacement, nil
		}
		if err := patch.Apply(m, opts); err != nil {
			return nil, err
		}
		return m.MarshalJSON()
	}

	in, err := cli.OpenInput(c, input)
	if err != nil {
		return err
	}
	defer in.Close()
	o, err := cli.CreateOutput(c, output, 0o644, replace || c.Bool("overwrite"))
	if err != nil {
		return fmt.Errorf("write %w", err)
	}
	defer o.Abort()
	wopts := aci.WriterOptions{Compression: compress.Gzip}
	if c.Bool("no-compression") {
		wopts.Compression = compress.None
	}
	id, err := aci.Patch(c.Context, in, o, edit, aci.PatchOptions{Write: wopts})
	if err != nil {
		return fmt.Errorf("patch-manifest %s: %w", input, err)
	}
	if err := o.Commit(); err != nil {
		return fmt.Errorf("patch-manifest: %w", err)
	}
	if o.IsStdout() {
		fmt.Fprintln(cli.Stderr(c), id)
	} else {
		cli.Printf(c, "%s\n", id)
	}
	return nil
}

// readSmallFile reads a manifest-sized file argument ("-" for stdin).
func readSmallFile(c *ucli.Context, path string) ([]byte, error) {
	f, err := cli.OpenInput(c, path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := readCapped(f, schema.MaxManifestSize)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return data, nil
}
