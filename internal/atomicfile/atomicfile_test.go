package atomicfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCreateCommitAbort(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "out.aci")

	f, err := Create(target, 0o644, false)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("half")
	f.Abort()
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("Abort left %d entries, want 0", len(entries))
	}

	if err := WriteFile(target, strings.NewReader("one"), 0o640, false); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(target, strings.NewReader("two"), 0o640, false); !errors.Is(err, ErrExists) {
		t.Fatalf("WriteFile over existing = %v, want ErrExists", err)
	}
	if err := WriteFile(target, strings.NewReader("three"), 0o640, true); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(target)
	if string(got) != "three" {
		t.Errorf("content = %q, want %q", got, "three")
	}
	st, _ := os.Stat(target)
	if st.Mode().Perm() != 0o640 {
		t.Errorf("mode = %v, want 0640", st.Mode().Perm())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("directory holds %d entries, want 1", len(entries))
	}
}

func TestCommitLosesRace(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "x")
	f, err := Create(target, 0o644, false)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("mine")
	os.WriteFile(target, []byte("theirs"), 0o644)
	if err := f.Commit(); !errors.Is(err, ErrExists) {
		t.Fatalf("Commit = %v, want ErrExists", err)
	}
	got, _ := os.ReadFile(target)
	if string(got) != "theirs" {
		t.Errorf("content = %q, want the other writer's", got)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("directory holds %d entries, want 1", len(entries))
	}
}
