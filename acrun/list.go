package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	ucli "github.com/urfave/cli/v2"

	"github.com/acikit/acikit/internal/cli"
	"github.com/acikit/acikit/internal/pod"
)

// podInfo is one pod as list and status show it.
type podInfo struct {
	UUID  string `json:"uuid"`
	State string `json:"state"`
	*pod.Status
}

func info(p *pod.Pod) podInfo {
	st, err := p.Status()
	if err != nil {
		st = &pod.Status{UUID: p.UUID}
	}
	return podInfo{UUID: p.UUID, State: p.StateName(), Status: st}
}

func networks(st *pod.Status) string {
	var out []string
	for _, n := range st.Networks {
		for _, a := range n.Addresses {
			out = append(out, n.Name+":"+strings.SplitN(a, "/", 2)[0])
		}
	}
	return strings.Join(out, ",")
}

func listCommand() *ucli.Command {
	return &ucli.Command{
		Name:  "list",
		Usage: "list the pods (UUID, apps, state, created, networks)",
		Description: `Creates nothing. A --pod-dir (or $ACIKIT_POD_DIR) that does not exist is an error
(exit 5), so that a mistyped one shows; the default one missing is an empty list.`,
		Flags: []ucli.Flag{podDirFlag(), &ucli.BoolFlag{Name: "json", Usage: "print a JSON array"}},
		Action: func(c *ucli.Context) error {
			if err := cli.NArgs(c, 0, 0); err != nil {
				return err
			}
			pods, err := existingPods(c.String("pod-dir"))
			if err != nil {
				return err
			}
			all, err := pods.List()
			if err != nil {
				return err
			}
			infos := []podInfo{}
			for _, p := range all {
				infos = append(infos, info(p))
			}
			if c.Bool("json") {
				b, _ := json.MarshalIndent(infos, "", "  ")
				cli.Printf(c, "%s\n", b)
				return nil
			}
			tw := tabwriter.NewWriter(cli.Stdout(c), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "UUID\tAPPS\tSTATE\tCREATED\tNETWORKS")
			for _, in := range infos {
				var apps []string
				for _, a := range in.Apps {
					apps = append(apps, a.Name)
				}
				created := ""
				if !in.Created.IsZero() {
					created = in.Created.Local().Format("2006-01-02 15:04:05")
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", in.UUID, strings.Join(apps, ","), in.State, created, networks(in.Status))
			}
			return tw.Flush()
		},
	}
}
