package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"go.etcd.io/bbolt"
)

// Remove deletes the images with the given full IDs: the index entries first
// (in one transaction), then the files, so a crash leaves at worst an
// unindexed blob for GC.
func (s *Store) Remove(ids ...string) error {
	unlock, err := s.lock(true)
	if err != nil {
		return err
	}
	defer unlock()
	err = s.updateLocked(func(tx *bbolt.Tx) error {
		for _, id := range ids {
			im, err := getImage(tx, id)
			if err != nil {
				return err
			}
			if im == nil {
				return notFound(fmt.Sprintf("remove image %s", id))
			}
			if err := deleteImage(tx, id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := s.removeBlob(id); err != nil {
			return err
		}
	}
	return nil
}

func deleteImage(tx *bbolt.Tx, id string) error {
	if err := tx.Bucket(bucketImages).Delete([]byte(id)); err != nil {
		return err
	}
	rb := tx.Bucket(bucketRemotes)
	var stale [][]byte
	rb.ForEach(func(k, v []byte) error {
		var r Remote
		if json.Unmarshal(v, &r) != nil || r.ID == id {
			stale = append(stale, append([]byte(nil), k...))
		}
		return nil
	})
	for _, k := range stale {
		if err := rb.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) removeBlob(id string) error {
	p := s.BlobPath(id)
	if err := removeIfExists(p); err != nil {
		return fmt.Errorf("remove blob of %s: %w", id, err)
	}
	if err := removeIfExists(p + ".asc"); err != nil {
		return fmt.Errorf("remove signature of %s: %w", id, err)
	}
	return nil
}

// GC removes the images not used (fetched, run, touched) within olderThan,
// blobs that no index entry names, and dead temporary files. It returns the
// IDs of the removed images. olderThan < 0 removes no image.
func (s *Store) GC(olderThan time.Duration) ([]string, error) {
	unlock, err := s.lock(true)
	if err != nil {
		return nil, err
	}
	defer unlock()
	s.cleanTemps()
	var removed []string
	indexed := map[string]bool{}
	cutoff := s.opts.Now().Add(-olderThan)
	err = s.updateLocked(func(tx *bbolt.Tx) error {
		var all []*Image
		err := tx.Bucket(bucketImages).ForEach(func(k, _ []byte) error {
			im, err := getImage(tx, string(k))
			if err == nil {
				all = append(all, im)
			}
			return err
		})
		if err != nil {
			return err
		}
		for _, im := range all {
			if olderThan >= 0 && im.LastUsed.Before(cutoff) {
				if err := deleteImage(tx, im.ID); err != nil {
					return err
				}
				removed = append(removed, im.ID)
				continue
			}
			indexed[im.ID] = true
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("gc: %w", err)
	}
	// Under the exclusive lock no commit is between rename and index, so a
	// blob missing from the index is an orphan.
	blobs, err := s.blobIDs(true)
	if err != nil {
		return removed, err
	}
	for _, id := range blobs {
		if !indexed[id] {
			if err := s.removeBlob(id); err != nil {
				return removed, err
			}
		}
	}
	return removed, nil
}

// blobIDs lists the IDs of the blobs on disk; withSigs adds the IDs of
// signature files, so that GC also finds a signature without its blob.
func (s *Store) blobIDs(withSigs bool) ([]string, error) {
	var ids []string
	seen := map[string]bool{}
	dirs, err := os.ReadDir(s.path("blobs", "sha512"))
	if err != nil {
		return nil, fmt.Errorf("read blobs: %w", err)
	}
	for _, d := range dirs {
		ents, err := os.ReadDir(s.path("blobs", "sha512", d.Name()))
		if err != nil {
			return nil, fmt.Errorf("read blobs: %w", err)
		}
		for _, e := range ents {
			id := e.Name()
			if withSigs {
				id = strings.TrimSuffix(id, ".asc")
			}
			if ValidID(id) && !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	return ids, nil
}

// cleanTemps removes temporary files whose import is dead: a live import
// holds an exclusive flock on its file until it commits or aborts.
func (s *Store) cleanTemps() {
	ents, err := os.ReadDir(s.path("tmp"))
	if err != nil {
		return
	}
	for _, e := range ents {
		p := s.path("tmp", e.Name())
		if strings.HasPrefix(e.Name(), newPrefix) {
			// Not yet locked by its creator, or left by a crash right then.
			if fi, err := e.Info(); err == nil && time.Since(fi.ModTime()) > time.Hour {
				os.Remove(p)
			}
			continue
		}
		f, err := os.Open(p)
		if err != nil {
			continue
		}
		if flock(f, syscall.LOCK_EX|syscall.LOCK_NB) == nil {
			os.Remove(p)
			s.opts.Log.Debugf("removed dead temporary file %s", p)
		}
		f.Close()
	}
	// atomicfile temps of signatures that a crash left behind.
	matches, _ := filepath.Glob(s.path("blobs", "sha512", "*", ".*.tmp-*"))
	for _, m := range matches {
		if fi, err := os.Stat(m); err == nil && time.Since(fi.ModTime()) > time.Hour {
			os.Remove(m)
		}
	}
}

// Problem is one defect found by Verify.
type Problem struct {
	ID  string `json:"id"`
	Err string `json:"error"`
	// Orphan marks a blob no index entry names: what a fetch killed between
	// putting the blob in place and indexing it leaves. Nothing reads it,
	// GC removes it and a new fetch of the image adopts it, so it is not
	// damage.
	Orphan bool `json:"orphan,omitempty"`
}

// IDFunc computes the image ID of an image's bytes as stored (decompressing
// them as needed); internal/aci.ImageID fits.
type IDFunc func(ctx context.Context, r io.Reader) (string, error)

// Verify recomputes the ID of every blob with idOf and reports index entries
// whose blob is missing or damaged and blobs that no entry names. It takes
// the shared lock, so fetches wait but readers do not.
func (s *Store) Verify(ctx context.Context, idOf IDFunc) ([]Problem, error) {
	unlock, err := s.lock(false)
	if err != nil {
		return nil, err
	}
	defer unlock()
	db, err := s.openDB(true)
	if err != nil {
		return nil, err
	}
	indexed := map[string]bool{}
	err = db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketImages).ForEach(func(k, _ []byte) error {
			indexed[string(k)] = true
			return nil
		})
	})
	db.Close()
	if err != nil {
		return nil, fmt.Errorf("verify: read index: %w", err)
	}
	var probs []Problem
	blobs, err := s.blobIDs(false)
	if err != nil {
		return nil, err
	}
	onDisk := map[string]bool{}
	for _, id := range blobs {
		onDisk[id] = true
		if !indexed[id] {
			probs = append(probs, Problem{ID: id, Err: "blob not in the index (acfetch gc removes it)", Orphan: true})
		}
	}
	for id := range indexed {
		if err := ctx.Err(); err != nil {
			return probs, err
		}
		if !onDisk[id] {
			probs = append(probs, Problem{ID: id, Err: "blob missing"})
			continue
		}
		got, err := s.hashBlob(ctx, id, idOf)
		switch {
		case errors.Is(err, context.Canceled):
			return probs, err
		case err != nil:
			probs = append(probs, Problem{ID: id, Err: err.Error()})
		case got != id:
			probs = append(probs, Problem{ID: id, Err: "damaged: content has ID " + got})
		}
	}
	sortProblems(probs)
	return probs, nil
}

func (s *Store) hashBlob(ctx context.Context, id string, idOf IDFunc) (string, error) {
	f, err := os.Open(s.BlobPath(id))
	if err != nil {
		return "", err
	}
	defer f.Close()
	return idOf(ctx, f)
}

func sortProblems(p []Problem) {
	sort.Slice(p, func(i, j int) bool { return p[i].ID < p[j].ID })
}
