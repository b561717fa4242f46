package fetch

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/acikit/acikit/internal/atomicfile"
	"github.com/acikit/acikit/internal/errkind"
	"github.com/acikit/acikit/internal/pgp"
)

// SaveOptions say where Save writes an image.
type SaveOptions struct {
	// Path is the .aci file to write; its signature goes to Path + ".asc"
	// (pgp.SignatureName). Empty with Dir set: Dir and the
	// source's base name.
	Path string
	Dir  string
	// Overwrite allows replacing existing files.
	Overwrite bool
	// Writer, when set instead of Path and Dir, receives the image bytes
	// once every check passed (stdout); no signature is written then. The
	// bytes wait in a temporary file under TempDir meanwhile.
	Writer  io.Writer
	TempDir string
}

// Save fetches one image (no dependencies) and, only after every check,
// writes it and its signature as files (or to Writer). It returns the
// result and the path written ("" for Writer).
func (f *Fetcher) Save(ctx context.Context, image string, so SaveOptions) (*Result, string, error) {
	ref, err := ParseRef(image)
	if err != nil {
		return nil, "", err
	}
	if ref.Kind == KindDocker {
		return f.saveDocker(ctx, ref, so)
	}
	src, err := f.locate(ctx, ref)
	if err != nil {
		return nil, "", err
	}
	var target string
	switch {
	case so.Writer != nil:
	case so.Path != "":
		target = so.Path
	case so.Dir != "":
		target = filepath.Join(so.Dir, baseName(src))
	default:
		return nil, "", errkind.Usagef("save %s: no output path", image)
	}
	var out sink
	if target != "" {
		af, err := atomicfile.Create(target, 0o644, so.Overwrite)
		if err != nil {
			return nil, "", err
		}
		out = &fileSink{f: af, target: target, overwrite: so.Overwrite}
	} else {
		tf, err := os.CreateTemp(so.TempDir, "acfetch-*.aci")
		if err != nil {
			return nil, "", err
		}
		out = &writerSink{f: tf, w: so.Writer}
	}
	res, err := f.fetchSource(ctx, src, out)
	if err != nil {
		return nil, "", err
	}
	return res, target, nil
}

// baseName is the file name an image is saved under in a directory.
func baseName(src *source) string {
	var b string
	switch {
	case src.url != "":
		if u, err := url.Parse(src.url); err == nil {
			b = path.Base(u.Path)
		}
	case src.path != "":
		b = filepath.Base(src.path)
	}
	if b == "" || b == "/" || b == "." {
		b = "image"
	}
	if !strings.HasSuffix(b, ".aci") {
		b += ".aci"
	}
	return b
}

// fileSink writes target (and its .asc) atomically.
type fileSink struct {
	f         *atomicfile.File
	target    string
	overwrite bool
}

func (s *fileSink) Write(p []byte) (int, error) { return s.f.Write(p) }
func (s *fileSink) abort()                      { s.f.Abort() }
func (s *fileSink) reopen() (io.ReadCloser, error) {
	if err := s.f.Sync(); err != nil {
		return nil, err
	}
	return os.Open(s.f.Name())
}

func (s *fileSink) commit(_ *checked, sig []byte, _ *source, _ *response) error {
	if sig != nil {
		asc := pgp.SignatureName(s.target)
		if err := atomicfile.WriteFile(asc, bytes.NewReader(sig), 0o644, s.overwrite); err != nil {
			return fmt.Errorf("write signature: %w", err)
		}
	}
	return s.f.Commit()
}

// writerSink holds the bytes in a temporary file until the checks pass.
type writerSink struct {
	f *os.File
	w io.Writer
}

func (s *writerSink) Write(p []byte) (int, error) { return s.f.Write(p) }
func (s *writerSink) abort() {
	s.f.Close()
	os.Remove(s.f.Name())
}
func (s *writerSink) reopen() (io.ReadCloser, error) { return os.Open(s.f.Name()) }

func (s *writerSink) commit(*checked, []byte, *source, *response) error {
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	if _, err := io.Copy(s.w, s.f); err != nil {
		return fmt.Errorf("write image: %w", err)
	}
	return nil
}
