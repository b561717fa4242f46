// Command acrun runs App Container images as pods: each app in its own
// root file system (an overlay over a cached, verified rendering of its
// image and dependencies), all apps of a pod sharing new pid, uts, ipc and
// network namespaces, with cgroup limits, capabilities, volumes, CNI
// networking and the AppC metadata service.
//
// Synopsis:
//
//	acrun [run] [pod flags] IMAGE [app flags] [-- ARGS...] [--- IMAGE [app flags] [-- ARGS...]]...
//	acrun list [--json]
//	acrun status [--json] UUID
//	acrun gc [--grace D] [--cni-path DIRS]
//	acrun rm [--cni-path DIRS] UUID...
//	acrun enter [--app NAME] UUID [CMD ARGS...]
//	acrun cat-manifest [--pretty-print] UUID
//	acrun version
//
// The pod's UUID goes to stderr. Exit status of run: the app's exit code
// (several apps: the first failing app's in the order given; a signal N
// gives 128+N); acrun's own failures before any app ran: 2 usage, 3 invalid
// image or manifest, 4 signature or trust failure, 5 not found, 1 other,
// 130 interrupted; 125 when an app could not be started (setup, pre-start
// or exec failed). See the README for telling them apart. The pod commands
// exit 5 for an unknown pod or pods directory and 1 for a pod in the wrong
// state or an ambiguous UUID prefix; enter exits with the command's status,
// 127 when it is not found, 126 when it cannot be executed.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/acikit/acikit/internal/cli"
	"github.com/acikit/acikit/internal/sandbox"
)

func main() {
	// The pod's init is this binary re-executed when acrun-init is missing.
	sandbox.Init()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	r := &runner{exitCode: -1}
	code := cli.Main(ctx, newApp(r), withRun(os.Args))
	stop()
	if r.exitCode >= 0 {
		code = r.exitCode
	}
	os.Exit(code)
}
