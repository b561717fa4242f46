package main

import (
	"testing"

	"github.com/acikit/acikit/internal/testutil"
)

// actool builds and checks images; it must not link the runtime (namespaces,
// cgroups, CNI) nor the docker converter.
func TestDeps(t *testing.T) {
	testutil.ForbidDeps(t, ".", testutil.ToolForbidden...)
}
