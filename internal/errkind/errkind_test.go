package errkind

import (
	"errors"
	"fmt"
	"io/fs"
	"testing"
)

func TestMark(t *testing.T) {
	base := fmt.Errorf("open manifest %q: %w", "x", fs.ErrNotExist)
	err := fmt.Errorf("build: %w", Mark(base, Invalid))
	if !errors.Is(err, Invalid) {
		t.Errorf("errors.Is(err, Invalid) = false, want true")
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("errors.Is(err, fs.ErrNotExist) = false, want true")
	}
	if errors.Is(err, Trust) {
		t.Errorf("errors.Is(err, Trust) = true, want false")
	}
	if got, want := err.Error(), `build: open manifest "x": file does not exist`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if Mark(nil, Invalid) != nil {
		t.Errorf("Mark(nil) != nil")
	}
	if got := Invalidf("bad %s", "thing"); !errors.Is(got, Invalid) || got.Error() != "bad thing" {
		t.Errorf("Invalidf = %v, want a marked %q", got, "bad thing")
	}
}
