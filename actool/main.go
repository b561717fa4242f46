// Command actool builds, validates, discovers and edits App Container images.
//
// Synopsis:
//
//	actool build [--overwrite] [--no-compression] [--owner-root] DIR OUT.aci
//	actool validate [--type=appimage|layout|manifest] [--json] PATH...
//	actool discover [--insecure] [--port N] [--json] NAME[:version][,label=value]...
//	actool cat-manifest [--pretty-print] ACI
//	actool patch-manifest [flags] INPUT.aci [OUTPUT.aci]
//	actool image-id ACI...
//	actool version
//
// Every file argument accepts "-" for standard input or output. stdout carries
// only data (image IDs, manifests, JSON); messages go to stderr.
//
// Exit status: 0 success, 1 failure, 2 usage, 3 invalid image or manifest,
// 4 signature or trust failure, 5 not found, 130 interrupted.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/acikit/acikit/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, newApp(), os.Args)
	stop()
	os.Exit(code)
}
