package main

import (
	"encoding/json"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/acikit/acikit/internal/cli"
)

func statusCommand() *ucli.Command {
	return &ucli.Command{
		Name:      "status",
		Usage:     "print a pod's state, pid, networks and apps' exit codes",
		ArgsUsage: "UUID",
		Description: `Prints key=value lines as rkt does: state, created, started, pid, exited, networks, then
app-NAME=EXITCODE for each app that ended. A UUID prefix that is unique is enough.`,
		Flags: []ucli.Flag{podDirFlag(), &ucli.BoolFlag{Name: "json", Usage: "print the status record as JSON"}},
		Action: func(c *ucli.Context) error {
			if err := cli.NArgs(c, 1, 1); err != nil {
				return err
			}
			p, err := podArg(c)
			if err != nil {
				return err
			}
			in := info(p)
			if c.Bool("json") {
				b, _ := json.MarshalIndent(in, "", "  ")
				cli.Printf(c, "%s\n", b)
				return nil
			}
			st := in.Status
			cli.Printf(c, "uuid=%s\nstate=%s\n", in.UUID, in.State)
			for _, t := range []struct {
				k string
				v time.Time
			}{{"created", st.Created}, {"started", st.Started}, {"exited", st.Exited}} {
				if !t.v.IsZero() {
					cli.Printf(c, "%s=%s\n", t.k, t.v.Format(time.RFC3339Nano))
				}
			}
			if st.Pid != 0 {
				cli.Printf(c, "pid=%d\n", st.Pid)
			}
			if n := networks(st); n != "" {
				cli.Printf(c, "networks=%s\n", n)
			}
			for _, a := range st.Apps {
				if a.Exited {
					cli.Printf(c, "app-%s=%d\n", a.Name, a.ExitCode)
				}
				if a.OOMKilled {
					cli.Printf(c, "app-%s-oom-killed=true\n", a.Name)
				}
				if a.Error != "" {
					cli.Printf(c, "app-%s-error=%s\n", a.Name, a.Error)
				}
			}
			return nil
		},
	}
}
