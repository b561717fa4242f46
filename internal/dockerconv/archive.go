package dockerconv

import (
	"archive/tar"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"

	"github.com/acikit/acikit/internal/errkind"
)

// archiveEntry is one member of an image archive: where its data sits in the
// file, so layers can be read with a SectionReader instead of rescanning.
type archiveEntry struct {
	name string
	typ  byte
	link string
	off  int64
	size int64
}

// archiveIndex maps member names (cleaned) of a seekable tar archive to
// their position. Building it reads only the headers: tar.Reader skips data
// with Seek on an *os.File.
type archiveIndex struct {
	file    string
	r       io.ReaderAt
	entries map[string]*archiveEntry
}

// indexArchive indexes f; name is how messages call the archive (the
// user's argument, not the name of a spool file).
func indexArchive(f *os.File, name string) (*archiveIndex, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	idx := &archiveIndex{file: name, r: f, entries: map[string]*archiveEntry{}}
	tr := tar.NewReader(f)
	for n := 0; ; n++ {
		hdr, err := tr.Next()
		if err == io.EOF {
			if n == 0 {
				return nil, errkind.Invalidf("%s: empty archive", name)
			}
			break
		}
		if err != nil {
			if n == 0 {
				// Not even one header: some other kind of file.
				return nil, errkind.Invalidf("%s: not a tar archive", name)
			}
			if errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, errkind.Invalidf("%s: archive truncated", name)
			}
			return nil, errkind.Invalidf("%s: not a tar archive: %w", name, err)
		}
		off, err := f.Seek(0, io.SeekCurrent)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if off+hdr.Size > st.Size() {
			return nil, errkind.Invalidf("%s: archive truncated in %q", name, hdr.Name)
		}
		name := path.Clean("/" + hdr.Name)[1:]
		idx.entries[name] = &archiveEntry{name: name, typ: hdr.Typeflag, link: hdr.Linkname, off: off, size: hdr.Size}
	}
	return idx, nil
}

func (a *archiveIndex) has(name string) bool {
	_, err := a.lookup(name)
	return err == nil
}

// lookup finds a member, following symlinks (relative to the member's
// directory) and hard links (relative to the archive root), as skopeo,
// buildah and Docker 25+ store layer.tar files.
func (a *archiveIndex) lookup(name string) (*archiveEntry, error) {
	want := path.Clean("/" + name)[1:]
	for hops := 0; hops < 16; hops++ {
		e, ok := a.entries[want]
		if !ok {
			return nil, errkind.NotFoundf("%s: no %q in archive", a.file, name)
		}
		switch e.typ {
		case tar.TypeSymlink:
			if path.IsAbs(e.link) {
				want = path.Clean(e.link)[1:]
			} else {
				want = path.Clean("/" + path.Join(path.Dir(e.name), e.link))[1:]
			}
		case tar.TypeLink:
			want = path.Clean("/" + e.link)[1:]
		case tar.TypeReg, tar.TypeRegA:
			return e, nil
		default:
			return nil, errkind.Invalidf("%s: %q in archive is not a file", a.file, name)
		}
	}
	return nil, errkind.Invalidf("%s: %q in archive: too many links", a.file, name)
}

func (a *archiveIndex) open(name string) (io.ReadCloser, int64, error) {
	e, err := a.lookup(name)
	if err != nil {
		return nil, 0, err
	}
	return io.NopCloser(io.NewSectionReader(a.r, e.off, e.size)), e.size, nil
}

func (a *archiveIndex) readJSON(name string, v any) error {
	rc, size, err := a.open(name)
	if err != nil {
		return err
	}
	defer rc.Close()
	if size > maxConfigSize {
		return errkind.Invalidf("%s: %q: larger than %d bytes", a.file, name, maxConfigSize)
	}
	b, err := io.ReadAll(rc)
	if err != nil {
		return fmt.Errorf("%s: read %q: %w", a.file, name, err)
	}
	if v, ok := v.(*[]byte); ok {
		*v = b
		return nil
	}
	if err := json.Unmarshal(b, v); err != nil {
		return errkind.Invalidf("%s: %q: %w", a.file, name, err)
	}
	return nil
}
