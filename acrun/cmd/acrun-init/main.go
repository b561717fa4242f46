// Command acrun-init is the small program acrun re-executes as a pod's init
// and as each app's setup process (see internal/sandbox). It links only the
// sandbox, so each re-exec costs a fraction of exec'ing acrun itself; acrun
// finds it beside its own executable or in ../libexec/acikit and falls back
// to re-executing itself when it is missing. Run by hand it only says so.
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
