package aci

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/acikit/acikit/internal/schema"
)

// PatchOptions tune Patch.
type PatchOptions struct {
	// Read tunes reading the input (size caps).
	Read Options
	// Write picks the output compression (gzip by default).
	Write WriterOptions
}

// PatchFunc returns the new manifest bytes given the old ones, parsed and
// raw. Patch writes what it returns without validating it (the reference's
// patch-manifest --manifest does the same); the function decides.
type PatchFunc func(m *schema.ImageManifest, raw []byte) ([]byte, error)

// Patch copies the image from r to w, replacing the manifest entry's content
// with what edit returns; the manifest keeps its header (size updated) and
// place, and every other entry is copied with its header and content. The
// input is validated while it is copied. It returns the new image ID.
func Patch(ctx context.Context, r io.Reader, w io.Writer, edit PatchFunc, opts PatchOptions) (string, error) {
	opts.Read.SkipID = true
	ar, err := NewReader(ctx, r, opts.Read)
	if err != nil {
		return "", err
	}
	defer ar.Close()
	aw, err := NewWriter(w, opts.Write)
	if err != nil {
		return "", err
	}
	defer aw.Abort()
	for {
		hdr, err := ar.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", err
		}
		var body io.Reader = ar
		if isManifestEntry(hdr) {
			m, raw := ar.Manifest()
			nb, err := edit(m, raw)
			if err != nil {
				return "", fmt.Errorf("patch manifest: %w", err)
			}
			h := *hdr
			h.Size = int64(len(nb))
			hdr, body = &h, bytes.NewReader(nb)
		}
		if err := aw.AddFile(hdr, body); err != nil {
			return "", err
		}
	}
	if err := aw.Close(); err != nil {
		return "", err
	}
	return aw.ID(), nil
}

func isManifestEntry(hdr *tar.Header) bool {
	n, err := cleanName(hdr.Name)
	return err == nil && n == ManifestName
}
