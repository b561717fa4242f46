package pod

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/acikit/acikit/internal/errkind"
	"github.com/acikit/acikit/internal/log"
)

// OpenExisting looks without creating: a missing directory is NotFound.
func TestOpenExisting(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "typo", "pods")
	_, err := OpenExisting(dir)
	if !errors.Is(err, errkind.NotFound) || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("OpenExisting(%s) = %v, want NotFound", dir, err)
	}
	if _, err := os.Stat(filepath.Dir(dir)); !os.IsNotExist(err) {
		t.Errorf("OpenExisting(%s) made %s", dir, filepath.Dir(dir))
	}
	if all, err := View(dir).List(); err != nil || len(all) != 0 {
		t.Errorf("View(%s).List() = %v, %v; want no pods", dir, all, err)
	}
}

// A pod already in garbage (an interrupted rm or gc) is removed, and an
// ambiguous prefix is not a usage error.
func TestRemoveFromGarbage(t *testing.T) {
	ps, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	u := NewUUID()
	p, err := ps.Create(u)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.SetState(Garbage); err != nil {
		t.Fatal(err)
	}
	if err := p.SetState(Garbage); err != nil {
		t.Errorf("SetState(garbage) of a pod in garbage = %v, want nil", err)
	}
	p.Unlock()
	if err := ps.Remove(context.Background(), u, log.Discard); err != nil {
		t.Errorf("Remove(%s) in garbage = %v", u, err)
	}
	if _, err := os.Stat(filepath.Join(ps.Dir(), Garbage, u)); !os.IsNotExist(err) {
		t.Errorf("pod %s left in garbage", u)
	}
	for _, id := range []string{"abcdef01-0000-4000-8000-000000000001", "abcdef01-0000-4000-8000-000000000002"} {
		os.Mkdir(filepath.Join(ps.Dir(), Exited, id), 0o700)
	}
	if _, err := ps.Get("abcdef01"); err == nil || errors.Is(err, errkind.Usage) {
		t.Errorf("Get(ambiguous prefix) = %v, want an error that is not a usage error", err)
	}
}
