//go:build linux

package sandbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"

	"golang.org/x/sys/unix"

	"github.com/acikit/acikit/internal/errkind"
)

// EnterSpec is a command to run inside a running app (acrun enter).
type EnterSpec struct {
	Exec       []string
	Env        []string
	WorkingDir string
	Stdin      io.Reader
	Stdout     io.Writer
	Stderr     io.Writer
}

// Enter runs a command in the namespaces of process pid (an app's main
// process, see Pod.AppPid, or one read from a pod directory): its mount
// namespace, so the command sees the app's root, /proc and volumes, and the
// pod's pid, network, ipc and uts namespaces. It returns the command's exit
// code (128+signal when killed). The command runs as root with the caller's
// capabilities. A command that cannot be run gives the shell's codes with
// the error: 127 when it is not found, 126 when it is not executable.
func Enter(ctx context.Context, pid int, e EnterSpec) (int, error) {
	if len(e.Exec) == 0 {
		return -1, errkind.Usagef("enter: no command")
	}
	// The namespaces are switched on a thread of its own that is never
	// handed back to the scheduler: it ends with its goroutine.
	var cmd *exec.Cmd
	var err error
	onThread(func() bool {
		cmd, err = startEntered(ctx, pid, e)
		return false
	})
	if err != nil {
		switch {
		case errors.Is(err, errNotInPath), errors.Is(err, unix.ENOENT), errors.Is(err, unix.ENOTDIR):
			return 127, err
		case errors.Is(err, unix.EACCES), errors.Is(err, unix.ENOEXEC), errors.Is(err, unix.EISDIR):
			return 126, err
		}
		return -1, err
	}
	err = cmd.Wait()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(unix.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal()), nil
		}
		return ee.ExitCode(), nil
	}
	if err != nil {
		return -1, fmt.Errorf("enter pid %d: %w", pid, err)
	}
	return 0, nil
}

func startEntered(ctx context.Context, pid int, e EnterSpec) (*exec.Cmd, error) {
	// Open all first: /proc/PID is the host's only until the mount switch.
	kinds := []struct {
		name string
		flag int
	}{{"ipc", unix.CLONE_NEWIPC}, {"uts", unix.CLONE_NEWUTS}, {"net", unix.CLONE_NEWNET},
		{"pid", unix.CLONE_NEWPID}, {"mnt", unix.CLONE_NEWNS}}
	fds := make([]*os.File, 0, len(kinds))
	defer func() {
		for _, f := range fds {
			f.Close()
		}
	}()
	for _, k := range kinds {
		f, err := os.Open(fmt.Sprintf("/proc/%d/ns/%s", pid, k.name))
		if err != nil {
			return nil, errkind.NotFoundf("enter pid %d: %w", pid, err)
		}
		fds = append(fds, f)
	}
	// A mount namespace can only be joined by a thread with its own
	// root and cwd.
	if err := unix.Unshare(unix.CLONE_FS); err != nil {
		return nil, fmt.Errorf("enter: unshare fs: %w", err)
	}
	for i, k := range kinds {
		if err := unix.Setns(int(fds[i].Fd()), k.flag); err != nil {
			return nil, fmt.Errorf("enter pid %d: join %s namespace: %w", pid, k.name, err)
		}
	}
	prog, err := lookPath(e.Exec[0], e.Env)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, prog, e.Exec[1:]...)
	cmd.Args[0] = e.Exec[0]
	cmd.Env = e.Env
	cmd.Dir = e.WorkingDir
	if cmd.Dir == "" {
		cmd.Dir = "/"
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = e.Stdin, e.Stdout, e.Stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("enter pid %d: start %s: %w", pid, prog, err)
	}
	return cmd, nil
}
