package main

import (
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/acikit/acikit/internal/testutil"
)

// --interactive gives the app acrun's terminal: the app's stdin is a tty,
// and what is typed reaches it. script(1) supplies the terminal.
func TestInteractive(t *testing.T) {
	e := newEnv(t)
	script := testutil.RequireCommand(t, "script", "bsdutils")
	img := e.busybox("example.com/tty", "")
	cmdline := e.bin + " --insecure-options=image --net=none --interactive " + img +
		` --exec /bin/sh -- -c 'test -t 0 && echo stdin-is-a-tty; read line; echo got:$line'`
	cmd := exec.Command(script, "-qec", cmdline, "/dev/null")
	cmd.Env = e.environ()
	cmd.Stdin = strings.NewReader("typed-text\n")
	done := make(chan struct{})
	var out []byte
	var err error
	go func() { out, err = cmd.CombinedOutput(); close(done) }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatal("acrun --interactive did not finish")
	}
	if err != nil {
		t.Fatalf("acrun --interactive: %v\n%s", err, out)
	}
	s := strings.ReplaceAll(string(out), "\r", "")
	for _, want := range []string{"stdin-is-a-tty", "got:typed-text"} {
		if !strings.Contains(s, want) {
			t.Errorf("acrun --interactive output = %q, want it to contain %q", s, want)
		}
	}
}
