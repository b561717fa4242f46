// Command acfetch discovers, downloads, verifies and stores App Container
// images, and manages the local image store that acrun runs from.
//
// Synopsis:
//
//	acfetch [fetch] [--insecure-options=image,tls,http,pubkey,all] [--pull-policy=never|new|update]
//	        [-o FILE | --dir DIR] [--no-deps] [--platform=OS/ARCH[/VARIANT]] IMAGE...
//	acfetch list [--json]
//	acfetch rm ID|NAME...
//	acfetch gc [--older-than D]
//	acfetch export [-o FILE] ID|NAME
//	acfetch cat-manifest ID|NAME
//	acfetch verify
//	acfetch version
//
// IMAGE is NAME[:version][,label=value...] (found through AppC discovery), an
// https:// URL, an http:// URL (with --insecure-options=http), a file path,
// "-", or a Docker registry image docker://[REGISTRY/]NAME[:TAG|@DIGEST]
// (also docker:NAME), converted and stored unsigned, which rkt's
// --insecure-options=image must allow; registry credentials come from
// auth.d dockerAuth files, then ~/.docker/config.json. Each image's detached signature (IMAGE.asc) is checked against the
// trust store for the image's name in the same pass that decompresses and
// hashes it; nothing is stored or printed before every check passed. stdout
// lists the image IDs, one a line, dependencies included.
//
// Exit status: 0 success, 1 failure, 2 usage, 3 invalid image, 4 signature or
// trust failure, 5 not found, 130 interrupted.
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
