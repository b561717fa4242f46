package testutil

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// OpenPTY opens a pseudo-terminal pair: the master, and the slave a
// process can use as its terminal. Both are closed when the test ends.
func OpenPTY(t testing.TB) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		Skip(t, "no pseudo-terminal: "+err.Error())
	}
	t.Cleanup(func() { m.Close() })
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatalf("unlock pty: %v", err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatalf("pty number: %v", err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open pty slave: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return m, s
}

// RunStdoutTTY runs bin with its stdout on a terminal (stdin and stderr
// are not): Stdout is what reached the terminal.
func RunStdoutTTY(t testing.TB, stdin []byte, bin string, args ...string) Result {
	t.Helper()
	m, s := OpenPTY(t)
	cmd := exec.Command(bin, args...)
	var se bytes.Buffer
	cmd.Stdout, cmd.Stderr = s, &se
	cmd.Stdin = bytes.NewReader(stdin)
	var so bytes.Buffer
	done := make(chan struct{})
	go func() { io.Copy(&so, m); close(done) }()
	err := cmd.Run()
	s.Close() // the master reads EOF (EIO) once no slave is open
	<-done
	code := ExitCode(t, err, bin, args...)
	return Result{Stdout: so.String(), Stderr: se.String(), Code: code}
}

// RunStderrTTY runs bin with its stderr on a terminal cols columns wide
// (stdin and stdout are not): Stderr is what reached the terminal, as a
// user would see it drawn (carriage returns and escapes included).
func RunStderrTTY(t testing.TB, stdin []byte, cols int, bin string, args ...string) Result {
	t.Helper()
	m, s := OpenPTY(t)
	if err := unix.IoctlSetWinsize(int(s.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: 24, Col: uint16(cols)}); err != nil {
		t.Fatalf("set pty size: %v", err)
	}
	// Raw output: the line discipline would otherwise turn \n into \r\n.
	tio, err := unix.IoctlGetTermios(int(s.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatalf("get pty termios: %v", err)
	}
	tio.Oflag &^= unix.OPOST
	if err := unix.IoctlSetTermios(int(s.Fd()), unix.TCSETS, tio); err != nil {
		t.Fatalf("set pty termios: %v", err)
	}
	cmd := exec.Command(bin, args...)
	var so bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, s
	cmd.Stdin = bytes.NewReader(stdin)
	var se bytes.Buffer
	done := make(chan struct{})
	go func() { io.Copy(&se, m); close(done) }()
	err = cmd.Run()
	s.Close()
	<-done
	code := ExitCode(t, err, bin, args...)
	return Result{Stdout: so.String(), Stderr: se.String(), Code: code}
}

var ansiEscape = regexp.MustCompile(`\x1b\[[0-9;?]*[A-Za-z]`)

// TerminalLines splits what a program drew on a terminal into the lines
// it showed: a redraw starts at \r, and ANSI escapes take no columns.
func TerminalLines(s string) []string {
	s = ansiEscape.ReplaceAllString(s, "")
	return strings.FieldsFunc(s, func(r rune) bool { return r == '\r' || r == '\n' })
}
