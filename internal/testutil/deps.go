package testutil

import (
	"os/exec"
	"strings"
	"testing"
)

// ForbidDeps fails t if the package in dir (a tool's main package) links
// any package whose import path contains one of the forbidden substrings,
// so that a tool never grows code it does not need (actool must not carry
// namespace, cgroup or CNI code, for example).
func ForbidDeps(t testing.TB, dir string, forbidden ...string) {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", ".")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps in %s: %v", dir, err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 {
		t.Fatalf("go list -deps in %s listed only %d packages", dir, len(deps))
	}
	for _, d := range deps {
		for _, f := range forbidden {
			if strings.Contains(d, f) {
				t.Errorf("%s links %s (forbidden: %q)", dir, d, f)
			}
		}
	}
}

// ToolForbidden lists what tools without a runtime must never link.
var ToolForbidden = []string{
	"acikit/internal/sandbox", "acikit/internal/cgroup", "acikit/internal/netcni",
	"acikit/internal/metadata", "acikit/internal/render", "containernetworking/",
	"go-containerregistry", "go.etcd.io/bbolt",
}
