package schema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/acikit/acikit/internal/errkind"
	"github.com/acikit/acikit/internal/schema/types"
	"github.com/acikit/acikit/internal/testutil"
	"github.com/google/go-cmp/cmp"
)

// corpus returns the manifests of testdata/manifests/<sub>, sorted.
func corpus(t testing.TB, sub string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(testutil.RepoRoot(t), "testdata", "manifests", sub, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests in testdata/manifests/%s (%v)", sub, err)
	}
	return files
}

// parseAny sniffs then parses, as actool validate does.
func parseAny(b []byte) (any, error) {
	kind, err := SniffKind(b)
	if err != nil {
		return nil, err
	}
	if kind == KindPod {
		return ParsePodManifest(b)
	}
	return ParseImageManifest(b)
}

func TestGoodManifestsRoundTrip(t *testing.T) {
	for _, f := range corpus(t, "good") {
		t.Run(filepath.Base(f), func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			m, err := parseAny(b)
			if err != nil {
				t.Fatalf("parse(%s) = %v, want nil", filepath.Base(f), err)
			}
			out, err := json.Marshal(m)
			if err != nil {
				t.Fatalf("Marshal = %v, want nil", err)
			}
			m2, err := parseAny(out)
			if err != nil {
				t.Fatalf("parse(Marshal(m)) = %v, want nil\n%s", err, out)
			}
			out2, err := json.Marshal(m2)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out, out2) {
				t.Errorf("marshal is not stable:\n%s\n%s", out, out2)
			}
			if diff := cmp.Diff(m, m2, cmpOpts...); diff != "" {
				t.Errorf("round trip changed the manifest (-first +second):\n%s", diff)
			}
		})
	}
}

var cmpOpts = []cmp.Option{
	cmp.Comparer(func(a, b types.Hash) bool { return a == b }),
	cmp.Comparer(func(a, b types.Quantity) bool { return a.String() == b.String() }),
	cmp.Comparer(func(a, b types.Isolator) bool {
		return a.Name == b.Name && bytes.Equal(compact(a.ValueRaw), compact(b.ValueRaw))
	}),
}

func compact(b []byte) []byte {
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return b
	}
	return buf.Bytes()
}

// TestBadManifests checks every bad manifest is refused with a *Error that
// is errkind.Invalid, and pins every message in testdata/errors.golden.
func TestBadManifests(t *testing.T) {
	var golden strings.Builder
	for _, f := range corpus(t, "bad") {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			_, err = parseAny(b)
			if err == nil {
				t.Fatalf("parse(%s) = nil, want an error", name)
			}
			var se *Error
			if !errors.As(err, &se) {
				t.Errorf("parse(%s) = %T, want *schema.Error", name, err)
			}
			if !errors.Is(err, errkind.Invalid) {
				t.Errorf("parse(%s) = %v, not errkind.Invalid", name, err)
			}
			fmt.Fprintf(&golden, "%s: %v\n", name, err)
		})
	}
	testutil.Golden(t, filepath.Join("testdata", "errors.golden"), []byte(golden.String()))
}

// TestWarnManifests checks every manifest of testdata/manifests/warn is
// valid by the spec text yet draws at least one warning (a check stricter
// than the spec), and pins the warnings in testdata/warnings.golden.
func TestWarnManifests(t *testing.T) {
	var golden strings.Builder
	for _, f := range corpus(t, "warn") {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			m, err := parseAny(b)
			if err != nil {
				t.Fatalf("parse(%s) = %v, want valid", name, err)
			}
			ws := warningsOf(m)
			if len(ws) == 0 {
				t.Fatalf("Warnings(%s) = none, want at least one", name)
			}
			for _, w := range ws {
				fmt.Fprintf(&golden, "%s: %v\n", name, w)
			}
		})
	}
	testutil.Golden(t, filepath.Join("testdata", "warnings.golden"), []byte(golden.String()))
}

// TestGoodManifestsNoWarnings: the good corpus draws no warning.
func TestGoodManifestsNoWarnings(t *testing.T) {
	for _, f := range corpus(t, "good") {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m, err := parseAny(b)
		if err != nil {
			t.Fatalf("parse(%s) = %v", filepath.Base(f), err)
		}
		if ws := warningsOf(m); len(ws) > 0 {
			t.Errorf("Warnings(%s) = %v, want none", filepath.Base(f), ws)
		}
	}
}

func warningsOf(m any) []*Error {
	switch m := m.(type) {
	case *ImageManifest:
		return m.Warnings()
	case *PodManifest:
		return m.Warnings()
	}
	return nil
}
