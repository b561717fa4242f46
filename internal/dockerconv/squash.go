package dockerconv

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/acikit/acikit/internal/errkind"
)

// entrySink receives the entries of the output rootfs; names are already
// prefixed with "rootfs/". aci.Writer satisfies it through a small adapter.
type entrySink interface {
	WriteEntry(hdr *tar.Header, r io.Reader) error
}

// layerSource is one layer as the squasher sees it.
type layerSource struct {
	id   string // for messages and per-layer names
	open func(ctx context.Context) (io.ReadCloser, error)
}

// Bits of pathInfo.flags.
const (
	fEmitted = 1 << iota // written to the output by this or a higher layer
	fDir                 // the emitted entry is a directory
	fDeleted             // a whiteout in a higher layer deleted this path and all below it
	fOpaque              // a higher layer made this directory opaque
)

type pathInfo struct {
	layer int32 // layer that emitted the path (0 = top)
	flags uint8
}

// squasher writes the union of layers, top layer first, so that each path is
// written once, by the highest layer that has it. It keeps one small record
// per path (never file data), so memory grows with the number of paths only.
//
// Whiteouts found in a layer apply to the layers below it only, so they are
// collected while the layer is read and merged when it ends.
//
// Hard links: a link entry names a file earlier in the same layer. When that
// file was shadowed (by a higher layer or a whiteout) but the link itself
// survives, the link cannot point at it. Such links are parked; after the
// layer is read, it is opened once more, and the first parked link is written
// as a regular file holding the target's data, the others as links to it.
// This second read happens only for layers that need it.
type squasher struct {
	out   entrySink
	paths map[string]pathInfo
	layer int32
	// Opaque and deleted paths found in the current layer.
	pendingWhiteouts map[string]uint8
}

func newSquasher(out entrySink) *squasher {
	return &squasher{out: out, paths: make(map[string]pathInfo)}
}

// hidden reports whether a lower-layer entry at p is invisible in the union.
func (s *squasher) hidden(p string) bool {
	if p == "" {
		return true // the root is written by the caller
	}
	if info, ok := s.paths[p]; ok && info.flags&(fEmitted|fDeleted) != 0 {
		return true
	}
	for i := strings.IndexByte(p, '/'); i >= 0; {
		info, ok := s.paths[p[:i]]
		if ok && (info.flags&(fDeleted|fOpaque) != 0 || info.flags&fEmitted != 0 && info.flags&fDir == 0) {
			return true
		}
		j := strings.IndexByte(p[i+1:], '/')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	if info, ok := s.paths[""]; ok && info.flags&fOpaque != 0 {
		return true
	}
	return false
}

// exists reports whether p is in the union written so far, and if so whether
// it is a directory.
func (s *squasher) exists(p string) (ok, dir bool) {
	info, found := s.paths[p]
	if !found || info.flags&fEmitted == 0 {
		return false, false
	}
	return true, info.flags&fDir != 0
}

// fileObj is a regular file's data in the current layer, shared by the file
// and the hard links to it.
type fileObj struct {
	origin  string   // path of the regular file entry holding the data
	emitted string   // output path that holds the data, "" while none does
	parked  []string // surviving links waiting for the data (see squasher)
}

// addLayer streams one layer (layers must come top first).
func (s *squasher) addLayer(ctx context.Context, l layerSource) error {
	rc, err := l.open(ctx)
	if err != nil {
		return fmt.Errorf("open layer %s: %w", l.id, err)
	}
	files := map[string]*fileObj{}
	s.pendingWhiteouts = map[string]uint8{}
	err = s.readLayer(ctx, l, rc, files)
	if err != nil && ctx.Err() == nil && !errors.Is(err, ErrDigest) {
		// A corrupted download shows up as a tar or gzip error first;
		// read on so the digest check can name the real cause.
		if _, derr := io.Copy(io.Discard, rc); errors.Is(derr, ErrDigest) {
			err = fmt.Errorf("layer %s: %w", l.id, derr)
		}
	}
	if cerr := rc.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("layer %s: %w", l.id, cerr)
	}
	if err != nil {
		return err
	}
	if err := s.writeParked(ctx, l, files); err != nil {
		return err
	}
	for p, fl := range s.pendingWhiteouts {
		info := s.paths[p]
		info.flags |= fl
		s.paths[p] = info
	}
	s.pendingWhiteouts = nil
	s.layer++
	return nil
}

func (s *squasher) readLayer(ctx context.Context, l layerSource, rc io.Reader, files map[string]*fileObj) error {
	tr := tar.NewReader(rc)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return layerErr(l, "", err)
		}
		if err := s.entry(l, hdr, tr, files); err != nil {
			return err
		}
	}
	// Read to the end so the verifying reader below sees EOF and checks
	// the digest (tar stops at its end-of-archive marker).
	if _, err := io.Copy(io.Discard, rc); err != nil {
		return layerErr(l, "", err)
	}
	return nil
}

func layerErr(l layerSource, name string, err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		err = errkind.Mark(fmt.Errorf("truncated: %w", err), errkind.Invalid)
	} else if errors.Is(err, tar.ErrHeader) || errors.Is(err, tar.ErrFieldTooLong) {
		err = errkind.Mark(err, errkind.Invalid)
	}
	if name != "" {
		return fmt.Errorf("layer %s: entry %q: %w", l.id, name, err)
	}
	return fmt.Errorf("layer %s: %w", l.id, err)
}

func (s *squasher) entry(l layerSource, hdr *tar.Header, data io.Reader, files map[string]*fileObj) error {
	p, err := cleanName(hdr.Name)
	if err != nil {
		return fmt.Errorf("layer %s: %w", l.id, err)
	}
	if p == "" {
		return nil // "." entries: the caller writes rootfs itself
	}
	switch kind, target := parseWhiteout(p); kind {
	case whiteoutFile:
		s.pendingWhiteouts[target] |= fDeleted
		return nil
	case whiteoutOpaque:
		s.pendingWhiteouts[target] |= fOpaque
		return nil
	case whiteoutOther:
		return nil
	}
	isDir := hdr.Typeflag == tar.TypeDir
	if info, ok := s.paths[p]; ok && info.flags&fEmitted != 0 && info.layer == s.layer {
		if isDir && info.flags&fDir != 0 {
			return nil // a directory listed twice: keep the first
		}
		return errkind.Invalidf("layer %s: duplicate entry %q", l.id, p)
	}
	hide := s.hidden(p)
	out := *hdr
	out.Name = "rootfs/" + p
	out.PAXRecords = xattrRecords(hdr.PAXRecords)
	out.Xattrs = nil //nolint:staticcheck // cleared: PAXRecords carries them
	out.AccessTime, out.ChangeTime = timeZero, timeZero
	out.Format = tar.FormatUnknown

	switch hdr.Typeflag {
	case tar.TypeReg, tar.TypeRegA, tar.TypeGNUSparse:
		out.Typeflag = tar.TypeReg
		obj := &fileObj{origin: p}
		files[p] = obj
		if hide {
			return nil
		}
		obj.emitted = p
	case tar.TypeLink:
		t, err := cleanName(hdr.Linkname)
		if err != nil || t == "" {
			return errkind.Invalidf("layer %s: hard link %q to %q: target outside the layer", l.id, p, hdr.Linkname)
		}
		obj, ok := files[t]
		if !ok {
			return errkind.Invalidf("layer %s: hard link %q to %q: no such file earlier in the layer", l.id, p, hdr.Linkname)
		}
		files[p] = obj
		if hide {
			return nil
		}
		s.mark(p, false)
		if obj.emitted == "" {
			obj.parked = append(obj.parked, p)
			return nil
		}
		out.Linkname = "rootfs/" + obj.emitted
		out.Size = 0
		return s.write(l, &out, nil)
	case tar.TypeSymlink:
		if symlinkEscapes(p, hdr.Linkname) {
			return errkind.Invalidf("layer %s: symlink %q -> %q points outside the image root", l.id, p, hdr.Linkname)
		}
	case tar.TypeDir, tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
	default:
		return errkind.Invalidf("layer %s: entry %q: unsupported tar entry type %q", l.id, p, hdr.Typeflag)
	}
	if hide {
		return nil
	}
	s.mark(p, isDir)
	if out.Typeflag != tar.TypeReg {
		out.Size = 0
		data = nil
	}
	return s.write(l, &out, data)
}

func (s *squasher) mark(p string, dir bool) {
	fl := uint8(fEmitted)
	if dir {
		fl |= fDir
	}
	info := s.paths[p]
	info.flags |= fl
	info.layer = s.layer
	s.paths[p] = info
}

func (s *squasher) write(l layerSource, hdr *tar.Header, data io.Reader) error {
	if data == nil {
		data = strings.NewReader("")
	}
	if err := s.out.WriteEntry(hdr, data); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return layerErr(l, hdr.Name, err)
		}
		return fmt.Errorf("layer %s: write %q: %w", l.id, hdr.Name, err)
	}
	return nil
}

// writeParked writes links whose target was shadowed (see squasher).
func (s *squasher) writeParked(ctx context.Context, l layerSource, files map[string]*fileObj) error {
	parked := map[string]*fileObj{}
	for _, obj := range files {
		if len(obj.parked) > 0 {
			parked[obj.origin] = obj
		}
	}
	if len(parked) == 0 {
		return nil
	}
	rc, err := l.open(ctx)
	if err != nil {
		return fmt.Errorf("reopen layer %s: %w", l.id, err)
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	for len(parked) > 0 {
		hdr, err := tr.Next()
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return layerErr(l, "", fmt.Errorf("second read for hard links: %w", err))
		}
		p, _ := cleanName(hdr.Name)
		obj, ok := parked[p]
		if !ok || (hdr.Typeflag != tar.TypeReg && hdr.Typeflag != tar.TypeRegA && hdr.Typeflag != tar.TypeGNUSparse) {
			continue
		}
		delete(parked, p)
		first := *hdr
		first.Name = "rootfs/" + obj.parked[0]
		first.Typeflag = tar.TypeReg
		first.PAXRecords = xattrRecords(hdr.PAXRecords)
		first.Xattrs = nil //nolint:staticcheck
		first.AccessTime, first.ChangeTime = timeZero, timeZero
		first.Format = tar.FormatUnknown
		if err := s.write(l, &first, tr); err != nil {
			return err
		}
		for _, q := range obj.parked[1:] {
			link := first
			link.Name = "rootfs/" + q
			link.Typeflag = tar.TypeLink
			link.Linkname = first.Name
			link.Size = 0
			if err := s.write(l, &link, nil); err != nil {
				return err
			}
		}
	}
	return nil
}

// xattrRecords keeps only the extended attributes of a PAX header: the other
// records (path, linkpath, times, sizes) are already reflected in the header
// and would fight with the new name.
func xattrRecords(in map[string]string) map[string]string {
	var out map[string]string
	for k, v := range in {
		if strings.HasPrefix(k, "SCHILY.xattr.") {
			if out == nil {
				out = map[string]string{}
			}
			out[k] = v
		}
	}
	return out
}
