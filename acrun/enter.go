package main

import (
	"bytes"
	"fmt"
	"os"
	"strconv"

	ucli "github.com/urfave/cli/v2"

	"github.com/acikit/acikit/internal/cli"
	"github.com/acikit/acikit/internal/errkind"
	"github.com/acikit/acikit/internal/sandbox"
)

func enterCommand(r *runner) *ucli.Command {
	return cli.AllowFlagsAfterArgs(&ucli.Command{
		Name:      "enter",
		Usage:     "run a command inside a running app (default /bin/sh)",
		ArgsUsage: "UUID [CMD ARGS...]",
		Description: `The command sees the app's root file system, volumes and /proc, in the pod's pid, network,
ipc and uts namespaces, as root, with the app's environment. acrun exits with the command's
status.`,
		Flags: []ucli.Flag{podDirFlag(), &ucli.StringFlag{Name: "app", Usage: "the app to enter (needed when the pod has several)"}},
		Action: func(c *ucli.Context) error {
			if err := cli.NArgs(c, 1, -1); err != nil {
				return err
			}
			p, err := podArg(c)
			if err != nil {
				return err
			}
			if p.StateName() != "running" {
				// Not a usage error: the command is right, the pod is not.
				return fmt.Errorf("pod %s is %s, not running", p.UUID, p.StateName())
			}
			st, err := p.Status()
			if err != nil {
				return err
			}
			name := c.String("app")
			if name == "" {
				if len(st.Apps) != 1 {
					return errkind.Usagef("pod %s has %d apps: choose one with --app", p.UUID, len(st.Apps))
				}
				name = st.Apps[0].Name
			}
			pid := 0
			for _, a := range st.Apps {
				if a.Name == name {
					pid = a.Pid
				}
			}
			if pid == 0 {
				return errkind.NotFoundf("pod %s: no running app %q", p.UUID, name)
			}
			cmd := c.Args().Tail()
			if len(cmd) > 0 && cmd[0] == "--" {
				cmd = cmd[1:]
			}
			if len(cmd) == 0 {
				cmd = []string{"/bin/sh"}
			}
			code, err := sandbox.Enter(c.Context, pid, sandbox.EnterSpec{
				Exec: cmd, Env: appEnviron(pid, name),
				Stdin: os.Stdin, Stdout: cli.Stdout(c), Stderr: cli.Stderr(c),
			})
			if err != nil && code > 0 {
				// Not found (127) or not executable (126), as a shell says.
				cli.Report(cli.Stderr(c), c.App.Name, err)
				r.exitCode = code
				return nil
			}
			if err != nil {
				return err
			}
			r.exitCode = code
			return nil
		},
	})
}

// appEnviron is the environment the app was started with (its image's,
// --set-env, --inherit-env), which the entered command gets as in rkt; the
// spec's minimum when it cannot be read.
func appEnviron(pid int, name string) []string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
	if err != nil || len(b) == 0 {
		return []string{"PATH=" + defaultPath, "AC_APP_NAME=" + name, "container=acrun"}
	}
	var env []string
	for _, kv := range bytes.Split(bytes.TrimSuffix(b, []byte{0}), []byte{0}) {
		env = append(env, string(kv))
	}
	return env
}
