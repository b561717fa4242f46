// Command docker2aci converts Docker and OCI images into App Container
// images (ACIs).
//
// Synopsis:
//
//	docker2aci [--debug] [--nosquash] [--image=NAME[:TAG]] [--compression=none|gzip]
//	           [-o PATH] [--platform=os/arch[/variant]] [--username=USER --password-stdin]
//	           [--insecure-options=http,tls] IMAGE
//
// IMAGE is a docker save archive of any era, an oci-archive, an OCI layout
// directory (also oci:DIR[:TAG]), "-" for an archive on standard input, or
// docker://[REGISTRY/]NAME[:TAG|@DIGEST] for a registry (Docker Hub when no
// registry is named). The ACI is written to <repository, / as ->-<tag>.aci in
// the current directory, or -o; stdout lists the written paths, one a line
// (with -o - stdout carries the image itself and nothing else).
//
// Exit status: 0 success, 1 failure, 2 usage, 3 invalid image, 4 registry
// authentication refused, 5 image or platform not found, 130 interrupted.
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
