//go:build unix

package testutil

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestRemoveStaleBinDirs: binary directories of exited test processes go,
// those of running ones stay.
func TestRemoveStaleBinDirs(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	old := time.Now().Add(-48 * time.Hour)
	mk := func(name string, lock, held bool, mtime time.Time) string {
		d := filepath.Join(tmp, binDirPrefix+name)
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if lock {
			l := filepath.Join(d, binDirLock)
			if held {
				if err := holdLock(l); err != nil {
					t.Fatal(err)
				}
			} else if err := os.WriteFile(l, nil, 0o644); err != nil {
				t.Fatal(err)
			}
			os.Chtimes(l, mtime, mtime)
		}
		os.Chtimes(d, mtime, mtime)
		return d
	}
	tests := []struct {
		name     string
		dir      string
		wantGone bool
	}{
		{"owner exited", mk("exited", true, false, old), true},
		{"owner running", mk("running", true, true, old), false},
		{"lock just made", mk("fresh", true, false, time.Now()), false},
		{"old without lock", mk("legacy", false, false, old), true},
		{"new without lock", mk("new", false, false, time.Now()), false},
	}
	removeStaleBinDirs()
	for _, tt := range tests {
		_, err := os.Stat(tt.dir)
		if gone := os.IsNotExist(err); gone != tt.wantGone {
			t.Errorf("%s: removed = %v, want %v", tt.name, gone, tt.wantGone)
		}
	}
}
