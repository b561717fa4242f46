package store

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/acikit/acikit/internal/atomicfile"
	"github.com/acikit/acikit/internal/errkind"
	"go.etcd.io/bbolt"
)

// Meta describes an image being committed. The caller has verified it: the
// store records what it is told.
type Meta struct {
	Name     string
	Labels   map[string]string
	Manifest []byte // raw manifest JSON from the archive
	// Signature is the detached signature to keep beside the blob (nil: none).
	Signature []byte
	// Latest marks an image fetched by name without a version.
	Latest bool
	// Remote, when set, records the HTTP cache entry for the source URL;
	// its ID field is filled in by Commit.
	Remote *Remote
}

// Import receives the bytes of one image as fetched. Write them, then Commit
// or Abort (Abort after Commit does nothing, so defer it).
type Import struct {
	s    *Store
	f    *os.File
	name string // f's current name (f.Name() is the one it was created with)
	size int64
	done bool
}

const (
	tempPrefix = "import-"
	newPrefix  = "new-"
)

// NewImport starts an import: a temporary file in the store's tmp/ directory,
// flocked so that cleanup in other processes leaves it alone while this one
// lives.
func (s *Store) NewImport() (*Import, error) {
	// Created under a name cleanTemps leaves alone, locked, then renamed:
	// otherwise cleanup could take the lock between creation and flock.
	f, err := os.CreateTemp(s.path("tmp"), newPrefix+"*")
	if err != nil {
		return nil, fmt.Errorf("start import in %s: %w", s.dir, err)
	}
	if err := flock(f, syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, fmt.Errorf("lock %s: %w", f.Name(), err)
	}
	name := filepath.Join(filepath.Dir(f.Name()), tempPrefix+strings.TrimPrefix(filepath.Base(f.Name()), newPrefix))
	if err := os.Rename(f.Name(), name); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, fmt.Errorf("start import in %s: %w", s.dir, err)
	}
	return &Import{s: s, f: f, name: name}, nil
}

// Write appends fetched bytes to the pending blob.
func (im *Import) Write(p []byte) (int, error) {
	if im.done {
		return 0, errors.New("write to a finished import")
	}
	n, err := im.f.Write(p)
	im.size += int64(n)
	if err != nil {
		// The file's own error names it by its name before the rename.
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		err = fmt.Errorf("write %s: %w", im.name, err)
	}
	return n, err
}

// Size returns the number of bytes written so far.
func (im *Import) Size() int64 { return im.size }

// Open reopens the bytes written so far for reading, for a second pass
// (a signature that the server delivered late).
func (im *Import) Open() (*os.File, error) {
	if err := im.f.Sync(); err != nil {
		return nil, fmt.Errorf("sync %s: %w", im.name, err)
	}
	return os.Open(im.name)
}

// Abort throws the pending blob away.
func (im *Import) Abort() {
	if im.done {
		return
	}
	im.done = true
	os.Remove(im.name)
	im.f.Close()
}

// Commit puts the blob in place under id and records it in the index. If the
// store already holds id (a concurrent fetch won), the new bytes are dropped
// and the entry is updated. The caller must have checked that id is the ID of
// what was written.
func (im *Import) Commit(id string, meta Meta) (*Image, error) {
	if im.done {
		return nil, errors.New("commit of a finished import")
	}
	defer im.Abort()
	if !ValidID(id) {
		return nil, errkind.Invalidf("commit image: malformed image ID %q", id)
	}
	if err := im.f.Sync(); err != nil {
		return nil, fmt.Errorf("sync %s: %w", im.name, err)
	}
	s := im.s
	unlock, err := s.lock(true)
	if err != nil {
		return nil, err
	}
	defer unlock()

	blob := s.BlobPath(id)
	if err := os.MkdirAll(filepath.Dir(blob), 0o755); err != nil {
		return nil, fmt.Errorf("commit %s: %w", id, err)
	}
	st, statErr := os.Stat(blob)
	haveBlob, haveSig := statErr == nil, fileExists(blob+".asc")
	// A signature covers the bytes as fetched, and one image ID can arrive
	// compressed in different ways, so a stored signature must stay beside
	// the very bytes it signs. Keep the stored blob (and its signature)
	// unless there is none, or this import brings a signature the stored
	// blob lacks: then the new bytes and their signature replace it.
	install := !haveBlob || (meta.Signature != nil && !haveSig)
	size := im.size
	if !install {
		size = st.Size()
	}
	if install {
		if err := os.Chmod(im.name, 0o644); err != nil {
			return nil, fmt.Errorf("commit %s: %w", id, err)
		}
		// The blob goes first: a crash before the signature is written
		// leaves an unsigned blob, never a signature over other bytes.
		if err := os.Rename(im.name, blob); err != nil {
			return nil, fmt.Errorf("commit %s: %w", id, err)
		}
		if meta.Signature != nil {
			err = atomicfile.WriteFile(blob+".asc", bytes.NewReader(meta.Signature), 0o644, true)
		} else {
			// Left by a crash or an older store: it signs other bytes.
			err = removeIfExists(blob + ".asc")
		}
		if err != nil {
			return nil, fmt.Errorf("commit %s: %w", id, err)
		}
		if err := syncDir(filepath.Dir(blob)); err != nil {
			return nil, fmt.Errorf("commit %s: %w", id, err)
		}
	}
	signed := haveSig
	if install {
		signed = meta.Signature != nil
	}
	var out *Image
	err = s.updateLocked(func(tx *bbolt.Tx) error {
		now := s.opts.Now().UTC()
		old, err := getImage(tx, id)
		if err != nil {
			return err
		}
		rec := &Image{
			ID: id, Name: meta.Name, Labels: meta.Labels, Size: size,
			ImportTime: now, LastUsed: now, Latest: meta.Latest,
			Signed: signed, Manifest: meta.Manifest,
		}
		if old != nil {
			rec.ImportTime = old.ImportTime
			rec.Latest = rec.Latest || old.Latest
			if old.SourceURL != "" {
				rec.SourceURL = old.SourceURL
			}
		}
		if meta.Remote != nil {
			r := *meta.Remote
			r.ID = id
			if r.DownloadTime.IsZero() {
				r.DownloadTime = now
			}
			rec.SourceURL = r.URL
			if err := putJSON(tx.Bucket(bucketRemotes), r.URL, &r); err != nil {
				return err
			}
		}
		if meta.Latest {
			// Only one image per name is "latest": the newest one.
			if err := clearLatest(tx, meta.Name, id); err != nil {
				return err
			}
		}
		out = rec
		return putJSON(tx.Bucket(bucketImages), id, rec)
	})
	if err != nil {
		return nil, fmt.Errorf("commit %s: %w", id, err)
	}
	return out, nil
}

func clearLatest(tx *bbolt.Tx, name, keep string) error {
	b := tx.Bucket(bucketImages)
	var stale []*Image
	err := b.ForEach(func(k, v []byte) error {
		if string(k) == keep {
			return nil
		}
		im, err := getImage(tx, string(k))
		if err != nil {
			return err
		}
		if im.Name == name && im.Latest {
			stale = append(stale, im)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, im := range stale {
		im.Latest = false
		if err := putJSON(b, im.ID, im); err != nil {
			return err
		}
	}
	return nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return err
	}
	return nil
}
