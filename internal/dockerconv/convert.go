package dockerconv

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/acikit/acikit/internal/errkind"
	"github.com/acikit/acikit/internal/schema"
	"github.com/acikit/acikit/internal/schema/types"
)

// Result describes one written ACI.
type Result struct {
	ID       string // "sha512-..." of the uncompressed tar
	Manifest *schema.ImageManifest
}

// Convert reads src and writes one squashed ACI to w. It is the entry point
// acfetch uses for docker:// images.
func Convert(ctx context.Context, src Source, w io.Writer, opts Options) (*Result, error) {
	im, err := Open(ctx, src, opts)
	if err != nil {
		return nil, err
	}
	defer im.Close()
	return im.WriteSquashed(ctx, w)
}

func (im *Image) now() time.Time {
	if im.opts.Now != nil {
		return im.opts.Now()
	}
	return time.Unix(0, 0).UTC()
}

// devLinks are added when the image lacks them, as the reference does, so
// programs that open /dev/stdout work whatever the executor mounts.
var devLinks = []struct{ name, target string }{
	{"dev/stdin", "/proc/self/fd/0"},
	{"dev/stdout", "/proc/self/fd/1"},
	{"dev/stderr", "/proc/self/fd/2"},
	{"dev/fd", "/proc/self/fd"},
}

// addDev writes /dev and its links where exists says they are missing.
func addDev(out *aciOut, exists func(string) (bool, bool), added func(string)) error {
	ok, dir := exists("dev")
	if ok && !dir {
		return nil // /dev is something else in this image: leave it be
	}
	if !ok {
		if err := out.dir("rootfs/dev"); err != nil {
			return err
		}
		added("dev")
	}
	for _, l := range devLinks {
		if ok, _ := exists(l.name); ok {
			continue
		}
		if err := out.symlink("rootfs/"+l.name, l.target); err != nil {
			return err
		}
		added(l.name)
	}
	return nil
}

// WriteSquashed writes the union of all layers as one ACI.
func (im *Image) WriteSquashed(ctx context.Context, w io.Writer) (*Result, error) {
	lg := im.opts.logger()
	m, err := im.manifest(lg)
	if err != nil {
		return nil, err
	}
	out, err := newACIOut(w, im.opts.Compression, im.now())
	if err != nil {
		return nil, err
	}
	defer out.abort()
	if err := out.dir("rootfs"); err != nil {
		return nil, err
	}
	sq := newSquasher(out)
	for i := len(im.layers) - 1; i >= 0; i-- {
		l := im.layers[i]
		lg.Debugf("squashing layer %d/%d %s", len(im.layers)-i, len(im.layers), l.id)
		if err := sq.addLayer(ctx, layerSource{id: l.id, open: func(ctx context.Context) (io.ReadCloser, error) {
			return l.open(ctx, im.progress)
		}}); err != nil {
			return nil, err
		}
	}
	if err := addDev(out, sq.exists, func(string) {}); err != nil {
		return nil, err
	}
	id, err := out.finish(m)
	if err != nil {
		return nil, err
	}
	return &Result{ID: id, Manifest: m}, nil
}

// layerHex is the hex part of a layer ID, for per-layer names.
func layerHex(id string) string {
	if _, h, ok := strings.Cut(id, ":"); ok {
		return h
	}
	return id
}

// WriteLayers writes one ACI per layer (--nosquash), base layer first.
// create is called with n, the layer's position counted from the top
// (0 = top, as the reference numbers its files), and returns where that ACI
// goes. Each ACI depends on the one below by name, labels and image ID; each
// carries the pathWhitelist of the union up to it (the spec's way to express
// deletions), so rendering the top ACI gives the squashed tree.
func (im *Image) WriteLayers(ctx context.Context, create func(n int) (io.Writer, error)) ([]Result, error) {
	lg := im.opts.logger()
	top, err := im.manifest(lg)
	if err != nil {
		return nil, err
	}
	osarch, _ := osArchLabels(im.cfg)
	union := map[string]bool{}
	var results []Result
	var prev *Result
	for i, l := range im.layers {
		n := len(im.layers) - 1 - i
		w, err := create(n)
		if err != nil {
			return nil, err
		}
		out, err := newACIOut(w, im.opts.Compression, im.now())
		if err != nil {
			return nil, err
		}
		defer out.abort()
		if err := out.dir("rootfs"); err != nil {
			return nil, err
		}
		sq := newSquasher(out)
		if err := sq.addLayer(ctx, layerSource{id: l.id, open: func(ctx context.Context) (io.ReadCloser, error) {
			return l.open(ctx, im.progress)
		}}); err != nil {
			return nil, err
		}
		// Deletions of this layer hit the union below it, then its own
		// entries join.
		for p, info := range sq.paths {
			if info.flags&(fDeleted|fOpaque) == 0 {
				continue
			}
			if info.flags&fDeleted != 0 {
				delete(union, p)
			}
			prefix := p + "/"
			for q := range union {
				if p == "" || strings.HasPrefix(q, prefix) {
					delete(union, q)
				}
			}
		}
		for p, info := range sq.paths {
			if info.flags&fEmitted != 0 {
				union[p] = info.flags&fDir != 0
			}
		}
		if n == 0 {
			exists := func(p string) (bool, bool) { d, ok := union[p]; return ok, d }
			if err := addDev(out, exists, func(p string) { union[p] = p == "dev" }); err != nil {
				return nil, err
			}
		}
		var m *schema.ImageManifest
		if n == 0 {
			m = top
		} else {
			m = schema.BlankImageManifest()
			nm, err := types.SanitizeACIdentifier(string(top.Name) + "-" + layerHex(l.id))
			if err != nil {
				return nil, errkind.Invalidf("layer name: %w", err)
			}
			m.Name = types.ACIdentifier(nm)
			m.Labels = append(types.Labels{}, osarch...)
		}
		if prev != nil {
			id, err := types.NewHash(prev.ID)
			if err != nil {
				return nil, fmt.Errorf("layer image id: %w", err)
			}
			m.Dependencies = types.Dependencies{{ImageName: prev.Manifest.Name, ImageID: id, Labels: append(types.Labels{}, osarch...)}}
		}
		m.PathWhitelist = make([]string, 0, len(union))
		for p := range union {
			m.PathWhitelist = append(m.PathWhitelist, "/"+p)
		}
		sort.Strings(m.PathWhitelist)
		id, err := out.finish(m)
		if err != nil {
			return nil, err
		}
		results = append(results, Result{ID: id, Manifest: m})
		prev = &results[len(results)-1]
	}
	return results, nil
}
