package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/acikit/acikit/internal/aci"
	"github.com/acikit/acikit/internal/cli"
	"github.com/acikit/acikit/internal/compress"
	"github.com/acikit/acikit/internal/errkind"
	"github.com/acikit/acikit/internal/schema"
	"github.com/acikit/acikit/internal/schema/types"
	ucli "github.com/urfave/cli/v2"
)

// The kinds of input validate knows.
const (
	typeImage    = "appimage"
	typeLayout   = "layout"
	typeManifest = "manifest"
)

func validateCommand() *ucli.Command {
	return &ucli.Command{
		Name:      "validate",
		Usage:     "check images, image layouts and manifests",
		ArgsUsage: "PATH...",
		Description: `Checks each PATH ("-" for stdin) against the AppC 0.8.11 rules: a directory as an image
layout, a file as an image (.aci, plain tar or gzip/bzip2/xz/zstd compressed) or as an image or pod
manifest, detected from its content unless --type says. Every path is checked even after a
failure; each failure is one line on stderr, and the exit status is non-zero if any failed
(3 when all failures are invalid inputs). What the spec allows but a stricter check questions
(a repeated isolator, an empty program name...) is a warning line ("actool: warning: PATH: ...")
that leaves the exit status alone; --strict makes it an error. A pod manifest whose apps name
images without an ID is a template (valid; acrun resolves it). --debug prints a line per valid
input, --json a report (which includes each image's ID, the warnings, and "template").`,
		Flags: []ucli.Flag{
			&ucli.StringFlag{Name: "type", Usage: "treat every PATH as `appimage`, layout or manifest"},
			&ucli.BoolFlag{Name: "json", Usage: "print a JSON report on stdout: one object per PATH"},
			&ucli.BoolFlag{Name: "strict", Usage: "fail on the checks stricter than the spec text (warnings)"},
			maxSizeFlag(),
		},
		Action: validate,
	}
}

type report struct {
	Path  string `json:"path"`
	Type  string `json:"type,omitempty"`
	Valid bool   `json:"valid"`
	Kind  string `json:"kind,omitempty"` // ImageManifest or PodManifest
	Name  string `json:"name,omitempty"`
	ID    string `json:"id,omitempty"`
	// Template: a pod manifest with apps that name their image without
	// an ID (pods.md: a deployable template, resolved before it runs).
	Template bool     `json:"template,omitempty"`
	Warnings []string `json:"warnings,omitempty"`
	Error    string   `json:"error,omitempty"`
	err      error
}

func validate(c *ucli.Context) error {
	if err := cli.NArgs(c, 1, -1); err != nil {
		return err
	}
	forced := c.String("type")
	switch forced {
	case "", typeImage, typeLayout, typeManifest:
	default:
		return errkind.Usagef("--type %q: must be appimage, layout or manifest", forced)
	}
	var reports []report
	// The exit status is that of an invalid input when every failure is
	// one, else that of the first other failure.
	var worst error
	for _, path := range c.Args().Slice() {
		r := validateOne(c, path, forced)
		if r.Valid && len(r.Warnings) > 0 {
			if c.Bool("strict") {
				r.Valid = false
				r.err = errkind.Invalidf("%s (stricter than the spec; refused by --strict)", strings.Join(r.Warnings, "; "))
				r.Error = r.err.Error()
			} else {
				for _, w := range r.Warnings {
					fmt.Fprintf(cli.Stderr(c), "actool: warning: %s: %s\n", path, w)
				}
			}
		}
		if r.Valid {
			if c.Bool("debug") {
				fmt.Fprintf(cli.Stderr(c), "%s: valid %s\n", path, describe(r))
			}
		} else {
			fmt.Fprintf(cli.Stderr(c), "actool: %s: %s\n", path, r.Error)
			if worst == nil || (cli.Code(worst) == cli.ExitInvalid && cli.Code(r.err) != cli.ExitInvalid) {
				worst = r.err
			}
		}
		reports = append(reports, r)
	}
	if c.Bool("json") {
		enc := json.NewEncoder(cli.Stdout(c))
		enc.SetIndent("", "    ")
		if err := enc.Encode(reports); err != nil {
			return err
		}
	}
	return cli.Silent(worst)
}

func describe(r report) string {
	switch r.Type {
	case typeLayout:
		return "image layout"
	case typeImage:
		return "app container image"
	}
	return r.Kind
}

func validateOne(c *ucli.Context, path, forced string) report {
	r := report{Path: path, Type: forced}
	err := func() error {
		if path != "-" {
			st, err := os.Stat(path)
			if err != nil {
				return cli.NotFound(fmt.Errorf("unable to access: %w", err))
			}
			if st.IsDir() {
				if forced != "" && forced != typeLayout {
					return errkind.Usagef("is a directory (wrong --type?)")
				}
				r.Type = typeLayout
				m, _, err := aci.ReadLayout(path, aci.LayoutOptions{})
				if err == nil {
					r.Name, r.Kind = string(m.Name), string(m.ACKind)
					r.warn(m.Warnings())
				}
				return err
			}
			if forced == typeLayout {
				return errkind.Usagef("is not a directory (wrong --type?)")
			}
		} else if forced == typeLayout {
			return errkind.Usagef("standard input cannot be a layout")
		}
		in, err := cli.OpenInput(c, path)
		if err != nil {
			return err
		}
		defer in.Close()
		br := bufio.NewReaderSize(in, 1<<20)
		if r.Type == "" {
			head, _ := br.Peek(compress.SniffLen)
			switch {
			case compress.Detect(head) != compress.Unknown:
				r.Type = typeImage
			case looksLikeJSON(head):
				r.Type = typeManifest
			default:
				return errkind.Invalidf("unable to detect file type (try --type)")
			}
		}
		if r.Type == typeManifest {
			return validateManifest(br, &r)
		}
		// The image ID costs a SHA-512 pass over the whole tar; only the
		// JSON report shows it.
		res, err := aci.Validate(c.Context, br, aci.Options{MaxSize: c.Int64("max-size"), SkipID: !c.Bool("json")})
		if err != nil {
			return err
		}
		r.ID, r.Name, r.Kind = res.ID, string(res.Manifest.Name), string(res.Manifest.ACKind)
		r.warn(res.Manifest.Warnings())
		return nil
	}()
	if err != nil {
		r.Error = err.Error()
		r.err = err
		return r
	}
	r.Valid = true
	return r
}

func looksLikeJSON(head []byte) bool {
	return strings.HasPrefix(strings.TrimLeft(string(head), " \t\r\n\ufeff"), "{")
}

// readCapped reads all of r, refusing more than max bytes.
func readCapped(r io.Reader, max int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, errkind.Invalidf("manifest larger than %d bytes", max)
	}
	return data, nil
}

func validateManifest(r io.Reader, rep *report) error {
	data, err := readCapped(r, schema.MaxManifestSize)
	if err != nil {
		return err
	}
	kind, err := schema.SniffKind(data)
	if err != nil {
		return fmt.Errorf("invalid manifest: %w", err)
	}
	rep.Kind = string(kind)
	switch kind {
	case types.ImageManifestKind:
		m, err := schema.ParseImageManifest(data)
		if err != nil {
			return fmt.Errorf("invalid ImageManifest: %w", err)
		}
		rep.Name = string(m.Name)
		rep.warn(m.Warnings())
	default:
		m, err := schema.ParsePodManifest(data)
		if err != nil {
			return fmt.Errorf("invalid PodManifest: %w", err)
		}
		rep.warn(m.Warnings())
		rep.Template = m.IsTemplate()
	}
	return nil
}

func (r *report) warn(ws []*schema.Error) {
	for _, w := range ws {
		r.Warnings = append(r.Warnings, w.Error())
	}
}
