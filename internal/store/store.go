package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"syscall"
	"time"

	"github.com/acikit/acikit/internal/errkind"
	"github.com/acikit/acikit/internal/log"
	"go.etcd.io/bbolt"
)

// Options tune a Store. The zero value is usable.
type Options struct {
	// Log receives debug lines (cleaned temporary files and the like).
	Log *log.Logger
	// Now returns the current time; tests set it. Default time.Now.
	Now func() time.Time
}

// Store is an open image store. Its methods are safe for concurrent use by
// goroutines and by several processes sharing the directory.
type Store struct {
	dir  string
	opts Options
}

// Image is one index entry.
type Image struct {
	// ID is the image ID: "sha512-" and the 128 hex digits of the SHA-512 of
	// the uncompressed tar.
	ID     string            `json:"id"`
	Name   string            `json:"name"`
	Labels map[string]string `json:"labels,omitempty"`
	// Size is the size of the blob as stored (as fetched, maybe compressed).
	Size       int64     `json:"size"`
	ImportTime time.Time `json:"importTime"`
	LastUsed   time.Time `json:"lastUsed"`
	// Latest is set when the image was fetched by name without a version,
	// which makes it the preferred match for version-less lookups.
	Latest bool `json:"latest"`
	// Signed tells whether a detached signature is stored beside the blob.
	Signed    bool   `json:"signed"`
	SourceURL string `json:"sourceURL,omitempty"`
	// Manifest is the image manifest as found in the archive.
	Manifest json.RawMessage `json:"manifest,omitempty"`
}

// Remote is the HTTP cache entry for one image URL (rkt's remote table).
type Remote struct {
	URL          string    `json:"url"`
	SignatureURL string    `json:"signatureURL,omitempty"`
	ID           string    `json:"id"`
	ETag         string    `json:"etag,omitempty"`
	MaxAge       int64     `json:"maxAge,omitempty"` // seconds, from Cache-Control
	DownloadTime time.Time `json:"downloadTime"`
}

// Fresh tells whether the entry may be used without asking the server
// (download time plus max-age still in the future).
func (r *Remote) Fresh(now time.Time) bool {
	return r.MaxAge > 0 && now.Before(r.DownloadTime.Add(time.Duration(r.MaxAge)*time.Second))
}

var (
	bucketImages  = []byte("images")
	bucketRemotes = []byte("remotes")
)

var idRE = regexp.MustCompile(`^sha512-[0-9a-f]{128}$`)

// ValidID reports whether id has the form "sha512-" + 128 lowercase hex digits.
func ValidID(id string) bool { return idRE.MatchString(id) }

// ErrNotFound is wrapped by lookups that found nothing (marked errkind.NotFound).
var ErrNotFound = errors.New("image not in store")

// ErrAmbiguous is returned when an ID prefix matches more than one image.
var ErrAmbiguous = errors.New("ambiguous image ID")

// IndexFile is the store's index, under its directory: a directory without
// it holds no store.
const IndexFile = "index.db"

// Open opens (creating if needed) the store in dir and removes temporary
// files that no live import holds.
func Open(dir string, opts Options) (*Store, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if dir == "" {
		return nil, errkind.Usagef("open store: no store directory given (and no home directory to default to)")
	}
	s := &Store{dir: dir, opts: opts}
	for _, d := range []string{dir, s.path("blobs", "sha512"), s.path("tmp")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("open store %s: %w", dir, err)
		}
	}
	// Create the index (and its buckets) once, under the exclusive lock, so
	// that readers can always open it read-only.
	if _, err := os.Stat(s.path(IndexFile)); err != nil {
		err := s.update(func(tx *bbolt.Tx) error {
			for _, b := range [][]byte{bucketImages, bucketRemotes} {
				if _, err := tx.CreateBucketIfNotExists(b); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	s.cleanTemps()
	return s, nil
}

// Dir returns the store's directory.
func (s *Store) Dir() string { return s.dir }

func (s *Store) path(elem ...string) string {
	return filepath.Join(append([]string{s.dir}, elem...)...)
}

// BlobPath returns where the blob of id lives (it may not exist).
func (s *Store) BlobPath(id string) string {
	return s.path("blobs", "sha512", id[7:9], id)
}

// lock takes the store-wide flock on a fresh open file description, so that
// goroutines of one process exclude each other as processes do.
func (s *Store) lock(exclusive bool) (unlock func(), err error) {
	f, err := os.OpenFile(s.path("lock"), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock store %s: %w", s.dir, err)
	}
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	if err := flock(f, how); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock store %s: %w", s.dir, err)
	}
	return func() { f.Close() }, nil
}

func flock(f *os.File, how int) error {
	for {
		err := syscall.Flock(int(f.Fd()), how)
		if !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
}

// openDB opens the index for one operation; the caller holds the store lock.
// The index is never kept open: bbolt holds a file lock while open, and a
// long download must not block other processes.
func (s *Store) openDB(readOnly bool) (*bbolt.DB, error) {
	db, err := bbolt.Open(s.path(IndexFile), 0o644, &bbolt.Options{ReadOnly: readOnly, Timeout: time.Minute})
	if err != nil {
		return nil, fmt.Errorf("open store index %s: %w", s.path(IndexFile), err)
	}
	return db, nil
}

func (s *Store) view(fn func(tx *bbolt.Tx) error) error {
	unlock, err := s.lock(false)
	if err != nil {
		return err
	}
	defer unlock()
	db, err := s.openDB(true)
	if err != nil {
		return err
	}
	defer db.Close()
	return db.View(fn)
}

func (s *Store) update(fn func(tx *bbolt.Tx) error) error {
	unlock, err := s.lock(true)
	if err != nil {
		return err
	}
	defer unlock()
	return s.updateLocked(fn)
}

func (s *Store) updateLocked(fn func(tx *bbolt.Tx) error) error {
	db, err := s.openDB(false)
	if err != nil {
		return err
	}
	err = db.Update(fn)
	if cerr := db.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("close store index: %w", cerr)
	}
	return err
}

func getImage(tx *bbolt.Tx, id string) (*Image, error) {
	v := tx.Bucket(bucketImages).Get([]byte(id))
	if v == nil {
		return nil, nil
	}
	var im Image
	if err := json.Unmarshal(v, &im); err != nil {
		return nil, fmt.Errorf("read index entry %s: %w", id, err)
	}
	return &im, nil
}

func putJSON(b *bbolt.Bucket, key string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put([]byte(key), data)
}

func notFound(what string) error {
	return errkind.Mark(fmt.Errorf("%s: %w", what, ErrNotFound), errkind.NotFound)
}

func removeIfExists(p string) error {
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
