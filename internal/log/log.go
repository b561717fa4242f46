// Package log is the tiny leveled logger that libraries accept through their
// Options. It never writes to stdout: tools point it at stderr, tests at t.Logf.
package log

import (
	"fmt"
	"io"
	"sync"
)

// Level orders messages; a Logger prints messages at its level and above.
type Level int

// Levels, from chattiest to quietest.
const (
	LevelDebug Level = iota
	LevelInfo
	LevelWarn
	LevelSilent
)

// Logger prints one line per message, prefixed with the tool's name.
// The zero value and a nil *Logger discard everything.
type Logger struct {
	mu     sync.Mutex
	w      io.Writer
	prefix string
	level  Level
}

// New returns a Logger writing lines "prefix: message" at level and above.
func New(w io.Writer, prefix string, level Level) *Logger {
	return &Logger{w: w, prefix: prefix, level: level}
}

// Discard is a Logger that prints nothing.
var Discard = &Logger{level: LevelSilent}

// Enabled reports whether messages at lv would be printed, so callers can
// skip costly formatting.
func (l *Logger) Enabled(lv Level) bool {
	return l != nil && l.w != nil && lv >= l.level && l.level != LevelSilent
}

func (l *Logger) printf(lv Level, format string, a ...any) {
	if !l.Enabled(lv) {
		return
	}
	msg := fmt.Sprintf(format, a...)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.prefix != "" {
		fmt.Fprintf(l.w, "%s: %s\n", l.prefix, msg)
	} else {
		fmt.Fprintln(l.w, msg)
	}
}

// Debugf prints details useful when chasing a problem (--debug).
func (l *Logger) Debugf(format string, a ...any) { l.printf(LevelDebug, format, a...) }

// Infof prints progress a user may want to see (hidden by --quiet).
func (l *Logger) Infof(format string, a ...any) { l.printf(LevelInfo, format, a...) }

// Warnf prints something the user should know even when all went well.
func (l *Logger) Warnf(format string, a ...any) { l.printf(LevelWarn, format, a...) }

// Writer returns the writer messages go to (io.Discard for a silent Logger).
func (l *Logger) Writer() io.Writer {
	if l == nil || l.w == nil {
		return io.Discard
	}
	return l.w
}

// Testing adapts a testing.TB-like Logf into a Logger, for tests.
type logfWriter func(format string, a ...any)

func (f logfWriter) Write(p []byte) (int, error) {
	f("%s", string(p))
	return len(p), nil
}

// ForTest returns a debug-level Logger that sends lines to logf (t.Logf).
func ForTest(logf func(format string, a ...any)) *Logger {
	return New(logfWriter(logf), "", LevelDebug)
}
