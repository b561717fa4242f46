package aci

import (
	"archive/tar"
	"bufio"
	"errors"
	"fmt"
	"io"
	"sync/atomic"

	"github.com/acikit/acikit/internal/compress"
	"github.com/acikit/acikit/internal/digest"
)

// WriterOptions tune Writer.
type WriterOptions struct {
	// Compression is compress.Gzip (the zero value is taken as Gzip),
	// compress.None, or the zstd extension.
	Compression compress.Kind
	// Compress tunes the compressor (level, goroutines).
	Compress compress.WriterOptions
}

// Writer writes an image entry by entry, refusing entries that break the
// archive rules, and computes the image ID from the tar stream while it is
// compressed (in parallel goroutines). The caller writes the manifest entry
// like any other; Close fails unless both manifest and rootfs were written.
type Writer struct {
	out    *gate
	zw     io.WriteCloser
	bw     *bufio.Writer
	hs     *digest.Hasher
	tw     *tar.Writer
	chk    checker
	id     string
	err    error
	closed bool
	buf    []byte
}

// writeBuffer batches the tar writer's small writes (512-byte headers).
const writeBuffer = 256 << 10

// NewWriter starts an image written to w. Close does not close w.
func NewWriter(w io.Writer, opts WriterOptions) (*Writer, error) {
	kind := opts.Compression
	if kind == compress.Unknown {
		kind = compress.Gzip
	}
	out := &gate{w: w}
	zw, err := compress.NewWriter(out, kind, opts.Compress)
	if err != nil {
		return nil, err
	}
	aw := &Writer{out: out, zw: zw, hs: digest.NewHasher()}
	aw.bw = bufio.NewWriterSize(io.MultiWriter(aw.hs, zw), writeBuffer)
	aw.tw = tar.NewWriter(aw.bw)
	return aw, nil
}

// AddFile writes hdr and, for regular files, hdr.Size bytes from r.
func (w *Writer) AddFile(hdr *tar.Header, r io.Reader) error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return errors.New("aci writer is closed")
	}
	if _, err := w.chk.check(hdr); err != nil {
		return err // the image so far is still fine
	}
	if err := w.tw.WriteHeader(hdr); err != nil {
		return w.fail(fmt.Errorf("write %s: %w", qname(hdr.Name), err))
	}
	if hdr.Typeflag == tar.TypeReg || hdr.Typeflag == tar.TypeRegA {
		if hdr.Size > 0 && r == nil {
			return w.fail(fmt.Errorf("write %s: no content reader", qname(hdr.Name)))
		}
		if hdr.Size > 0 {
			if w.buf == nil {
				w.buf = make([]byte, writeBuffer)
			}
			n, err := io.CopyBuffer(struct{ io.Writer }{w.tw}, struct{ io.Reader }{io.LimitReader(r, hdr.Size)}, w.buf)
			if err == nil && n != hdr.Size {
				err = fmt.Errorf("short content: %d of %d bytes (file changed while reading?)", n, hdr.Size)
			}
			if err != nil {
				return w.fail(fmt.Errorf("write %s: %w", qname(hdr.Name), err))
			}
		}
	}
	return nil
}

// The struct wrappers above hide tar.Writer.ReadFrom and the source's
// WriteTo, so the copy uses the big buffer instead of 32 KiB chunks.

func (w *Writer) fail(err error) error {
	w.err = err
	w.abort()
	return err
}

func (w *Writer) abort() {
	if !w.closed {
		w.closed = true
		w.out.shut.Store(true) // stop the compressor's goroutines, writing nothing more
		w.zw.Close()
		w.hs.Close()
	}
}

// Close ends the tar stream and the compressed stream and computes the ID.
func (w *Writer) Close() error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return nil
	}
	if err := w.chk.finish(); err != nil {
		return w.fail(err)
	}
	if err := w.tw.Close(); err != nil {
		return w.fail(fmt.Errorf("finish tar: %w", err))
	}
	if err := w.bw.Flush(); err != nil {
		return w.fail(fmt.Errorf("write image: %w", err))
	}
	w.closed = true
	if err := w.zw.Close(); err != nil {
		w.hs.Close()
		w.err = fmt.Errorf("write image: %w", err)
		return w.err
	}
	w.id = w.hs.ID()
	return nil
}

// gate passes writes to the destination until shut. Aborting shuts it
// before closing the compressor, which would otherwise write out what it
// holds, and end its stream: a build refused at its first entries wrote a
// valid, empty gzip stream to stdout.
type gate struct {
	w    io.Writer
	shut atomic.Bool
}

func (g *gate) Write(p []byte) (int, error) {
	if g.shut.Load() {
		return len(p), nil
	}
	return g.w.Write(p)
}

// Abort stops the goroutines after a failure elsewhere; what was written
// so far stays, incomplete, and nothing more is. Safe after Close.
func (w *Writer) Abort() { w.abort() }

// ID is the image ID, valid after a successful Close.
func (w *Writer) ID() string { return w.id }

// Size is the number of uncompressed tar bytes written so far.
func (w *Writer) Size() int64 { return w.hs.Size() + int64(w.bw.Buffered()) }
