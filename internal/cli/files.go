package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/acikit/acikit/internal/atomicfile"
	"github.com/acikit/acikit/internal/errkind"
	ucli "github.com/urfave/cli/v2"
	"golang.org/x/term"
)

// Stdin returns the app's standard input (App.Reader, else os.Stdin).
func Stdin(c *ucli.Context) io.Reader {
	if c.App.Reader != nil {
		return c.App.Reader
	}
	return os.Stdin
}

// Stdout returns where data goes (App.Writer).
func Stdout(c *ucli.Context) io.Writer { return c.App.Writer }

// Stderr returns where messages go (App.ErrWriter).
func Stderr(c *ucli.Context) io.Writer { return c.App.ErrWriter }

// OpenInput opens a file argument; "-" is standard input.
func OpenInput(c *ucli.Context, name string) (io.ReadCloser, error) {
	if name == "-" {
		return io.NopCloser(Stdin(c)), nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, NotFound(err)
	}
	return f, nil
}

// NotFound marks err as a not-found error (exit 5) when it is about a
// file that does not exist: a missing input file exits 5 in every tool.
func NotFound(err error) error {
	if errors.Is(err, fs.ErrNotExist) && !errors.Is(err, errkind.NotFound) {
		return errkind.Mark(err, errkind.NotFound)
	}
	return err
}

// Output is a destination file that appears complete or not at all.
// For "-" it is standard output and Commit only flushes.
type Output struct {
	io.Writer
	file *atomicfile.File
}

// CreateOutput starts writing a file argument; "-" is standard output.
// Without overwrite an existing file is refused.
func CreateOutput(c *ucli.Context, name string, perm fs.FileMode, overwrite bool) (*Output, error) {
	if name == "-" {
		return &Output{Writer: Stdout(c)}, nil
	}
	f, err := atomicfile.Create(name, perm, overwrite)
	if err != nil {
		return nil, err
	}
	return &Output{Writer: f, file: f}, nil
}

// Commit puts the file in place.
func (o *Output) Commit() error {
	if o.file == nil {
		return nil
	}
	return o.file.Commit()
}

// Abort discards a file that was not committed; safe to defer.
func (o *Output) Abort() {
	if o.file != nil {
		o.file.Abort()
	}
}

// IsStdout reports whether the output is standard output.
func (o *Output) IsStdout() bool { return o.file == nil }

// Printf writes a line of data to standard output.
func Printf(c *ucli.Context, format string, a ...any) {
	fmt.Fprintf(Stdout(c), format, a...)
}

// RefuseTerminal refuses to write binary data (an image) to standard
// output when it is a terminal, where it would only garble the screen:
// name is the output argument, "-" for stdout.
func RefuseTerminal(c *ucli.Context, name, what string) error {
	if name != "-" {
		return nil
	}
	f, ok := Stdout(c).(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return WithHint(errkind.Usagef("refusing to write %s to a terminal", what), "redirect stdout or give a file")
}
