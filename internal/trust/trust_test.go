package trust

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/acikit/acikit/internal/errkind"
	"github.com/acikit/acikit/internal/pgp"
)

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "keys", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func fpOf(t testing.TB, armored []byte) string {
	t.Helper()
	el, err := pgp.ReadKeyring(bytes.NewReader(armored))
	if err != nil {
		t.Fatal(err)
	}
	return pgp.Fingerprint(el[0])
}

func newStore(t *testing.T) (*Store, string, string) {
	t.Helper()
	local, system := filepath.Join(t.TempDir(), "local"), t.TempDir()
	return New(Options{LocalDir: local, SystemDir: system}), local, system
}

func fps(t *testing.T, s *Store, name string) []string {
	t.Helper()
	el, err := s.KeyringFor(name)
	if err != nil {
		t.Fatalf("KeyringFor(%q): %v", name, err)
	}
	var out []string
	for _, e := range el {
		out = append(out, pgp.Fingerprint(e))
	}
	slices.Sort(out)
	return out
}

// The files Add writes are what `rkt trust` writes: path, content, modes.
func TestAddLayout(t *testing.T) {
	s, local, _ := newStore(t)
	pub := fixture(t, "tutorial.pub.asc")
	fp := fpOf(t, pub)
	tests := []struct {
		where  Where
		prefix string
		path   string
	}{
		{Prefix, "example.com/app", filepath.Join(local, "prefix.d", "example.com", "app", fp)},
		{Root, "", filepath.Join(local, "root.d", fp)},
	}
	for _, tt := range tests {
		t.Run(string(tt.where), func(t *testing.T) {
			added, err := s.Add(tt.where, tt.prefix, pub)
			if err != nil {
				t.Fatalf("Add: %v", err)
			}
			if want := []Added{{Fingerprint: fp, Path: tt.path}}; !cmp.Equal(added, want) {
				t.Errorf("Add = %+v, want %+v", added, want)
			}
			got, err := os.ReadFile(tt.path)
			if err != nil || !bytes.Equal(got, pub) {
				t.Errorf("content of %s differs from the key file given (err %v)", tt.path, err)
			}
			st, _ := os.Stat(tt.path)
			if st.Mode().Perm() != 0o644 {
				t.Errorf("mode of %s = %v, want 0644", tt.path, st.Mode().Perm())
			}
			for d := filepath.Dir(tt.path); d != filepath.Dir(local); d = filepath.Dir(d) {
				if st, _ := os.Stat(d); st.Mode().Perm() != 0o755 {
					t.Errorf("mode of %s = %v, want 0755", d, st.Mode().Perm())
				}
			}
		})
	}
}

// Path-segment matching, root keys, and no string-prefix confusion.
func TestKeyringFor(t *testing.T) {
	s, _, _ := newStore(t)
	tut, exp, rev := fixture(t, "tutorial.pub.asc"), fixture(t, "expired.pub.asc"), fixture(t, "revoked.pub.asc")
	mustAdd(t, s, Prefix, "example.com/foo", tut)
	mustAdd(t, s, Prefix, "example.com/foobar", exp)
	tests := []struct {
		name string
		want []string
	}{
		{"example.com/foo", []string{fpOf(t, tut)}},
		{"example.com/foo/bar", []string{fpOf(t, tut)}},
		{"example.com/foobar", []string{fpOf(t, exp)}},
		{"example.com/fo", nil},
		{"example.com", nil},
		{"other.org/foo", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := fps(t, s, tt.name); !cmp.Equal(got, tt.want) {
				t.Errorf("KeyringFor(%q) = %v, want %v", tt.name, got, tt.want)
			}
		})
	}
	mustAdd(t, s, Root, "", rev)
	if got, want := fps(t, s, "other.org/foo"), []string{fpOf(t, rev)}; !cmp.Equal(got, want) {
		t.Errorf("KeyringFor with a root key = %v, want %v", got, want)
	}
	for _, bad := range []string{"", "/abs", "a/../b", "a//b", "https://x/y"} {
		if _, err := s.KeyringFor(bad); err == nil {
			t.Errorf("KeyringFor(%q) = nil error, want a refusal", bad)
		}
	}
}

func mustAdd(t *testing.T, s *Store, where Where, prefix string, key []byte) {
	t.Helper()
	if _, err := s.Add(where, prefix, key); err != nil {
		t.Fatalf("Add(%s, %q): %v", where, prefix, err)
	}
}

// System keys count; an empty local file masks one; Remove masks a system
// key and deletes a local one.
func TestMaskingAndRemove(t *testing.T) {
	s, local, system := newStore(t)
	tut, exp := fixture(t, "tutorial.pub.asc"), fixture(t, "expired.pub.asc")
	tfp, efp := fpOf(t, tut), fpOf(t, exp)
	sysStore := New(Options{LocalDir: system})
	mustAdd(t, sysStore, Prefix, "example.com", tut)
	mustAdd(t, sysStore, Root, "", exp)

	if got, want := fps(t, s, "example.com/app"), []string{tfp, efp}; !cmp.Equal(got, want) {
		t.Fatalf("KeyringFor with system keys = %v, want %v", got, want)
	}
	if err := s.Remove(tfp, "example.com"); err != nil {
		t.Fatalf("Remove(system key) = %v", err)
	}
	mask := filepath.Join(local, "prefix.d", "example.com", tfp)
	if st, err := os.Stat(mask); err != nil || st.Size() != 0 {
		t.Fatalf("Remove(system key) left %s = %v, %v; want an empty masking file", mask, st, err)
	}
	if got, want := fps(t, s, "example.com/app"), []string{efp}; !cmp.Equal(got, want) {
		t.Errorf("KeyringFor after masking = %v, want %v", got, want)
	}
	if err := s.Remove(tfp, "example.com"); !errors.Is(err, errkind.NotFound) {
		t.Errorf("Remove(masked) = %v, want NotFound", err)
	}
	// A local key of the same name as a masked one brings it back.
	mustAdd(t, s, Prefix, "example.com", tut)
	if got, want := fps(t, s, "example.com/app"), []string{tfp, efp}; !cmp.Equal(got, want) {
		t.Errorf("KeyringFor after re-adding = %v, want %v", got, want)
	}
	// Remove of a local-only key deletes its file.
	mustAdd(t, s, Prefix, "example.com/app", exp)
	if err := s.Remove(efp, "example.com/app"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(local, "prefix.d", "example.com", "app", efp)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Remove(local key) left the file: %v", err)
	}
	if err := s.Remove(efp, "nowhere.org"); !errors.Is(err, errkind.NotFound) {
		t.Errorf("Remove(unknown) = %v, want NotFound", err)
	}
	if err := s.Remove("xyz", ""); !errors.Is(err, errkind.Usage) {
		t.Errorf("Remove(bad fingerprint) = %v, want Usage", err)
	}
}

func TestList(t *testing.T) {
	s, _, system := newStore(t)
	tut, exp := fixture(t, "tutorial.pub.asc"), fixture(t, "expired.pub.asc")
	mustAdd(t, New(Options{LocalDir: system}), Root, "", exp)
	mustAdd(t, s, Prefix, "example.com/b", tut)
	mustAdd(t, s, Prefix, "example.com/a", tut)
	got, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		Where          Where
		Prefix, FP     string
		System, HasKey bool
	}
	var rows []row
	for _, e := range got {
		rows = append(rows, row{e.Where, e.Prefix, e.Fingerprint, e.System, e.Key != nil})
	}
	want := []row{
		{Root, "", fpOf(t, exp), true, true},
		{Prefix, "example.com/a", fpOf(t, tut), false, true},
		{Prefix, "example.com/b", fpOf(t, tut), false, true},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("List() mismatch (-want +got):\n%s", diff)
	}
}

func TestAddRefusals(t *testing.T) {
	s, _, _ := newStore(t)
	tests := []struct {
		name   string
		where  Where
		prefix string
		key    []byte
		kind   error
	}{
		{"secret key", Prefix, "example.com", fixture(t, "tutorial.sec.asc"), errkind.Usage},
		{"not a key", Prefix, "example.com", []byte("hello"), errkind.Trust},
		{"url prefix", Prefix, "https://example.com", fixture(t, "tutorial.pub.asc"), errkind.Usage},
		{"dotdot prefix", Prefix, "example.com/../x", fixture(t, "tutorial.pub.asc"), errkind.Usage},
		{"root with prefix", Root, "example.com", fixture(t, "tutorial.pub.asc"), errkind.Usage},
		{"upper case prefix", Prefix, "Example.com/App", fixture(t, "tutorial.pub.asc"), errkind.Usage},
		{"space in prefix", Prefix, "example.com/my app", fixture(t, "tutorial.pub.asc"), errkind.Usage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := s.Add(tt.where, tt.prefix, tt.key); !errors.Is(err, tt.kind) {
				t.Errorf("Add = %v, want %v", err, tt.kind)
			}
		})
	}
}

// A file named for one key but holding another is refused.
func TestMisnamedKeyFile(t *testing.T) {
	s, local, _ := newStore(t)
	mustAdd(t, s, Root, "", fixture(t, "tutorial.pub.asc"))
	wrong := filepath.Join(local, "root.d", fpOf(t, fixture(t, "expired.pub.asc")))
	os.WriteFile(wrong, fixture(t, "tutorial.pub.asc"), 0o644)
	if _, err := s.KeyringFor("example.com"); !errors.Is(err, errkind.Trust) {
		t.Errorf("KeyringFor with a misnamed file = %v, want a trust error", err)
	}
}

func TestConcurrentAdd(t *testing.T) {
	s, _, _ := newStore(t)
	keys := [][]byte{fixture(t, "tutorial.pub.asc"), fixture(t, "expired.pub.asc"), fixture(t, "revoked.pub.asc")}
	var wg sync.WaitGroup
	for i := range 12 {
		wg.Go(func() {
			if _, err := s.Add(Prefix, "example.com/app", keys[i%3]); err != nil {
				t.Errorf("Add: %v", err)
			}
			if _, err := s.KeyringFor("example.com/app"); err != nil {
				t.Errorf("KeyringFor: %v", err)
			}
		})
	}
	wg.Wait()
	if got := fps(t, s, "example.com/app"); len(got) != 3 {
		t.Errorf("KeyringFor after concurrent adds = %d keys, want 3", len(got))
	}
}

func TestDefaultLocalDir(t *testing.T) {
	tests := []struct {
		euid      int
		xdg, home string
		want      string
	}{
		{0, "/x", "/root", "/etc/acikit/trustedkeys"},
		{1000, "/x", "/home/u", "/x/acikit/trustedkeys"},
		{1000, "", "/home/u", "/home/u/.config/acikit/trustedkeys"},
		{1000, "rel", "/home/u", "/home/u/.config/acikit/trustedkeys"},
		{1000, "", "", ""},
		{1000, "", "rel", ""},
	}
	for _, tt := range tests {
		if got := DefaultLocalDir(tt.euid, tt.xdg, tt.home); got != tt.want {
			t.Errorf("DefaultLocalDir(%d, %q, %q) = %q, want %q", tt.euid, tt.xdg, tt.home, got, tt.want)
		}
	}
}

// Key references: gpg's forms are accepted, anything else is a usage error.
func TestParseKeyRef(t *testing.T) {
	const fp = "0123456789abcdef0123456789abcdef01234567"
	good := map[string]string{
		fp:        fp,
		"0x" + fp: fp,
		"0123 4567 89AB CDEF 0123  4567 89ab cdef 0123 4567": fp,
		"89ABCDEF01234567":   "89abcdef01234567",
		"0x89abcdef01234567": "89abcdef01234567",
		"0X89ABCDEF01234567": "89abcdef01234567",
	}
	for in, want := range good {
		got, err := ParseKeyRef(in)
		if err != nil || got != want {
			t.Errorf("ParseKeyRef(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "0x", "89abcdef", "89abcdef0123456", "89abcdef012345678", "g9abcdef01234567", fp + "0", "../../etc/passwd"} {
		if _, err := ParseKeyRef(in); !errors.Is(err, errkind.Usage) {
			t.Errorf("ParseKeyRef(%q) = %v, want a usage error", in, err)
		}
	}
}

// A key ID naming two keys is an error naming both; none is not found.
func TestPickKeyAmbiguous(t *testing.T) {
	a := "1111111111111111111111110123456789abcdef"
	b := "2222222222222222222222220123456789abcdef"
	c := "3333333333333333333333333333333333333333"
	names := func(fps ...string) []keyNames {
		var out []keyNames
		for _, fp := range fps {
			out = append(out, keyNames{fp: fp})
		}
		return out
	}
	_, err := pickKey("0123456789abcdef", names(a, c, b, a))
	if !errors.Is(err, errkind.Usage) || !strings.Contains(err.Error(), a) || !strings.Contains(err.Error(), b) || strings.Contains(err.Error(), c) {
		t.Errorf("ambiguous key ID: %v; want a usage error naming %s and %s only", err, a, b)
	}
	if got, err := pickKey("3333333333333333", names(a, b, c)); err != nil || got != c {
		t.Errorf("unique key ID: %q, %v; want %s", got, err, c)
	}
	if got, err := pickKey(a, names(b, c)); err != nil || got != a {
		t.Errorf("full fingerprint of no key: %q, %v; want itself", got, err)
	}
	if _, err := pickKey("4444444444444444", names(a, b, c)); !errors.Is(err, errkind.NotFound) {
		t.Errorf("unknown key ID: %v, want not found", err)
	}
	// A subkey ID names its key, and is ambiguous with another key's tail.
	withSub := []keyNames{{fp: c, subIDs: []string{"5555555555555555"}}, {fp: a}}
	if got, err := pickKey("5555555555555555", withSub); err != nil || got != c {
		t.Errorf("subkey ID: %q, %v; want %s", got, err, c)
	}
	withSub[1].fp = "1111111111111111111111115555555555555555"
	if _, err := pickKey("5555555555555555", withSub); !errors.Is(err, errkind.Usage) {
		t.Errorf("subkey ID that is also a key's tail: %v, want ambiguous", err)
	}
}

// Resolve finds a real key by its ID, in every place it is trusted.
func TestResolve(t *testing.T) {
	s, _, _ := newStore(t)
	pub := fixture(t, "tutorial.pub.asc")
	fp := fpOf(t, pub)
	for _, p := range []string{"example.com/app", "example.org"} {
		if _, err := s.Add(Prefix, p, pub); err != nil {
			t.Fatal(err)
		}
	}
	got, places, err := s.Resolve("0x" + strings.ToUpper(fp[24:]))
	if err != nil || got != fp || len(places) != 2 || places[0].Prefix != "example.com/app" || places[1].Prefix != "example.org" {
		t.Fatalf("Resolve(key ID) = %q, %+v, %v; want %s in two prefixes", got, places, err, fp)
	}
	// The tutorial key's encryption subkey, as gpg --list-keys shows it.
	if got, _, err := s.Resolve("582E57BF9A82E849"); err != nil || got != fp {
		t.Errorf("Resolve(subkey ID) = %q, %v; want %s", got, err, fp)
	}
	if _, _, err := s.Resolve(fp[:16]); !errors.Is(err, errkind.NotFound) {
		t.Errorf("Resolve(leading 16 hex) = %v, want not found (a key ID is the tail)", err)
	}
}

// A key file that cannot be read does not stop Resolve: it can still be
// named, by fingerprint or key ID, and removed.
func TestResolveBrokenFile(t *testing.T) {
	s, local, _ := newStore(t)
	pub := fixture(t, "tutorial.pub.asc")
	fp := fpOf(t, pub)
	if _, err := s.Add(Prefix, "example.com", pub); err != nil {
		t.Fatal(err)
	}
	bad := "0123456789abcdef0123456789abcdef01234567"
	if err := os.MkdirAll(filepath.Join(local, "root.d"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(local, "root.d", bad), pub, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := s.List(); err == nil {
		t.Fatal("List with a misnamed key file succeeded; the test needs it to fail")
	}
	got, places, err := s.Resolve(strings.ToUpper(bad[24:]))
	if err != nil || got != bad || len(places) != 1 || places[0].Where != Root {
		t.Fatalf("Resolve(misnamed file's ID) = %q, %+v, %v; want %s in root", got, places, err, bad)
	}
	if got, _, err := s.Resolve(fp[24:]); err != nil || got != fp {
		t.Errorf("Resolve(good key) beside a broken file = %q, %v", got, err)
	}
	if err := s.Remove(bad, ""); err != nil {
		t.Errorf("Remove(misnamed file) = %v", err)
	}
}
