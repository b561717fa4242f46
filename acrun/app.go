package main

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"github.com/acikit/acikit/internal/cli"
	"github.com/acikit/acikit/internal/pod"
	"github.com/acikit/acikit/internal/store"
	"github.com/acikit/acikit/internal/trust"
)

// Environment variables read by acrun (only here, never by the libraries).
const (
	envPodDir  = "ACIKIT_POD_DIR"
	envCNIPath = "ACIKIT_CNI_PATH"
)

// Exit code of a pod whose app could not be started at all (as docker's
// 125: the runtime, not the app, failed).
const exitAppNotStarted = 125

// runner carries the run command's result to main: the exit code the apps
// decided, or -1 when acrun's own error decides.
type runner struct {
	exitCode int
	// statusWritten is set once the pod's final status is on disk.
	statusWritten bool
}

func newApp(r *runner) *ucli.App {
	app := &ucli.App{
		Name:  "acrun",
		Usage: "run App Container images as pods",
		Description: `acrun runs one or more images as a pod: apps share pid, uts, ipc and network namespaces,
each in its own root file system, with cgroup limits, capabilities, volumes, CNI networking and the
AppC metadata service. Without a command, the arguments are those of "run". Pods live under
--pod-dir in rkt's layout (prepared, run, exited, garbage); "gc" cleans up after pods whose acrun
was killed. The pod's UUID goes to stderr; the apps' output goes straight to acrun's.`,
		Flags: []ucli.Flag{cli.DebugFlag, cli.QuietFlag},
		Commands: []*ucli.Command{
			runCommand(r),
			listCommand(),
			statusCommand(),
			gcCommand(),
			rmCommand(),
			enterCommand(r),
			catManifestCommand(),
			cli.VersionCommand(),
		},
	}
	for _, name := range []string{"status", "rm", "enter", "cat-manifest"} {
		app.Command(name).BashComplete = cli.CompleteWith(podUUIDs)
	}
	app.Command("run").BashComplete = completeRun
	return app
}

// podUUIDs are the pods' UUIDs (what list shows), for shell completion. A
// pods directory that does not exist yet is not made for it.
func podUUIDs(c *ucli.Context) []string {
	dir := c.String("pod-dir")
	if dir == "" {
		dir = "/var/lib/acikit/pods"
	}
	if _, err := os.Stat(dir); err != nil {
		return nil
	}
	pods, err := pod.Open(dir)
	if err != nil {
		return nil
	}
	all, err := pods.List()
	if err != nil {
		return nil
	}
	var out []string
	for _, p := range all {
		out = append(out, p.UUID)
	}
	return out
}

// completeRun offers the pod flags before the first image and the app
// flags after an image (run parses its own command line, so urfave's
// completion knows neither).
func completeRun(c *ucli.Context) {
	args := c.Args().Slice()
	if len(args) == 0 || !strings.HasPrefix(args[len(args)-1], "-") {
		return // an image or a file: the shell completes file names
	}
	fs := podFlags(&podOpts{})
	_ = fs.Parse(args[:len(args)-1])
	if fs.NArg() > 0 {
		fs = appFlags(&appOpts{})
	}
	fs.VisitAll(func(f *flag.Flag) {
		fmt.Fprintf(cli.Stdout(c), "--%s\n", f.Name)
	})
}

// commands lists the command names, so withRun knows what is not one.
var commands = []string{"run", "list", "status", "gc", "rm", "enter", "cat-manifest", "version", "help"}

// withRun makes "run" the default command: "acrun IMAGE" is "acrun run
// IMAGE", and "acrun --net=host IMAGE" too. Global flags (--debug, --quiet)
// before the command stay where they are.
func withRun(args []string) []string {
	i := 1
	for i < len(args) && (args[i] == "--debug" || args[i] == "--quiet" || args[i] == "-q") {
		i++
	}
	if i >= len(args) {
		return args
	}
	a := args[i]
	if a == "-h" || a == "--help" || a == "--version" || a == "--generate-bash-completion" {
		return args
	}
	if slices.Contains(commands, a) {
		return args
	}
	// "acrun --pod-dir X list": flags before a command name go after it,
	// where the command takes them or refuses them (a usage error), rather
	// than running an image named list. After "--" a word is an image.
	fs := podFlags(&podOpts{})
	if fs.Parse(args[i:]) == nil && fs.NArg() > 0 && slices.Contains(commands, fs.Arg(0)) {
		rest := len(args) - fs.NArg()
		if flags := args[i:rest]; flags[len(flags)-1] != "--" {
			out := append(slices.Clone(args[:i]), fs.Arg(0))
			out = append(out, flags...)
			return append(out, args[rest+1:]...)
		}
	}
	out := append([]string{}, args[:i]...)
	out = append(out, "run")
	return append(out, args[i:]...)
}

func podDirFlag() ucli.Flag {
	return &ucli.StringFlag{
		Name:    "pod-dir",
		Usage:   "pods `DIR` (default /var/lib/acikit/pods)",
		EnvVars: []string{envPodDir},
	}
}

// podArg is the pod named (by UUID or unique prefix) by the first argument.
func podArg(c *ucli.Context) (*pod.Pod, error) {
	pods, err := existingPods(c.String("pod-dir"))
	if err != nil {
		return nil, err
	}
	return pods.Get(c.Args().First())
}

const defaultPodDir = "/var/lib/acikit/pods"

// openPods opens (making it if needed) the pods directory for run.
func openPods(dir string) (*pod.Pods, error) {
	if dir == "" {
		dir = defaultPodDir
	}
	return pod.Open(dir)
}

// existingPods opens the pods directory for the commands that only look
// at pods or remove them: they create nothing. A directory that was named
// (--pod-dir, $ACIKIT_POD_DIR) and does not exist is a not-found error (a
// typo shows); the default one missing means no pod was ever run.
func existingPods(dir string) (*pod.Pods, error) {
	if dir != "" {
		return pod.OpenExisting(dir)
	}
	ps, err := pod.OpenExisting(defaultPodDir)
	if errors.Is(err, fs.ErrNotExist) {
		return pod.View(defaultPodDir), nil
	}
	return ps, err
}

// defaultStoreDir is acfetch's: /var/lib/acikit for root, else
// $XDG_DATA_HOME/acikit.
func defaultStoreDir() string {
	if os.Geteuid() == 0 {
		return "/var/lib/acikit"
	}
	if x := os.Getenv("XDG_DATA_HOME"); x != "" {
		return filepath.Join(x, "acikit")
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".local", "share", "acikit")
}

func openStore(dir string, c *ucli.Context) (*store.Store, error) {
	if dir == "" {
		dir = defaultStoreDir()
	}
	return store.Open(dir, store.Options{Log: cli.Logger(c)})
}

func trustStore(local, system string) *trust.Store {
	if local == "" {
		home, _ := os.UserHomeDir()
		local = trust.DefaultLocalDir(os.Geteuid(), os.Getenv("XDG_CONFIG_HOME"), home)
	}
	return trust.New(trust.Options{LocalDir: local, SystemDir: system})
}

// cniPath is where the CNI plugins are looked for: --cni-path, then
// $ACIKIT_CNI_PATH, then cni/ beside the acrun binary (make's bin/cni),
// /usr/lib/acikit/cni, /usr/lib/cni and /opt/cni/bin.
func cniPath(flag string) []string {
	if flag == "" {
		flag = os.Getenv(envCNIPath)
	}
	if flag != "" {
		return strings.Split(flag, ":")
	}
	var dirs []string
	if exe, err := os.Executable(); err == nil {
		dirs = append(dirs, filepath.Join(filepath.Dir(exe), "cni"))
	}
	return append(dirs, "/usr/lib/acikit/cni", "/usr/lib/cni", "/opt/cni/bin")
}
