// Command acrun-init is the small program acrun executes as a pod's init
// (pid 1 of the pod, which starts the apps; see internal/sandbox). It links
// only the sandbox, so it starts in a fraction of the time acrun itself
// takes; acrun finds it beside its own executable or in ../libexec/acikit
// and falls back to re-executing itself when it is missing. Run by hand it
// only says so.
package main

import (
	"fmt"
	"os"

	"github.com/acikit/acikit/internal/sandbox"
)

func main() {
	sandbox.Init()
	fmt.Fprintln(os.Stderr, "acrun-init: this program is run by acrun, not by hand")
	os.Exit(2)
}
