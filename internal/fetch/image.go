package fetch

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/acikit/acikit/internal/compress"
	"github.com/acikit/acikit/internal/digest"
	"github.com/acikit/acikit/internal/errkind"
	"github.com/acikit/acikit/internal/schema"
)

// maxManifestSize caps the manifest read from an archive.
const maxManifestSize = 1 << 20

// checked is what one pass over an archive established.
type checked struct {
	ID          string
	Manifest    *schema.ImageManifest
	RawManifest []byte
}

// checkArchive decompresses r, hashes the tar (the image ID) and reads the
// manifest, in one pass to the end of r.
func checkArchive(ctx context.Context, r io.Reader) (*checked, error) {
	dr, _, err := compress.NewReader(r)
	if err != nil {
		return nil, err
	}
	defer dr.Close()
	hs := digest.NewHasher()
	defer hs.Close()
	tee := io.TeeReader(dr, hs)
	tr := tar.NewReader(tee)
	out := &checked{}
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, errkind.Mark(fmt.Errorf("read image tar: %w", err), errkind.Invalid)
		}
		if hdr.Name != "manifest" && hdr.Name != "./manifest" {
			continue
		}
		if out.RawManifest != nil {
			return nil, errkind.Invalidf("image holds two manifests")
		}
		raw, err := io.ReadAll(io.LimitReader(tr, maxManifestSize+1))
		if err != nil {
			return nil, errkind.Mark(fmt.Errorf("read manifest: %w", err), errkind.Invalid)
		}
		if len(raw) > maxManifestSize {
			return nil, errkind.Invalidf("manifest larger than %d bytes", maxManifestSize)
		}
		m, err := schema.ParseImageManifest(raw)
		if err != nil {
			return nil, errkind.Mark(fmt.Errorf("image manifest: %w", err), errkind.Invalid)
		}
		out.Manifest, out.RawManifest = m, raw
	}
	// The ID covers the whole decompressed stream, padding included.
	if _, err := io.Copy(io.Discard, tee); err != nil {
		return nil, errkind.Mark(fmt.Errorf("read image: %w", err), errkind.Invalid)
	}
	if out.Manifest == nil {
		return nil, errkind.Mark(errors.New("image has no manifest"), errkind.Invalid)
	}
	out.ID = hs.ID()
	return out, nil
}

// ImageID computes the ID of an image as stored (compressed or not); it fits
// store.IDFunc.
func ImageID(ctx context.Context, r io.Reader) (string, error) {
	dr, _, err := compress.NewReader(r)
	if err != nil {
		return "", err
	}
	defer dr.Close()
	id, _, err := digest.ReaderID(readerCtx{ctx, dr})
	return id, err
}

type readerCtx struct {
	ctx context.Context
	r   io.Reader
}

func (r readerCtx) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	return r.r.Read(p)
}
