package trust

import (
	"path/filepath"
	"strings"
	"testing"
)

// FuzzValidatePrefix: a name accepted as a prefix never leads outside
// prefix.d, and its segment prefixes are all accepted too.
func FuzzValidatePrefix(f *testing.F) {
	for _, s := range []string{"example.com/app", "a", "a/../b", "/abs", "a//b", "https://x", "..", "a/./b", "a\\b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if ValidatePrefix(name) != nil {
			return
		}
		base := filepath.Join("/store", prefixDir)
		for _, p := range Prefixes(name) {
			if err := ValidatePrefix(p); err != nil {
				t.Fatalf("Prefixes(%q) yields %q, refused: %v", name, p, err)
			}
			full := filepath.Join(base, filepath.FromSlash(p))
			if !strings.HasPrefix(full, base+string(filepath.Separator)) {
				t.Fatalf("prefix %q maps to %q, outside %s", p, full, base)
			}
		}
	})
}
