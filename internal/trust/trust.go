package trust

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"

	"github.com/acikit/acikit/internal/atomicfile"
	"github.com/acikit/acikit/internal/errkind"
	"github.com/acikit/acikit/internal/pgp"
	"github.com/acikit/acikit/internal/schema/types"
)

// Default locations. The CLI picks among them; the library only takes paths.
const (
	// SystemDir is the vendor tree, read-only for acikit.
	SystemDir = "/usr/lib/acikit/trustedkeys"
	// RootLocalDir is the local tree when running as root.
	RootLocalDir = "/etc/acikit/trustedkeys"
	// RktLocalDir is where rkt keeps its local keys; usable as a LocalDir.
	RktLocalDir = "/etc/rkt/trustedkeys"
)

// DefaultLocalDir returns the local tree for a user: RootLocalDir for root,
// else $XDG_CONFIG_HOME/acikit/trustedkeys, else ~/.config/acikit/trustedkeys.
// The caller passes the values it read from the environment. A relative
// XDG_CONFIG_HOME is ignored, as the XDG spec says; with no usable home it
// returns "" (no local tree) rather than a path relative to the working
// directory, where keys would be written and trusted by accident.
func DefaultLocalDir(euid int, xdgConfigHome, home string) string {
	switch {
	case euid == 0:
		return RootLocalDir
	case filepath.IsAbs(xdgConfigHome):
		return filepath.Join(xdgConfigHome, "acikit", "trustedkeys")
	case filepath.IsAbs(home):
		return filepath.Join(home, ".config", "acikit", "trustedkeys")
	}
	return ""
}

// Options locate the two trees. Either may be empty (not used).
type Options struct {
	LocalDir  string // written by Add and Remove
	SystemDir string // read only
}

// Store is a trust store. It holds no state besides its paths, so several
// processes may use the same tree; writes are atomic renames.
type Store struct{ opts Options }

// New returns a Store over the trees in opts.
func New(opts Options) *Store { return &Store{opts: opts} }

// Options returns the paths the store uses.
func (s *Store) Options() Options { return s.opts }

// Where says whether a key is trusted for every name or for a prefix.
type Where string

// Kinds of trust.
const (
	Root   Where = "root"
	Prefix Where = "prefix"
)

const (
	rootDir   = "root.d"
	prefixDir = "prefix.d"
	dirPerm   = 0o755
	filePerm  = 0o644
)

// ValidatePrefix checks that prefix is a clean relative name usable as a
// path under prefix.d (no scheme, no empty, "." or ".." segment) and that
// it is an image name (an ACIdentifier), the only thing it can match.
func ValidatePrefix(prefix string) error {
	if prefix == "" {
		return errkind.Usagef("empty prefix")
	}
	if strings.Contains(prefix, "://") {
		return errkind.Usagef("prefix %q: give a name like example.com/app, not a URL", prefix)
	}
	if strings.ContainsAny(prefix, "\\\x00") || strings.HasPrefix(prefix, "/") || strings.HasSuffix(prefix, "/") {
		return errkind.Usagef("prefix %q: not a clean image name prefix", prefix)
	}
	for _, seg := range strings.Split(prefix, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return errkind.Usagef("prefix %q: not a clean image name prefix", prefix)
		}
	}
	// Image names are ACIdentifiers: a key stored under any other prefix
	// (Example.com, "my app") could never verify an image, silently.
	if _, err := types.NewACIdentifier(prefix); err != nil {
		return errkind.Mark(fmt.Errorf("prefix %q: no image name can start with it: %w", prefix, err), errkind.Usage)
	}
	return nil
}

// IsFingerprint reports whether name is a 40-character lowercase hex
// fingerprint, the only file names the store reads.
func IsFingerprint(name string) bool {
	if len(name) != 40 {
		return false
	}
	for _, c := range name {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// dirFor is the directory, relative to a tree, for root or a prefix.
func dirFor(where Where, prefix string) (string, error) {
	switch where {
	case Root:
		if prefix != "" {
			return "", errkind.Usagef("a root key takes no prefix (got %q)", prefix)
		}
		return rootDir, nil
	case Prefix:
		if err := ValidatePrefix(prefix); err != nil {
			return "", err
		}
		return filepath.Join(prefixDir, filepath.FromSlash(prefix)), nil
	}
	return "", errkind.Usagef("unknown trust kind %q", where)
}

// Added describes a key file written by Add.
type Added struct {
	Fingerprint string `json:"fingerprint"`
	Path        string `json:"path"`
}

// Add stores the armored public key(s) in armored for root or prefix in the
// local tree. A file holding exactly one key is stored byte for byte, as
// rkt does; a file holding several is split into one file per key. Secret
// keys are refused.
func (s *Store) Add(where Where, prefix string, armored []byte) ([]Added, error) {
	if s.opts.LocalDir == "" {
		return nil, errkind.Usagef("add key: no local trust directory (no home directory): give --trust-dir")
	}
	rel, err := dirFor(where, prefix)
	if err != nil {
		return nil, err
	}
	keys, err := pgp.ReadKeyring(bytes.NewReader(armored))
	if err != nil {
		return nil, err
	}
	for _, e := range keys {
		if pgp.IsSecret(e) {
			return nil, errkind.Usagef("key %s is a secret key; trust its public part (acsign export)", pgp.Fingerprint(e))
		}
	}
	dir := filepath.Join(s.opts.LocalDir, rel)
	if err := mkdirAll(s.opts.LocalDir, rel); err != nil {
		return nil, err
	}
	var out []Added
	for _, e := range keys {
		content := armored
		if len(keys) > 1 || !bytes.HasPrefix(bytes.TrimLeft(armored, " \t\r\n"), []byte("-----BEGIN ")) {
			if content, err = pgp.ArmorPublic(e); err != nil {
				return nil, err
			}
		}
		fp := pgp.Fingerprint(e)
		p := filepath.Join(dir, fp)
		if err := atomicfile.WriteFile(p, bytes.NewReader(content), filePerm, true); err != nil {
			return out, fmt.Errorf("add key %s: %w", fp, err)
		}
		out = append(out, Added{Fingerprint: fp, Path: p})
	}
	return out, nil
}

// mkdirAll creates base/rel with mode 0755 on every created directory,
// whatever the umask.
func mkdirAll(base, rel string) error {
	cur := base
	parts := append([]string{""}, strings.Split(rel, string(filepath.Separator))...)
	for _, p := range parts {
		cur = filepath.Join(cur, p)
		err := os.Mkdir(cur, dirPerm)
		if err == nil {
			err = os.Chmod(cur, dirPerm)
		} else if errors.Is(err, fs.ErrExist) {
			err = nil
		} else if p == "" {
			err = os.MkdirAll(cur, dirPerm)
		}
		if err != nil {
			return fmt.Errorf("create trust directory %s: %w", cur, err)
		}
	}
	return nil
}

// Remove takes the key fp out of root (prefix "") or out of prefix. A key
// only the system tree holds is masked with an empty local file.
func (s *Store) Remove(fp, prefix string) error {
	fp = strings.ToLower(fp)
	if !IsFingerprint(fp) {
		return errkind.Usagef("remove key: %q is not a 40-hex fingerprint", fp)
	}
	where := Prefix
	if prefix == "" {
		where = Root
	}
	rel, err := dirFor(where, prefix)
	if err != nil {
		return err
	}
	if s.opts.LocalDir == "" {
		return errkind.Usagef("remove key: no local trust directory (no home directory): give --trust-dir")
	}
	local := filepath.Join(s.opts.LocalDir, rel, fp)
	inSystem := false
	if s.opts.SystemDir != "" {
		st, err := os.Stat(filepath.Join(s.opts.SystemDir, rel, fp))
		inSystem = err == nil && st.Mode().IsRegular() && st.Size() > 0
	}
	st, lerr := os.Stat(local)
	switch {
	case inSystem && lerr == nil && st.Size() == 0:
		return errkind.NotFoundf("remove key %s: already masked at %s", fp, local)
	case inSystem:
		if err := mkdirAll(s.opts.LocalDir, rel); err != nil {
			return err
		}
		return atomicfile.WriteFile(local, strings.NewReader(""), filePerm, true)
	case lerr == nil:
		if err := os.Remove(local); err != nil {
			return fmt.Errorf("remove key %s: %w", fp, err)
		}
		return nil
	}
	what := "root keys"
	if prefix != "" {
		what = fmt.Sprintf("prefix %q", prefix)
	}
	return errkind.NotFoundf("remove key %s: not trusted for %s", fp, what)
}

// Entry is one effective trusted key.
type Entry struct {
	Where       Where           `json:"kind"`
	Prefix      string          `json:"prefix,omitempty"`
	Fingerprint string          `json:"fingerprint"`
	Path        string          `json:"path"`
	System      bool            `json:"system"`
	Key         *openpgp.Entity `json:"-"`
}

// List returns every effective key (masked ones left out), root keys first,
// then by prefix and fingerprint.
func (s *Store) List() ([]Entry, error) { return s.list(true) }

// entries is List that keeps a key file it cannot read, with a nil Key, so
// that such a file can still be found and removed.
func (s *Store) entries() ([]Entry, error) { return s.list(false) }

func (s *Store) list(strict bool) ([]Entry, error) {
	var out []Entry
	add := func(where Where, prefix, rel string) error {
		files, err := s.merged(rel)
		if err != nil {
			return err
		}
		for _, f := range files {
			e, err := readKey(f.path)
			if err != nil && strict {
				return err
			}
			out = append(out, Entry{Where: where, Prefix: prefix, Fingerprint: f.fp, Path: f.path, System: f.system, Key: e})
		}
		return nil
	}
	if err := add(Root, "", rootDir); err != nil {
		return nil, err
	}
	prefixes, err := s.prefixes()
	if err != nil {
		return nil, err
	}
	for _, p := range prefixes {
		if err := add(Prefix, p, filepath.Join(prefixDir, filepath.FromSlash(p))); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// prefixes lists every directory under prefix.d in either tree that holds
// at least one key-named file.
func (s *Store) prefixes() ([]string, error) {
	seen := map[string]bool{}
	for _, tree := range []string{s.opts.SystemDir, s.opts.LocalDir} {
		if tree == "" {
			continue
		}
		base := filepath.Join(tree, prefixDir)
		err := filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					return nil
				}
				return err
			}
			if d.Type().IsRegular() && IsFingerprint(d.Name()) {
				rel, _ := filepath.Rel(base, filepath.Dir(p))
				if rel != "." {
					seen[filepath.ToSlash(rel)] = true
				}
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("list trusted keys in %s: %w", base, err)
		}
	}
	out := make([]string, 0, len(seen))
	for p := range seen {
		out = append(out, p)
	}
	slices.Sort(out)
	return out, nil
}

type keyFile struct {
	fp, path string
	system   bool
}

// merged lists the effective key files of one directory: system files
// overridden by local files of the same name, empty local files masking.
func (s *Store) merged(rel string) ([]keyFile, error) {
	files := map[string]keyFile{}
	masked := map[string]bool{}
	for _, tree := range []struct {
		dir    string
		system bool
	}{{s.opts.SystemDir, true}, {s.opts.LocalDir, false}} {
		if tree.dir == "" {
			continue
		}
		dir := filepath.Join(tree.dir, rel)
		ents, err := os.ReadDir(dir)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read trusted keys in %s: %w", dir, err)
		}
		for _, d := range ents {
			// Skip temporary files of a concurrent Add and anything else
			// that is not named like a key.
			if !IsFingerprint(d.Name()) {
				continue
			}
			p := filepath.Join(dir, d.Name())
			st, err := os.Stat(p)
			if err != nil {
				return nil, fmt.Errorf("read trusted key %s: %w", p, err)
			}
			if !st.Mode().IsRegular() {
				continue
			}
			if st.Size() == 0 {
				if !tree.system {
					masked[d.Name()] = true
				}
				delete(files, d.Name())
				continue
			}
			files[d.Name()] = keyFile{fp: d.Name(), path: p, system: tree.system}
		}
	}
	out := make([]keyFile, 0, len(files))
	for fp, f := range files {
		if !masked[fp] {
			out = append(out, f)
		}
	}
	slices.SortFunc(out, func(a, b keyFile) int { return strings.Compare(a.fp, b.fp) })
	return out, nil
}

// readKey reads one key file and checks that its key has the fingerprint
// the file is named by, so a misplaced file cannot lend its name to
// another key.
func readKey(p string) (*openpgp.Entity, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("read trusted key: %w", err)
	}
	defer f.Close()
	el, err := pgp.ReadKeyring(f)
	if err != nil {
		return nil, fmt.Errorf("trusted key %s: %w", p, err)
	}
	want := filepath.Base(p)
	for _, e := range el {
		if pgp.Fingerprint(e) == want {
			return e, nil
		}
	}
	return nil, errkind.Trustf("trusted key %s: the file holds key %s, not the one it is named for", p, pgp.Fingerprint(el[0]))
}

// Prefixes returns the prefixes, by path segment, whose keys may verify
// name: "example.com", "example.com/foo", "example.com/foo/bar" for
// "example.com/foo/bar". A segment prefix that no key can be trusted under
// (it ends in a separator, as "a." of "a./b" does) is left out.
func Prefixes(name string) []string {
	segs := strings.Split(name, "/")
	out := make([]string, 0, len(segs))
	for i := range segs {
		p := path.Join(segs[:i+1]...)
		if i < len(segs)-1 && ValidatePrefix(p) != nil {
			continue
		}
		out = append(out, p)
	}
	return out
}

// KeyringFor returns the keys that may verify an image called name: every
// root key and every key of a prefix that is name or a path-segment prefix
// of it.
func (s *Store) KeyringFor(name string) (openpgp.EntityList, error) {
	if err := ValidatePrefix(name); err != nil {
		return nil, errkind.Mark(fmt.Errorf("keys for image name %q: %w", name, err), errkind.Invalid)
	}
	rels := []string{rootDir}
	for _, p := range Prefixes(name) {
		rels = append(rels, filepath.Join(prefixDir, filepath.FromSlash(p)))
	}
	var el openpgp.EntityList
	seen := map[string]bool{}
	for _, rel := range rels {
		files, err := s.merged(rel)
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			if seen[f.fp] {
				continue
			}
			e, err := readKey(f.path)
			if err != nil {
				return nil, err
			}
			seen[f.fp] = true
			el = append(el, e)
		}
	}
	return el, nil
}

// ReadAll is a helper for callers holding a key in a reader: it reads at
// most pgp.MaxKeyringSize bytes.
func ReadAll(r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, pgp.MaxKeyringSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > pgp.MaxKeyringSize {
		return nil, errkind.Trustf("key larger than %d bytes", pgp.MaxKeyringSize)
	}
	return b, nil
}

// ParseKeyRef normalises a key named by the user: a 40-hex fingerprint or
// a 16-hex key ID (the fingerprint's last 16 hex, as gpg and acsign's
// messages print it, or a subkey's ID), in either case, with an optional 0x and spaces.
func ParseKeyRef(s string) (string, error) {
	ref := strings.ToLower(strings.Join(strings.Fields(s), ""))
	ref = strings.TrimPrefix(ref, "0x")
	ok := len(ref) == 40 || len(ref) == 16
	for _, c := range ref {
		ok = ok && ('0' <= c && c <= '9' || 'a' <= c && c <= 'f')
	}
	if !ok {
		return "", errkind.Usagef("key %q: want a 40-hex fingerprint or a 16-hex key ID", s)
	}
	return ref, nil
}

// keyNames is what a key can be named by: its fingerprint and the 16-hex
// IDs of its subkeys (a signature made by a subkey names that ID).
type keyNames struct {
	fp     string
	subIDs []string
}

// matchKeyRef returns the distinct fingerprints among keys that ref (from
// ParseKeyRef) names, sorted.
func matchKeyRef(ref string, keys []keyNames) []string {
	var out []string
	for _, k := range keys {
		if (strings.HasSuffix(k.fp, ref) || len(ref) == 16 && slices.Contains(k.subIDs, ref)) && !slices.Contains(out, k.fp) {
			out = append(out, k.fp)
		}
	}
	slices.Sort(out)
	return out
}

// Resolve turns a key reference into the fingerprint of a trusted key and
// the places (root, prefixes) it is effectively trusted. A full fingerprint
// that no entry holds is returned with no places, so that Remove can say
// why; a key ID must name exactly one trusted key.
func (s *Store) Resolve(key string) (string, []Entry, error) {
	ref, err := ParseKeyRef(key)
	if err != nil {
		return "", nil, err
	}
	entries, err := s.entries()
	if err != nil {
		return "", nil, err
	}
	var all []keyNames
	for _, e := range entries {
		k := keyNames{fp: e.Fingerprint}
		if e.Key != nil {
			for _, sk := range e.Key.Subkeys {
				k.subIDs = append(k.subIDs, fmt.Sprintf("%016x", sk.PublicKey.KeyId))
			}
		}
		all = append(all, k)
	}
	fp, err := pickKey(ref, all)
	if err != nil {
		return "", nil, err
	}
	var places []Entry
	for _, e := range entries {
		if e.Fingerprint == fp {
			places = append(places, e)
		}
	}
	return fp, places, nil
}

// pickKey picks the one fingerprint among fps that ref names. A full
// fingerprint names itself even when no key has it.
func pickKey(ref string, keys []keyNames) (string, error) {
	switch m := matchKeyRef(ref, keys); {
	case len(m) > 1:
		return "", errkind.Usagef("key ID %s is ambiguous: it matches %s; give the full fingerprint", strings.ToUpper(ref), strings.Join(m, ", "))
	case len(m) == 1:
		return m[0], nil
	case len(ref) != 40:
		return "", errkind.NotFoundf("key ID %s: no trusted key has it", strings.ToUpper(ref))
	}
	return ref, nil
}
