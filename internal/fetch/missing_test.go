package fetch

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/acikit/acikit/internal/errkind"
	"github.com/acikit/acikit/internal/store"
)

// A file image that does not exist is "not found", not a missing signature.
func TestFetchMissingFile(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "store"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	f, err := New(Options{Store: st, Insecure: Insecure{Image: true}})
	if err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(t.TempDir(), "nope.aci")
	_, err = f.Fetch(context.Background(), missing)
	if !errors.Is(err, errkind.NotFound) || !strings.Contains(err.Error(), "nope.aci") || strings.Contains(err.Error(), "signature") {
		t.Errorf("Fetch(%s) = %v, want a not-found error naming the file", missing, err)
	}
}
