// Package progress owns the progress bar acikit tools draw on stderr:
// what is transferred, bytes done/total, and (once it means something) the
// rate and ETA, redrawn a few times a second on one line that always fits
// the terminal. Tools draw it only when stderr is a terminal and --quiet is
// off (see Enabled); the package never decides that on its own output.
package progress

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/sys/unix"
	"golang.org/x/term"
)

const (
	// throttle is the least time between redraws.
	throttle = 200 * time.Millisecond
	// settle is how long the transfer runs before a rate shows: the rate of
	// the first few milliseconds is noise (often GB/s from a buffer).
	settle = 500 * time.Millisecond
	// defaultWidth is used when the width of w cannot be read.
	defaultWidth = 80
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

// Width returns the columns of the terminal w, or 80 when w is not one or
// does not say.
func Width(w io.Writer) int {
	if f, ok := w.(*os.File); ok {
		if ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ); err == nil && ws.Col > 0 {
			return int(ws.Col)
		}
	}
	return defaultWidth
}

// Bar draws one transfer. Write adds bytes, Set moves it; Close clears the
// line.
type Bar struct {
	w     io.Writer
	verb  string
	name  string
	width int
	now   func() time.Time

	mu     sync.Mutex
	total  int64
	done   int64
	start  time.Time
	last   time.Time
	drawn  bool
	closed bool
}

// New starts a bar on w for one download: label ("ACI", "signature"), what
// is downloaded, and total bytes (-1 when unknown: a count without a bar).
func New(w io.Writer, label, source string, total int64) *Bar {
	return newBar(w, "Downloading "+label, source, total, Width(w), time.Now)
}

// NewNamed starts a bar on w that says "verb name" ("Converting",
// "busybox:latest"); Set moves it.
func NewNamed(w io.Writer, verb, name string, total int64) *Bar {
	return newBar(w, verb, name, total, Width(w), time.Now)
}

func newBar(w io.Writer, verb, name string, total int64, width int, now func() time.Time) *Bar {
	return &Bar{w: w, verb: verb, name: name, total: total, width: width, now: now, start: now()}
}

// Write adds len(p) to the count.
func (b *Bar) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.done += int64(len(p))
	b.redraw(false)
	return len(p), nil
}

// Set sets the bytes done and the total (total <= 0 keeps the old one).
func (b *Bar) Set(done, total int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.done = done
	if total > 0 {
		b.total = total
	}
	b.redraw(false)
}

// Close clears the bar's line, leaving the cursor at its start.
func (b *Bar) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil
	}
	b.closed = true
	if b.drawn {
		_, err := io.WriteString(b.w, "\r\x1b[K")
		return err
	}
	return nil
}

// redraw draws the line unless one was drawn less than throttle ago.
func (b *Bar) redraw(force bool) {
	if b.closed {
		return
	}
	if b.total > 0 && b.done >= b.total {
		// Complete: clear the line now, since the caller may log (say, a
		// verified signature) before it gets to Close.
		b.closed = true
		if b.drawn {
			io.WriteString(b.w, "\r\x1b[K")
		}
		return
	}
	now := b.now()
	if b.drawn && !force && now.Sub(b.last) < throttle {
		return
	}
	b.last, b.drawn = now, true
	// \r then the line then erase to the end: a shorter line leaves nothing
	// of a longer one behind.
	io.WriteString(b.w, "\r"+b.line(now)+"\x1b[K")
}

// line renders the bar in fewer than b.width columns (the last column is
// left free: writing there makes some terminals wrap).
func (b *Bar) line(now time.Time) string {
	max := b.width - 1
	if max < 1 {
		max = 1
	}
	count := size(b.done)
	if b.total > 0 {
		count += "/" + size(b.total)
	}
	var rate, eta string
	if el := now.Sub(b.start); el >= settle && b.done > 0 {
		bps := float64(b.done) / el.Seconds()
		rate = size(int64(bps)) + "/s"
		if b.total > 0 && b.total > b.done {
			eta = "ETA " + duration(time.Duration(float64(b.total-b.done)/bps*float64(time.Second)))
		}
	}
	// Parts go from the most to the least wanted: drop from the end of the
	// list until the line fits, then shorten the name into what is left.
	stats := []string{count, rate, eta}
	const minName = 12
	nameWant := utf8.RuneCountInString(b.name)
	if nameWant > 40 {
		// A long name yields to the bar, then takes what is left.
		nameWant = 40
	}
	for {
		tail := join(stats)
		room := max - utf8.RuneCountInString(b.verb) - 1 - len(tail) - 1
		if b.total > 0 {
			barw := room - nameWant - 1
			if barw > 30 {
				barw = 30
			}
			if barw >= 10 {
				tail = "[" + bar(b.done, b.total, barw-2) + "] " + tail
				room -= barw + 1
			}
		}
		if room >= minName || stats[1] == "" && stats[2] == "" {
			l := b.verb
			if room > 0 {
				l += " " + Shorten(b.name, room)
			}
			return fit(l+" "+tail, max)
		}
		if stats[2] != "" {
			stats[2] = ""
		} else {
			stats[1] = ""
		}
	}
}

func join(parts []string) string {
	var nz []string
	for _, p := range parts {
		if p != "" {
			nz = append(nz, p)
		}
	}
	return strings.Join(nz, " ")
}

// fit cuts s to at most n runes, the last resort on a very narrow terminal.
func fit(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// Shorten returns s in at most n runes, cut in the middle with "…" so both
// the host and the file name stay readable.
func Shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	if n <= 1 {
		return string(r[:n])
	}
	head := (n - 1) / 2
	tail := n - 1 - head
	return string(r[:head]) + "…" + string(r[len(r)-tail:])
}

func bar(done, total int64, w int) string {
	if w <= 0 {
		return ""
	}
	fill := int(float64(w) * float64(done) / float64(total))
	if fill > w {
		fill = w
	}
	if fill < 0 {
		fill = 0
	}
	return strings.Repeat("=", fill) + strings.Repeat(" ", w-fill)
}

// size prints n bytes in binary units with one decimal.
func size(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	f := float64(n)
	for _, u := range []string{"KiB", "MiB", "GiB", "TiB"} {
		f /= unit
		if f < unit || u == "TiB" {
			return fmt.Sprintf("%.1f %s", f, u)
		}
	}
	return ""
}

func duration(d time.Duration) string {
	d = d.Round(time.Second)
	if d < time.Minute {
		return fmt.Sprintf("%ds", int(d.Seconds()))
	}
	if d < time.Hour {
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
}
