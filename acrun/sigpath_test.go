package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/acikit/acikit/internal/pgp"
	"github.com/acikit/acikit/internal/trust"
)

// acrun finds a file image's signature where acsign sign writes it (the
// image's name plus ".asc"), rkt's ".aci.asc" name as a fallback.
func TestRunSignaturePathRule(t *testing.T) {
	e := newEnv(t)
	img := e.busybox("example.com/sigpath", "")
	data, err := os.ReadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	key, err := pgp.Keygen(pgp.KeygenOptions{Name: "sigpath", Email: "sigpath@example.com", Type: pgp.Ed25519})
	if err != nil {
		t.Fatal(err)
	}
	var sig bytes.Buffer
	if err := pgp.Sign(context.Background(), &sig, bytes.NewReader(data), key); err != nil {
		t.Fatal(err)
	}
	pub, _ := pgp.ArmorPublic(key)
	if _, err := trust.New(trust.Options{LocalDir: e.trust}).Add(trust.Prefix, "example.com/sigpath", pub); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		image, sig string
		want       int
	}{
		{"img.tar.gz", "img.tar.gz.asc", 0},
		{"img", "img.asc", 0},
		{"img.aci", "img.aci.asc", 0},
		{"img.tar.gz", "img.tar.gz.aci.asc", 0},
		{"img.tar.gz", "", 4},
	} {
		t.Run(tt.image+"+"+tt.sig, func(t *testing.T) {
			dir := t.TempDir()
			p := dir + "/" + tt.image
			os.WriteFile(p, data, 0o644)
			if tt.sig != "" {
				os.WriteFile(dir+"/"+tt.sig, sig.Bytes(), 0o644)
			}
			r := e.run("run", "--net=none", p)
			if r.Code != tt.want {
				t.Fatalf("run %s with %s beside it: exit %d, want %d\n%s", tt.image, tt.sig, r.Code, tt.want, r.Stderr)
			}
			if tt.want == 0 && !strings.Contains(r.Stdout, "hello from busybox") {
				t.Errorf("stdout %q lacks the app's output", r.Stdout)
			}
		})
	}
}
