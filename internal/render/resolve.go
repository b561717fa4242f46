package render

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/acikit/acikit/internal/errkind"
	"github.com/acikit/acikit/internal/log"
	"github.com/acikit/acikit/internal/schema"
	"github.com/acikit/acikit/internal/store"
)

// maxDepth bounds dependency nesting (and so catches cycles).
const maxDepth = 32

// Image is one image of a rendering list.
type Image struct {
	ID       string
	Manifest *schema.ImageManifest
}

// MissingDependencyError says a dependency is not in the store. The caller
// may fetch it (Name with Labels, or ID) and resolve again.
type MissingDependencyError struct {
	Of     string            // the name of the image that depends on it
	Name   string            // the dependency's image name
	Labels map[string]string // its labels (may be empty)
	ID     string            // its pinned image ID, if any
}

func (e *MissingDependencyError) Error() string {
	s := "dependency " + e.Name
	keys := make([]string, 0, len(e.Labels))
	for k := range e.Labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		s += "," + k + "=" + e.Labels[k]
	}
	if e.ID != "" {
		s += " (" + e.ID + ")"
	}
	return s + " of " + e.Of + " is not in the store"
}

// Is makes errors.Is(err, errkind.NotFound) hold.
func (e *MissingDependencyError) Is(target error) bool { return target == errkind.NotFound }

// Resolve returns id's image and its dependency closure in override order:
// depth first, dependencies in listed order, each parent after its
// dependencies (A->[B,C], C->[D] gives B, D, C, A). A dependency shared by
// two paths appears once per path. The last element is id's image.
func Resolve(ctx context.Context, st *store.Store, id string) ([]Image, error) {
	top, err := st.Get(id)
	if err != nil {
		return nil, err
	}
	m, err := schema.ParseImageManifest(top.Manifest)
	if err != nil {
		return nil, errkind.Mark(fmt.Errorf("stored manifest of %s: %w", id, err), errkind.Invalid)
	}
	var out []Image
	if err := resolve(ctx, st, Image{ID: top.ID, Manifest: m}, &out, nil); err != nil {
		return nil, err
	}
	return out, nil
}

func resolve(ctx context.Context, st *store.Store, im Image, out *[]Image, path []string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, p := range path {
		if p == im.ID {
			return errkind.Invalidf("dependency cycle: %s depends on itself through %s", im.Manifest.Name, strings.Join(path, " -> "))
		}
	}
	if len(path) > maxDepth {
		return errkind.Invalidf("dependencies of %s nest deeper than %d", im.Manifest.Name, maxDepth)
	}
	path = append(path, im.ID)
	for _, d := range im.Manifest.Dependencies {
		labels := map[string]string{}
		for _, l := range d.Labels {
			labels[string(l.Name)] = l.Value
		}
		miss := &MissingDependencyError{Of: string(im.Manifest.Name), Name: string(d.ImageName), Labels: labels}
		var found *store.Image
		var err error
		if d.ImageID != nil {
			miss.ID = d.ImageID.String()
			found, err = st.Get(miss.ID)
			if err == nil && found.Name != string(d.ImageName) {
				return errkind.Invalidf("dependency %s of %s: image %s is named %s", d.ImageName, im.Manifest.Name, miss.ID, found.Name)
			}
		} else {
			found, err = st.Resolve(string(d.ImageName), labels)
		}
		if errors.Is(err, store.ErrNotFound) {
			return miss
		}
		if err != nil {
			return fmt.Errorf("dependency %s of %s: %w", d.ImageName, im.Manifest.Name, err)
		}
		dm, err := schema.ParseImageManifest(found.Manifest)
		if err != nil {
			return errkind.Mark(fmt.Errorf("stored manifest of %s: %w", found.ID, err), errkind.Invalid)
		}
		if err := resolve(ctx, st, Image{ID: found.ID, Manifest: dm}, out, path); err != nil {
			return err
		}
	}
	*out = append(*out, im)
	return nil
}

// Options configure Render.
type Options struct {
	Store *store.Store
	// CacheDir holds the rendered trees, one directory per key.
	CacheDir string
	Log      *log.Logger
}
