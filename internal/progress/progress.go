// Package progress owns the download progress bar acikit tools draw on
// stderr: bytes, total, rate and ETA, redrawn a few times a second. Tools
// draw it only when stderr is a terminal and --quiet is off (see Enabled);
// the package never decides that on its own output.
package progress

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// Enabled reports whether a bar should be drawn on w: w is a terminal and
// the user did not ask for quiet.
func Enabled(w io.Writer, quiet bool) bool {
	if quiet {
		return false
	}
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// Bar counts the bytes written to it. Close finishes the line.
type Bar struct {
	bar *progressbar.ProgressBar
}

// New starts a bar on w for one download: label ("ACI", "signature"), what
// is downloaded, and total bytes (-1 when unknown: a spinner with a count).
func New(w io.Writer, label, source string, total int64) *Bar {
	desc := fmt.Sprintf("Downloading %s %s", label, source)
	if len(desc) > 60 {
		desc = desc[:27] + "..." + desc[len(desc)-30:]
	}
	b := progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionShowBytes(true),
		progressbar.OptionShowCount(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(200*time.Millisecond),
		progressbar.OptionSetWidth(20),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionOnCompletion(func() { fmt.Fprint(w, "\r") }),
	)
	return &Bar{bar: b}
}

// Write adds len(p) to the count.
func (b *Bar) Write(p []byte) (int, error) {
	b.bar.Add64(int64(len(p)))
	return len(p), nil
}

// Close clears the bar.
func (b *Bar) Close() error { return b.bar.Finish() }
