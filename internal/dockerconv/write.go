package dockerconv

import (
	"archive/tar"
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/acikit/acikit/internal/compress"
	"github.com/acikit/acikit/internal/digest"
	"github.com/acikit/acikit/internal/errkind"
	"github.com/acikit/acikit/internal/schema"
)

// aciOut writes one ACI: the rootfs entries as they come, the manifest last,
// hashing the uncompressed tar for the image ID on the way.
type aciOut struct {
	buf  *bufio.Writer
	zw   io.WriteCloser
	hash *digest.Writer
	tw   *tar.Writer
	now  time.Time
}

func newACIOut(w io.Writer, compression string, now time.Time) (*aciOut, error) {
	kind := compress.Gzip
	switch compression {
	case "", "gzip":
	case "none":
		kind = compress.None
	default:
		return nil, errkind.Usagef("unknown compression method %q (want gzip or none)", compression)
	}
	buf := bufio.NewWriterSize(w, 1<<20)
	zw, err := compress.NewWriter(buf, kind, compress.WriterOptions{})
	if err != nil {
		return nil, err
	}
	h := digest.NewWriter(zw)
	o := &aciOut{buf: buf, zw: zw, hash: h, tw: tar.NewWriter(h), now: now}
	return o, nil
}

func (o *aciOut) WriteEntry(hdr *tar.Header, r io.Reader) error {
	if err := o.tw.WriteHeader(hdr); err != nil {
		return err
	}
	if hdr.Typeflag == tar.TypeReg && hdr.Size > 0 {
		n, err := io.CopyN(o.tw, r, hdr.Size)
		if err != nil {
			if err == io.EOF {
				return fmt.Errorf("short entry data (%d of %d bytes): %w", n, hdr.Size, io.ErrUnexpectedEOF)
			}
			return err
		}
	}
	return nil
}

// dir writes a directory entry owned by root.
func (o *aciOut) dir(name string) error {
	return o.WriteEntry(&tar.Header{Name: name, Typeflag: tar.TypeDir, Mode: 0o755, ModTime: o.now, Uname: "root", Gname: "root"}, nil)
}

func (o *aciOut) symlink(name, target string) error {
	return o.WriteEntry(&tar.Header{Name: name, Typeflag: tar.TypeSymlink, Linkname: target, Mode: 0o777, ModTime: o.now, Uname: "root", Gname: "root"}, nil)
}

// finish validates and writes the manifest, closes the streams and returns
// the image ID.
func (o *aciOut) finish(m *schema.ImageManifest) (string, error) {
	if err := m.AssertValid(); err != nil {
		return "", fmt.Errorf("generated manifest: %w", err)
	}
	b, err := json.Marshal(m)
	if err != nil {
		return "", fmt.Errorf("generated manifest: %w", err)
	}
	hdr := &tar.Header{Name: "manifest", Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(b)), ModTime: o.now, Uname: "root", Gname: "root"}
	if err := o.tw.WriteHeader(hdr); err != nil {
		return "", err
	}
	if _, err := o.tw.Write(b); err != nil {
		return "", err
	}
	if err := o.tw.Close(); err != nil {
		return "", err
	}
	if err := o.zw.Close(); err != nil {
		return "", err
	}
	if err := o.buf.Flush(); err != nil {
		return "", err
	}
	return o.hash.ID(), nil
}
