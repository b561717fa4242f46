package testutil

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// Complete runs the acikit bash completion (internal/cli/contrib) on line
// as typed up to the cursor ("acfetch rm " completes an empty word) with
// tool resolving to bin, and returns the candidates.
func Complete(t testing.TB, tool, bin, line string) []string {
	t.Helper()
	bash := RequireCommand(t, "bash", "bash")
	script := filepath.Join(RepoRoot(t), "internal", "cli", "contrib", "acikit.bash")
	words := strings.Fields(line)
	if strings.HasSuffix(line, " ") {
		words = append(words, "")
	}
	quoted := make([]string, len(words))
	for i, w := range words {
		quoted[i] = fmt.Sprintf("%q", w)
	}
	prog := fmt.Sprintf(`source %q; %s() { %q "$@"; }; COMP_WORDS=(%s); COMP_CWORD=%d; _acikit; printf '%%s\n' "${COMPREPLY[@]}"`,
		script, tool, bin, strings.Join(quoted, " "), len(words)-1)
	r := Run(t, nil, bash, "-c", prog)
	if r.Code != 0 {
		t.Fatalf("completion of %q: exit %d, stderr %q", line, r.Code, r.Stderr)
	}
	return strings.Fields(r.Stdout)
}
