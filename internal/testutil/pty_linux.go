package testutil

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
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
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("run %s %s: %v", bin, strings.Join(args, " "), err)
		}
		code = ee.ExitCode()
	}
	return Result{Stdout: so.String(), Stderr: se.String(), Code: code}
}
