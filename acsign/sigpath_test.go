package main

import (
	"os"
	"path/filepath"
	"testing"
)

// sign writes IMAGE.asc whatever IMAGE ends with; verify reads IMAGE.asc,
// else rkt's name for it, as acfetch and acrun do.
func TestSignVerifySignaturePath(t *testing.T) {
	dir := t.TempDir()
	sec, pub := filepath.Join(dir, "secret.asc"), filepath.Join(dir, "pubkeys.gpg")
	ok(t, acsign(t, nil, "keygen", "--name", "Path Test", "--email", "p@example.com", "--type", "ed25519",
		"--passphrase-file", writeFile(t, dir, "pass", "pw\n"), "--secret-out", sec, "--public-out", pub), "keygen")
	for _, tt := range []struct {
		image, rename string // rename: move the written signature there
		want          int
	}{
		{"img.aci", "", 0},
		{"img.tar.gz", "", 0},
		{"img", "", 0},
		{"rkt.tar.gz", "rkt.tar.gz.aci.asc", 0},
		{"rkt2", "rkt2.aci.asc", 0},
		{"wrong.aci", "wrong.asc", 4},
	} {
		t.Run(tt.image, func(t *testing.T) {
			img := filepath.Join(dir, tt.image)
			makeACI(t, img, "example.com/app")
			ok(t, acsign(t, nil, "sign", "--key", sec, "--passphrase-file", filepath.Join(dir, "pass"), img), "sign")
			if _, err := os.Stat(img + ".asc"); err != nil {
				t.Fatalf("sign %s: %v", tt.image, err)
			}
			if tt.rename != "" {
				if err := os.Rename(img+".asc", filepath.Join(dir, tt.rename)); err != nil {
					t.Fatal(err)
				}
			}
			if r := acsign(t, nil, "verify", "--keyring", pub, img); r.Code != tt.want {
				t.Errorf("verify %s (signature %s): exit %d, want %d\n%s", tt.image, tt.rename, r.Code, tt.want, r.Stderr)
			}
		})
	}
}
