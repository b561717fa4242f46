package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// One rule for a signature's name in every tool: the image path plus
// ".asc", as acsign sign writes it; rkt's name (".aci" dropped, then
// ".aci.asc") is read as a fallback only.
func TestSignaturePathRule(t *testing.T) {
	fx := newFixture(t, 1000)
	for _, tt := range []struct {
		image, sig string
		want       int
	}{
		{"hello.aci", "hello.aci.asc", 0},
		{"hello.tar.gz", "hello.tar.gz.asc", 0},
		{"hello", "hello.asc", 0},
		{"hello.img", "hello.img.asc", 0},
		{"hello.tar.gz", "hello.tar.gz.aci.asc", 0}, // rkt's name
		{"hello", "hello.aci.asc", 0},               // rkt's name
		{"hello.tar.gz", "", 4},
		{"hello.aci", "hello.asc", 4},
		{"hello.tar.gz", "hello.asc", 4},
	} {
		name := tt.image + "+" + tt.sig
		t.Run("file/"+name, func(t *testing.T) {
			dir := t.TempDir()
			img := filepath.Join(dir, tt.image)
			os.WriteFile(img, fx.image, 0o644)
			if tt.sig != "" {
				os.WriteFile(filepath.Join(dir, tt.sig), fx.sig, 0o644)
			}
			r := fx.run(t, "fetch", img)
			if r.Code != tt.want {
				t.Fatalf("fetch %s with %s beside it: exit %d, want %d\n%s", tt.image, tt.sig, r.Code, tt.want, r.Stderr)
			}
			if tt.want != 0 && !strings.Contains(r.Stderr, img+".asc") {
				t.Errorf("the error does not name %s.asc:\n%s", img, r.Stderr)
			}
		})
		t.Run("url/"+name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				switch r.URL.Path {
				case "/d/" + tt.image:
					w.Write(fx.image)
				case "/d/" + tt.sig:
					w.Write(fx.sig)
				default:
					http.NotFound(w, r)
				}
			}))
			defer srv.Close()
			r := fx.run(t, "fetch", "--insecure-options=http", srv.URL+"/d/"+tt.image)
			if r.Code != tt.want {
				t.Fatalf("fetch %s/d/%s with %s beside it: exit %d, want %d\n%s", srv.URL, tt.image, tt.sig, r.Code, tt.want, r.Stderr)
			}
		})
	}
}

// What acfetch writes follows the same rule: -o FILE and export -o FILE put
// the signature at FILE.asc, whatever FILE ends with.
func TestSignatureWrittenAtPathPlusAsc(t *testing.T) {
	fx := newFixture(t, 1000)
	r := fx.run(t, "fetch", "--insecure-options=http", fx.url)
	if r.Code != 0 {
		t.Fatalf("fetch: exit %d\n%s", r.Code, r.Stderr)
	}
	id := strings.TrimSpace(r.Stdout)
	for _, out := range []string{"out.aci", "out.tar.gz", "out"} {
		t.Run(out, func(t *testing.T) {
			dir := t.TempDir()
			if r := fx.run(t, "export", "-o", filepath.Join(dir, out), id); r.Code != 0 {
				t.Fatalf("export -o %s: exit %d\n%s", out, r.Code, r.Stderr)
			}
			if _, err := os.Stat(filepath.Join(dir, out+".asc")); err != nil {
				t.Errorf("export -o %s: %v", out, err)
			}
			fdir := t.TempDir()
			if r := fx.run(t, "fetch", "--insecure-options=http", "-o", filepath.Join(fdir, out), fx.url); r.Code != 0 {
				t.Fatalf("fetch -o %s: exit %d\n%s", out, r.Code, r.Stderr)
			}
			if _, err := os.Stat(filepath.Join(fdir, out+".asc")); err != nil {
				t.Errorf("fetch -o %s: %v", out, err)
			}
		})
	}
}
