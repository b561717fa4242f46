package dockerconv

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"time"

	"github.com/acikit/acikit/internal/aci"
	"github.com/acikit/acikit/internal/compress"
	"github.com/acikit/acikit/internal/errkind"
	"github.com/acikit/acikit/internal/schema"
)

// aciOut writes one ACI through aci.Writer (which applies the archive rules
// and computes the image ID while compressing): the rootfs entries as they
// come, the manifest last.
type aciOut struct {
	w    *aci.Writer
	now  time.Time
	done bool
}

// abort stops the writer's goroutines after a failure; no-op after finish.
func (o *aciOut) abort() {
	if !o.done {
		o.w.Abort()
	}
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
	aw, err := aci.NewWriter(w, aci.WriterOptions{Compression: kind})
	if err != nil {
		return nil, err
	}
	return &aciOut{w: aw, now: now}, nil
}

func (o *aciOut) WriteEntry(hdr *tar.Header, r io.Reader) error {
	return o.w.AddFile(hdr, r)
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
	b, err := m.MarshalJSON()
	if err != nil {
		return "", fmt.Errorf("generated manifest: %w", err)
	}
	hdr := &tar.Header{Name: "manifest", Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(b)), ModTime: o.now, Uname: "root", Gname: "root"}
	if err := o.w.AddFile(hdr, bytes.NewReader(b)); err != nil {
		return "", err
	}
	o.done = true
	if err := o.w.Close(); err != nil {
		return "", err
	}
	return o.w.ID(), nil
}
