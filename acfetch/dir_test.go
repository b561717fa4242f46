package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// --dir makes the directory it is given, like mkdir -p, and puts the image
// and its signature there as fetched.
func TestFetchDirCreated(t *testing.T) {
	fx := newFixture(t, 1<<10)
	dir := filepath.Join(fx.dir, "new", "nested")
	r := fx.run(t, "fetch", "--insecure-options=http", "--dir", dir, fx.url)
	if r.Code != 0 {
		t.Fatalf("fetch --dir %s = exit %d: %s", dir, r.Code, r.Stderr)
	}
	for name, want := range map[string][]byte{"hello.aci": fx.image, "hello.aci.asc": fx.sig} {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s in --dir: %d bytes (%v), want the %d bytes served", name, len(got), err, len(want))
		}
	}
}
