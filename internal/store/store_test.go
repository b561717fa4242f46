package store

import (
	"context"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/acikit/acikit/internal/errkind"
	"github.com/google/go-cmp/cmp"
)

// sumID is the IDFunc for test blobs, which are stored uncompressed.
func sumID(_ context.Context, r io.Reader) (string, error) {
	h := sha512.New()
	if _, err := io.Copy(h, r); err != nil {
		return "", err
	}
	return "sha512-" + hex.EncodeToString(h.Sum(nil)), nil
}

func idOf(data string) string {
	s := sha512.Sum512([]byte(data))
	return "sha512-" + hex.EncodeToString(s[:])
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time { c.t = c.t.Add(time.Second); return c.t }

func newStore(t *testing.T) (*Store, *clock) {
	t.Helper()
	c := &clock{t: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}
	s, err := Open(t.TempDir(), Options{Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	return s, c
}

func put(t *testing.T, s *Store, data string, meta Meta) *Image {
	t.Helper()
	imp, err := s.NewImport()
	if err != nil {
		t.Fatal(err)
	}
	defer imp.Abort()
	io.WriteString(imp, data)
	im, err := imp.Commit(idOf(data), meta)
	if err != nil {
		t.Fatal(err)
	}
	return im
}

func TestResolve(t *testing.T) {
	s, _ := newStore(t)
	ids := map[string]string{}
	for _, in := range []struct {
		key, name, version string
		latest             bool
	}{
		{"v1", "example.com/app", "1.0", false},
		{"latest", "example.com/app", "2.0", true},
		{"v3", "example.com/app", "3.0", false},
		{"other", "example.com/other", "1.0", false},
	} {
		labels := map[string]string{"version": in.version, "os": "linux"}
		ids[in.key] = put(t, s, in.key, Meta{Name: in.name, Labels: labels, Latest: in.latest}).ID
	}
	tests := []struct {
		name    string
		labels  map[string]string
		want    string // key in ids, or "" for not found
		wantErr error
	}{
		{"example.com/app", nil, "latest", nil},
		{"example.com/app", map[string]string{"os": "linux"}, "latest", nil},
		{"example.com/app", map[string]string{"version": "1.0"}, "v1", nil},
		{"example.com/app", map[string]string{"version": "3.0", "os": "linux"}, "v3", nil},
		{"example.com/app", map[string]string{"version": "3.0", "os": "freebsd"}, "", errkind.NotFound},
		{"example.com/other", nil, "other", nil},
		{"example.com/none", nil, "", ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(describe(tt.name, tt.labels), func(t *testing.T) {
			im, err := s.Resolve(tt.name, tt.labels)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Resolve(%s) error = %v, want %v", tt.name, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Resolve(%s) = %v", tt.name, err)
			}
			if im.ID != ids[tt.want] {
				t.Errorf("Resolve(%s, %v) = %s, want %s (%s)", tt.name, tt.labels, im.ID, ids[tt.want], tt.want)
			}
		})
	}
}

func TestResolveNewestWithoutLatest(t *testing.T) {
	s, _ := newStore(t)
	put(t, s, "a", Meta{Name: "x.org/a", Labels: map[string]string{"version": "1"}})
	b := put(t, s, "b", Meta{Name: "x.org/a", Labels: map[string]string{"version": "2"}})
	im, err := s.Resolve("x.org/a", nil)
	if err != nil || im.ID != b.ID {
		t.Errorf("Resolve(x.org/a) = %v, %v, want the newest %s", im, err, b.ID)
	}
}

func TestLatestMovesToNewest(t *testing.T) {
	s, _ := newStore(t)
	a := put(t, s, "a", Meta{Name: "x.org/a", Latest: true})
	b := put(t, s, "b", Meta{Name: "x.org/a", Latest: true})
	got, err := s.Get(a.ID)
	if err != nil || got.Latest {
		t.Errorf("Get(old latest).Latest = %v (%v), want false", got.Latest, err)
	}
	if got, _ := s.Get(b.ID); !got.Latest {
		t.Errorf("Get(new latest).Latest = false, want true")
	}
}

func TestResolveID(t *testing.T) {
	s, _ := newStore(t)
	// Find two contents whose IDs share the first hex digit to test ambiguity.
	var a, b string
	seen := map[byte]string{}
	for i := 0; a == ""; i++ {
		d := fmt.Sprint(i)
		c := idOf(d)[7]
		if prev, ok := seen[c]; ok {
			a, b = prev, d
		}
		seen[c] = d
	}
	ia := put(t, s, a, Meta{Name: "x.org/a"})
	put(t, s, b, Meta{Name: "x.org/b"})
	tests := []struct {
		prefix  string
		want    string
		wantErr error
	}{
		{ia.ID, ia.ID, nil},
		{ia.ID[:40], ia.ID, nil},
		{ia.ID[:8], "", errkind.Usage}, // too short
		{ia.ID[:8] + "", "", errkind.Usage},
		{"sha512-" + ia.ID[7:8] + "x", "", errkind.NotFound},
		{"sha256-ab", "", errkind.Usage},
	}
	for _, tt := range tests {
		t.Run(tt.prefix, func(t *testing.T) {
			im, err := s.ResolveID(tt.prefix)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Errorf("ResolveID(%s) error = %v, want %v", tt.prefix, err, tt.wantErr)
				}
				return
			}
			if err != nil || im.ID != tt.want {
				t.Errorf("ResolveID(%s) = %v, %v, want %s", tt.prefix, im, err, tt.want)
			}
		})
	}
	// The 2-hex prefix common to both images.
	common := ia.ID[:8]
	for i := 9; i < len(ia.ID); i++ {
		if idOf(b)[:i] != ia.ID[:i] {
			common = ia.ID[:i-1]
			break
		}
	}
	if len(common) >= 9 {
		if _, err := s.ResolveID(common); !errors.Is(err, ErrAmbiguous) {
			t.Errorf("ResolveID(%s) error = %v, want %v", common, err, ErrAmbiguous)
		}
	}
}

func TestExportKeepsBytesAndSignature(t *testing.T) {
	s, _ := newStore(t)
	im := put(t, s, "payload", Meta{Name: "x.org/a", Signature: []byte("SIG"),
		Remote: &Remote{URL: "https://x.org/a.aci", ETag: `"e1"`, MaxAge: 60}})
	f, err := s.OpenBlob(im.ID)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(f)
	f.Close()
	if string(b) != "payload" {
		t.Errorf("OpenBlob = %q, want %q", b, "payload")
	}
	sf, err := s.Signature(im.ID)
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(sf)
	sf.Close()
	if string(b) != "SIG" {
		t.Errorf("Signature = %q, want %q", b, "SIG")
	}
	r, err := s.Remote("https://x.org/a.aci")
	if err != nil || r == nil || r.ID != im.ID || r.ETag != `"e1"` {
		t.Errorf("Remote = %+v, %v, want ID %s ETag \"e1\"", r, err, im.ID)
	}
	if !im.Signed || im.SourceURL != "https://x.org/a.aci" || im.Size != 7 {
		t.Errorf("Commit = %+v, want signed, source URL, size 7", im)
	}
}

func TestRemoveAndGC(t *testing.T) {
	s, c := newStore(t)
	a := put(t, s, "a", Meta{Name: "x.org/a", Remote: &Remote{URL: "https://x.org/a.aci"}})
	b := put(t, s, "b", Meta{Name: "x.org/b"})
	if err := s.Remove(a.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(a.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get(removed) error = %v, want %v", err, ErrNotFound)
	}
	if fileExists(s.BlobPath(a.ID)) {
		t.Errorf("blob of removed image still on disk")
	}
	if r, _ := s.Remote("https://x.org/a.aci"); r != nil {
		t.Errorf("Remote(removed) = %+v, want nil", r)
	}
	if err := s.Remove(a.ID); !errors.Is(err, errkind.NotFound) {
		t.Errorf("Remove(removed) = %v, want not found", err)
	}
	// An orphan blob, as a crash between rename and index would leave.
	orphan := idOf("orphan")
	os.MkdirAll(filepath.Dir(s.BlobPath(orphan)), 0o755)
	os.WriteFile(s.BlobPath(orphan), []byte("orphan"), 0o644)

	probs, err := s.Verify(context.Background(), sumID)
	if err != nil {
		t.Fatal(err)
	}
	if len(probs) != 1 || probs[0].ID != orphan {
		t.Errorf("Verify = %+v, want one problem for the orphan", probs)
	}
	removed, err := s.GC(time.Hour)
	if err != nil || len(removed) != 0 {
		t.Errorf("GC(1h) = %v, %v, want nothing removed", removed, err)
	}
	if fileExists(s.BlobPath(orphan)) {
		t.Errorf("GC left the orphan blob")
	}
	c.t = c.t.Add(2 * time.Hour)
	removed, err = s.GC(time.Hour)
	if err != nil || !cmp.Equal(removed, []string{b.ID}) {
		t.Errorf("GC(1h) 2h later = %v, %v, want [%s]", removed, err, b.ID)
	}
	if list, _ := s.List(); len(list) != 0 {
		t.Errorf("List after GC = %d images, want 0", len(list))
	}
}

func TestVerifyFindsDamage(t *testing.T) {
	s, _ := newStore(t)
	a := put(t, s, "good", Meta{Name: "x.org/a"})
	b := put(t, s, "bad", Meta{Name: "x.org/b"})
	c := put(t, s, "gone", Meta{Name: "x.org/c"})
	os.WriteFile(s.BlobPath(b.ID), []byte("flipped"), 0o644)
	os.Remove(s.BlobPath(c.ID))
	probs, err := s.Verify(context.Background(), sumID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range probs {
		got = append(got, p.ID)
	}
	want := []string{b.ID, c.ID}
	sort.Strings(want)
	if !cmp.Equal(got, want) {
		t.Errorf("Verify problems = %v, want %v (good one %s excluded)", got, want, a.ID)
	}
}

func TestAbortAndDeadTemps(t *testing.T) {
	s, _ := newStore(t)
	imp, err := s.NewImport()
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(imp, "partial")
	// A second Open (another process) must leave a live import alone.
	if _, err := Open(s.Dir(), Options{}); err != nil {
		t.Fatal(err)
	}
	if n := countTemps(t, s); n != 1 {
		t.Errorf("temps while an import lives = %d, want 1", n)
	}
	imp.Abort()
	if n := countTemps(t, s); n != 0 {
		t.Errorf("temps after Abort = %d, want 0", n)
	}
	// A temp file without a lock holder is a dead import.
	os.WriteFile(filepath.Join(s.Dir(), "tmp", tempPrefix+"dead"), []byte("x"), 0o644)
	if _, err := Open(s.Dir(), Options{}); err != nil {
		t.Fatal(err)
	}
	if n := countTemps(t, s); n != 0 {
		t.Errorf("temps after reopening with a dead one = %d, want 0", n)
	}
}

func countTemps(t *testing.T, s *Store) int {
	ents, err := os.ReadDir(filepath.Join(s.Dir(), "tmp"))
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

func TestConcurrentCommits(t *testing.T) {
	s, _ := newStore(t)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s2, err := Open(s.Dir(), Options{})
			if err != nil {
				errs <- err
				return
			}
			imp, err := s2.NewImport()
			if err != nil {
				errs <- err
				return
			}
			defer imp.Abort()
			io.WriteString(imp, "same")
			_, err = imp.Commit(idOf("same"), Meta{Name: "x.org/same"})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	list, err := s.List()
	if err != nil || len(list) != 1 {
		t.Errorf("List = %d entries, %v, want 1", len(list), err)
	}
	if n := countTemps(t, s); n != 0 {
		t.Errorf("temps left = %d, want 0", n)
	}
}

// commitAs commits data under id whatever data hashes to: one image ID
// arrives as different bytes when compressed differently.
func commitAs(t *testing.T, s *Store, id, data string, meta Meta) *Image {
	t.Helper()
	imp, err := s.NewImport()
	if err != nil {
		t.Fatal(err)
	}
	defer imp.Abort()
	io.WriteString(imp, data)
	im, err := imp.Commit(id, meta)
	if err != nil {
		t.Fatal(err)
	}
	return im
}

func readOr(p string) string {
	b, err := os.ReadFile(p)
	if err != nil {
		return "<" + err.Error() + ">"
	}
	return string(b)
}

// A stored signature must always sign the stored bytes: export hands both
// out as a pair, and gpg --verify of the pair must pass.
func TestSignatureStaysWithItsBytes(t *testing.T) {
	id := idOf("tar")
	type commit struct {
		data string
		sig  []byte
	}
	tests := []struct {
		name       string
		orphanSig  string // a signature file left without its blob
		commits    []commit
		wantBlob   string
		wantSig    string // "" for no signature file
		wantSigned bool
	}{
		{name: "signed copy replaces unsigned",
			commits:  []commit{{"plain tar", nil}, {"gzip bytes", []byte("SIG over gzip")}},
			wantBlob: "gzip bytes", wantSig: "SIG over gzip", wantSigned: true},
		{name: "unsigned copy keeps signed",
			commits:  []commit{{"gzip bytes", []byte("SIG over gzip")}, {"plain tar", nil}},
			wantBlob: "gzip bytes", wantSig: "SIG over gzip", wantSigned: true},
		{name: "second signed copy keeps first",
			commits:  []commit{{"gzip bytes", []byte("SIG over gzip")}, {"xz bytes", []byte("SIG over xz")}},
			wantBlob: "gzip bytes", wantSig: "SIG over gzip", wantSigned: true},
		{name: "stale signature dropped", orphanSig: "SIG over other bytes",
			commits:  []commit{{"plain tar", nil}},
			wantBlob: "plain tar", wantSigned: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newStore(t)
			blob := s.BlobPath(id)
			if tt.orphanSig != "" {
				os.MkdirAll(filepath.Dir(blob), 0o755)
				os.WriteFile(blob+".asc", []byte(tt.orphanSig), 0o644)
			}
			var im *Image
			for _, c := range tt.commits {
				im = commitAs(t, s, id, c.data, Meta{Name: "x.org/a", Signature: c.sig})
			}
			if got := readOr(blob); got != tt.wantBlob {
				t.Errorf("blob = %q, want %q", got, tt.wantBlob)
			}
			gotSig := readOr(blob + ".asc")
			if tt.wantSig == "" && fileExists(blob+".asc") || tt.wantSig != "" && gotSig != tt.wantSig {
				t.Errorf("signature = %q, want %q", gotSig, tt.wantSig)
			}
			if im.Signed != tt.wantSigned || im.Size != int64(len(tt.wantBlob)) {
				t.Errorf("Commit = signed %v size %d, want signed %v size %d", im.Signed, im.Size, tt.wantSigned, len(tt.wantBlob))
			}
		})
	}
}

// A signature whose blob never arrived (a crash before the rename) is
// garbage: GC removes it.
func TestGCRemovesOrphanSignature(t *testing.T) {
	s, _ := newStore(t)
	id := idOf("never committed")
	os.MkdirAll(filepath.Dir(s.BlobPath(id)), 0o755)
	os.WriteFile(s.BlobPath(id)+".asc", []byte("SIG"), 0o644)
	if _, err := s.GC(time.Hour); err != nil {
		t.Fatal(err)
	}
	if fileExists(s.BlobPath(id) + ".asc") {
		t.Errorf("GC left the signature of a blob that does not exist")
	}
}
