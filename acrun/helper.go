package main

import (
	"os"
	"path/filepath"
)

// initHelperName is the small program (acrun/cmd/acrun-init) the sandbox
// executes as a pod's init.
const initHelperName = "acrun-init"

// initHelper finds acrun-init beside this executable (./bin after make) or
// in ../libexec/acikit (make install). "" lets the sandbox re-execute acrun
// itself, which works the same but costs a few milliseconds per exec more
// (a plain go install has no helper).
func initHelper() string {
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	dir := filepath.Dir(exe)
	for _, p := range []string{
		filepath.Join(dir, initHelperName),
		filepath.Join(dir, "..", "libexec", "acikit", initHelperName),
	} {
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	return ""
}
