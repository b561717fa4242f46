package testutil

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// CNIPluginPaths maps the plugins acrun uses to their packages in
// github.com/containernetworking/plugins (the version internal/go.mod pins).
var CNIPluginPaths = map[string]string{
	"loopback":   "plugins/main/loopback",
	"ptp":        "plugins/main/ptp",
	"bridge":     "plugins/main/bridge",
	"host-local": "plugins/ipam/host-local",
	"portmap":    "plugins/meta/portmap",
}

// CNIPlugins returns a directory holding the CNI plugin binaries: the one
// `make` built ($ACIKIT_CNI_PATH), else <repo>/.cache/cni, built on first use.
func CNIPlugins(t testing.TB) string {
	t.Helper()
	if dir := os.Getenv("ACIKIT_CNI_PATH"); dir != "" && hasPlugins(dir) {
		return dir
	}
	root := RepoRoot(t)
	dir := filepath.Join(root, ".cache", "cni")
	buildMu.Lock()
	defer buildMu.Unlock()
	if hasPlugins(dir) {
		return dir
	}
	for name, pkg := range CNIPluginPaths {
		cmd := exec.Command("go", "build", "-trimpath", "-o", filepath.Join(dir, name), "github.com/containernetworking/plugins/"+pkg)
		cmd.Dir = filepath.Join(root, "internal")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("build CNI plugin %s: %v\n%s", name, err, out)
		}
	}
	return dir
}

func hasPlugins(dir string) bool {
	for name := range CNIPluginPaths {
		if st, err := os.Stat(filepath.Join(dir, name)); err != nil || st.Mode()&0o111 == 0 {
			return false
		}
	}
	return true
}
