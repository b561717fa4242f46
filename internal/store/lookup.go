package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strings"

	"github.com/acikit/acikit/internal/errkind"
	"go.etcd.io/bbolt"
)

// Get returns the entry for the full image ID id.
func (s *Store) Get(id string) (*Image, error) {
	var im *Image
	err := s.view(func(tx *bbolt.Tx) error {
		var err error
		im, err = getImage(tx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	if im == nil {
		return nil, notFound(fmt.Sprintf("image %s", id))
	}
	return im, nil
}

// ResolveID returns the one image whose ID starts with prefix ("sha512-" and
// at least two hex digits); two or more matches are ErrAmbiguous.
func (s *Store) ResolveID(prefix string) (*Image, error) {
	if !strings.HasPrefix(prefix, "sha512-") || len(prefix) < 9 || len(prefix) > 135 {
		return nil, errkind.Usagef("image ID %q: want sha512- and at least 2 hex digits", prefix)
	}
	var found []*Image
	err := s.view(func(tx *bbolt.Tx) error {
		c := tx.Bucket(bucketImages).Cursor()
		for k, _ := c.Seek([]byte(prefix)); k != nil && strings.HasPrefix(string(k), prefix); k, _ = c.Next() {
			im, err := getImage(tx, string(k))
			if err != nil {
				return err
			}
			found = append(found, im)
		}
		return nil
	})
	switch {
	case err != nil:
		return nil, err
	case len(found) == 0:
		return nil, notFound(fmt.Sprintf("image %s", prefix))
	case len(found) > 1:
		return nil, errkind.Mark(fmt.Errorf("%w %s: %d images match", ErrAmbiguous, prefix, len(found)), errkind.Usage)
	}
	return found[0], nil
}

// Resolve finds an image by name as rkt does: the name must be equal and the
// image must carry every given label with the same value. Without a "version"
// label an image marked latest wins; otherwise (and among several latest) the
// most recently imported one.
func (s *Store) Resolve(name string, labels map[string]string) (*Image, error) {
	all, err := s.List()
	if err != nil {
		return nil, err
	}
	var cands []*Image
	for _, im := range all {
		if im.Name == name && hasLabels(im, labels) {
			cands = append(cands, im)
		}
	}
	if len(cands) == 0 {
		return nil, notFound(fmt.Sprintf("image %s", describe(name, labels)))
	}
	_, wantVersion := labels["version"]
	sort.SliceStable(cands, func(i, j int) bool {
		a, b := cands[i], cands[j]
		if !wantVersion && a.Latest != b.Latest {
			return a.Latest
		}
		return a.ImportTime.After(b.ImportTime)
	})
	return cands[0], nil
}

func hasLabels(im *Image, want map[string]string) bool {
	for k, v := range want {
		if im.Labels[k] != v {
			return false
		}
	}
	return true
}

func describe(name string, labels map[string]string) string {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(name)
	for _, k := range keys {
		fmt.Fprintf(&b, ",%s=%s", k, labels[k])
	}
	return b.String()
}

// List returns every entry, oldest import first.
func (s *Store) List() ([]*Image, error) {
	var out []*Image
	err := s.view(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketImages).ForEach(func(k, _ []byte) error {
			im, err := getImage(tx, string(k))
			if err == nil {
				out = append(out, im)
			}
			return err
		})
	})
	sort.SliceStable(out, func(i, j int) bool { return out[i].ImportTime.Before(out[j].ImportTime) })
	return out, err
}

// Remote returns the cache entry for an image URL, or nil if there is none
// or the image it names is gone.
func (s *Store) Remote(url string) (*Remote, error) {
	var r *Remote
	err := s.view(func(tx *bbolt.Tx) error {
		v := tx.Bucket(bucketRemotes).Get([]byte(url))
		if v == nil {
			return nil
		}
		r = new(Remote)
		if err := json.Unmarshal(v, r); err != nil {
			return fmt.Errorf("read cache entry %s: %w", url, err)
		}
		if im, err := getImage(tx, r.ID); err != nil || im == nil {
			r = nil
			return err
		}
		return nil
	})
	return r, err
}

// UpdateRemote records a revalidation (a 304, or a fresh max-age) of the
// cache entry for r.URL.
func (s *Store) UpdateRemote(r *Remote) error {
	return s.update(func(tx *bbolt.Tx) error {
		return putJSON(tx.Bucket(bucketRemotes), r.URL, r)
	})
}

// Touch sets the last-use time of id to now (acrun calls it on run; fetch on
// a cache hit), which keeps the image from gc.
func (s *Store) Touch(id string) error {
	return s.update(func(tx *bbolt.Tx) error {
		im, err := getImage(tx, id)
		if err != nil {
			return err
		}
		if im == nil {
			return notFound(fmt.Sprintf("image %s", id))
		}
		im.LastUsed = s.opts.Now().UTC()
		return putJSON(tx.Bucket(bucketImages), id, im)
	})
}

// OpenBlob opens the stored image bytes (as fetched; may be compressed).
// The open file stays readable even if the image is removed meanwhile.
func (s *Store) OpenBlob(id string) (*os.File, error) {
	if !ValidID(id) {
		return nil, errkind.Usagef("open blob: malformed image ID %q", id)
	}
	unlock, err := s.lock(false)
	if err != nil {
		return nil, err
	}
	defer unlock()
	f, err := os.Open(s.BlobPath(id))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, notFound(fmt.Sprintf("blob of image %s", id))
	}
	return f, err
}

// Signature opens the detached signature stored with id; the error wraps
// ErrNotFound if the image was stored without one.
func (s *Store) Signature(id string) (*os.File, error) {
	if !ValidID(id) {
		return nil, errkind.Usagef("open signature: malformed image ID %q", id)
	}
	f, err := os.Open(s.BlobPath(id) + ".asc")
	if errors.Is(err, fs.ErrNotExist) {
		return nil, notFound(fmt.Sprintf("signature of image %s", id))
	}
	return f, err
}
