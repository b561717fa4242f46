// Command acsign makes and checks the detached signatures of App Container
// images and keeps the store of keys trusted to sign them.
//
// Synopsis:
//
//	acsign keygen --name N --email E [--type rsa|ed25519] [--bits B] [--expire 1y] [--no-passphrase]
//	acsign sign --key SECRET [-o IMAGE.asc] IMAGE
//	acsign verify [--keyring FILE | --trust-dir DIR] [--name NAME] IMAGE [SIG]
//	acsign trust [--prefix NAME | --root] [--skip-fingerprint-review] [KEYFILE|URL...]
//	acsign trust list [--json]
//	acsign trust rm [--prefix NAME] FINGERPRINT|KEYID
//	acsign export --key SECRET
//	acsign version
//
// Signatures are gpg-compatible (armored, detached, binary document); the
// trust store has rkt's layout. Every file argument accepts "-". stdout
// carries only data; messages go to stderr.
//
// Exit status: 0 success, 1 failure, 2 usage, 4 signature or trust failure,
// 5 not found, 130 interrupted.
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
