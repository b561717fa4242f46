package main

import (
	"fmt"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/acikit/acikit/internal/cli"
	"github.com/acikit/acikit/internal/netcni"
	"github.com/acikit/acikit/internal/pod"
)

func gcCommand() *ucli.Command {
	return &ucli.Command{
		Name:  "gc",
		Usage: "clean up after pods whose acrun died and remove exited pods older than --grace",
		Description: `A pod whose acrun was killed still holds its mounts, network (leases, veths, netns) and
cgroups; gc releases them at once and marks the pod exited. Exited pods older than the grace
period are removed. Prints the UUIDs removed. A teardown step that cannot run (the CNI
plugins the pod's run used are gone: name others with --cni-path) is reported on stderr,
one line each, and skipped: the pod is removed anyway.`,
		Flags: []ucli.Flag{podDirFlag(), cniPathFlag(), &ucli.DurationFlag{Name: "grace", Value: 30 * time.Minute, Usage: "keep exited pods this long"}},
		Action: func(c *ucli.Context) error {
			if err := cli.NArgs(c, 0, 0); err != nil {
				return err
			}
			pods, err := teardownPods(c)
			if err != nil {
				return err
			}
			removed, err := pods.GC(c.Context, pod.GCOptions{Grace: c.Duration("grace"), Log: cli.Logger(c),
				Net: &netcni.Options{StateDir: netStateDir(pods), PluginDirs: cniPath(c.String("cni-path"))}})
			for _, u := range removed {
				cli.Printf(c, "%s\n", u)
			}
			return err
		},
	}
}

func rmCommand() *ucli.Command {
	return &ucli.Command{
		Name:      "rm",
		Usage:     "remove pods that are not running",
		ArgsUsage: "UUID...",
		Description: `Removes each pod given that is not running, whatever its state (also one already
in garbage); one that is running or not found is reported and the others are still removed.
Teardown steps that cannot run are reported and skipped, as with gc.`,
		Flags: []ucli.Flag{podDirFlag(), cniPathFlag()},
		Action: func(c *ucli.Context) error {
			if err := cli.NArgs(c, 1, -1); err != nil {
				return err
			}
			pods, err := teardownPods(c)
			if err != nil {
				return err
			}
			// Like rm(1): every pod that can go goes; each failure is a line
			// (the last one is the error acrun exits with).
			var last error
			for _, u := range c.Args().Slice() {
				if err := pods.Remove(c.Context, u, cli.Logger(c)); err != nil {
					if last != nil {
						fmt.Fprintf(cli.Stderr(c), "%s: %v\n", c.App.Name, last)
					}
					last = err
				}
			}
			return last
		},
	}
}

func cniPathFlag() ucli.Flag {
	return &ucli.StringFlag{
		Name:    "cni-path",
		Usage:   "colon list of CNI plugin `DIR`s for network teardown (default: where the pod's run found them)",
		EnvVars: []string{envCNIPath},
	}
}

// teardownPods opens the pods directory for gc and rm. Each pod's network
// is torn down with the plugins its run used (recorded in its status)
// unless --cni-path or $ACIKIT_CNI_PATH names others; a step that cannot
// run is reported and skipped, and the pod goes anyway.
func teardownPods(c *ucli.Context) (*pod.Pods, error) {
	pods, err := existingPods(c.String("pod-dir"))
	if err != nil {
		return nil, err
	}
	if d := c.String("cni-path"); d != "" {
		pods.SetPluginDirs(cniPath(d))
	}
	return pods, nil
}
