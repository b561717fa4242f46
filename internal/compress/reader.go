package compress

import (
	"bufio"
	"compress/bzip2"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"

	"github.com/acikit/acikit/internal/errkind"
	"github.com/klauspost/compress/zstd"
	"github.com/klauspost/pgzip"
	"github.com/ulikunitz/xz"
)

// ErrUnknownFormat is returned (marked errkind.Invalid) for a stream that is
// none of the supported kinds.
var ErrUnknownFormat = errors.New("unknown image filetype: not a tar, gzip, bzip2, xz or zstd stream")

// Defaults for ReaderOptions.
const (
	// DefaultBufferSize is the read buffer on the compressed side: large reads
	// keep syscalls and pipe wake-ups rare.
	DefaultBufferSize = 1 << 20
	// DefaultMaxZstdWindow caps the zstd window. Every standard zstd level,
	// including 19, uses at most 8 MiB; only --long/--ultra frames ask for
	// more, and a hostile header could ask for gigabytes.
	DefaultMaxZstdWindow = 32 << 20
	// DefaultMaxXzDict caps the LZMA2 dictionary of every xz block (xz -9
	// uses 64 MiB).
	DefaultMaxXzDict = 64 << 20
	// gzip read-ahead: blocks of this size decoded in a goroutine of their
	// own so inflating overlaps with whatever consumes the data.
	gzipReadAheadBlock  = 1 << 20
	gzipReadAheadBlocks = 4
)

// ReaderOptions tunes NewReaderOptions. The zero value gives the defaults.
type ReaderOptions struct {
	BufferSize    int    // read buffer on the compressed side
	MaxZstdWindow uint64 // largest zstd window accepted
	MaxXzDict     int64  // largest xz dictionary accepted (any block)
	// NoReadAhead decodes gzip in the caller's goroutine (klauspost/gzip)
	// instead of in other goroutines (parallel members for the indexed
	// gzip we write, pgzip read-ahead for any other).
	NoReadAhead bool
}

// NewReader sniffs r and returns a reader of the decompressed bytes, and the
// kind found. A plain tar is passed through (kind None). An unrecognised
// stream gives ErrUnknownFormat. Errors from the returned reader that come
// from a corrupt or truncated stream are marked errkind.Invalid and name the
// format; errors of r itself are passed through wrapped.
func NewReader(r io.Reader) (io.ReadCloser, Kind, error) {
	return NewReaderOptions(r, ReaderOptions{})
}

// NewReaderOptions is NewReader with options.
func NewReaderOptions(r io.Reader, o ReaderOptions) (io.ReadCloser, Kind, error) {
	if o.BufferSize <= 0 {
		o.BufferSize = DefaultBufferSize
	}
	if o.MaxZstdWindow == 0 {
		o.MaxZstdWindow = DefaultMaxZstdWindow
	}
	if o.MaxXzDict == 0 {
		o.MaxXzDict = DefaultMaxXzDict
	}
	src := &srcReader{r: r}
	br := bufio.NewReaderSize(src, max(o.BufferSize, SniffLen))
	kind, err := Sniff(br)
	if err != nil {
		return nil, Unknown, fmt.Errorf("read image: %w", err)
	}
	var (
		dr    io.Reader
		close func() error
	)
	switch kind {
	case None:
		return io.NopCloser(br), None, nil
	case Gzip:
		if o.NoReadAhead {
			zr, err := newGzip(br)
			if err != nil {
				return nil, kind, streamError(kind, src, err)
			}
			dr, close = zr, zr.Close
		} else if hdr, _ := br.Peek(memberHeaderLen); isMember(hdr) {
			mr := newMemberReader(br, runtime.GOMAXPROCS(0))
			dr, close = mr, mr.Close
		} else {
			zr, err := pgzip.NewReaderN(br, gzipReadAheadBlock, gzipReadAheadBlocks)
			if err != nil {
				return nil, kind, streamError(kind, src, err)
			}
			dr, close = zr, zr.Close
		}
	case Bzip2:
		dr = bzip2.NewReader(br)
	case Xz:
		if err := checkXzDict(br, o.MaxXzDict); err != nil {
			return nil, kind, err
		}
		xr, err := xz.ReaderConfig{}.NewReader(newXzGuard(br, o.MaxXzDict))
		if err != nil {
			return nil, kind, streamError(kind, src, err)
		}
		dr = xr
	case Zstd:
		zr, err := zstd.NewReader(br,
			zstd.WithDecoderLowmem(true),
			zstd.WithDecoderConcurrency(1),
			zstd.WithDecoderMaxWindow(o.MaxZstdWindow))
		if err != nil {
			return nil, kind, streamError(kind, src, err)
		}
		dr, close = zr, func() error { zr.Close(); return nil }
	default:
		return nil, Unknown, errkind.Mark(ErrUnknownFormat, errkind.Invalid)
	}
	return &decoder{r: dr, kind: kind, src: src, close: close}, kind, nil
}

// decoder turns the decompressors' varied errors into one clear error.
type decoder struct {
	r     io.Reader
	kind  Kind
	src   *srcReader
	close func() error
	err   error
}

func (d *decoder) Read(p []byte) (int, error) {
	if d.err != nil {
		return 0, d.err
	}
	n, err := d.r.Read(p)
	if err != nil && err != io.EOF {
		d.err = streamError(d.kind, d.src, err)
		err = d.err
	}
	return n, err
}

// Close stops the decompressor's goroutines, if any; it does not close the
// source.
func (d *decoder) Close() error {
	if d.close == nil {
		return nil
	}
	c := d.close
	d.close = nil
	return c()
}

// streamError wraps an error of a decompressor: the source's own read error
// passes through, anything else means the stream is corrupt or truncated.
func streamError(k Kind, src *srcReader, err error) error {
	if serr := src.error(); serr != nil && errors.Is(err, serr) {
		return fmt.Errorf("read %s stream: %w", k, err)
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errkind.Mark(fmt.Errorf("truncated %s stream: %w", k, io.ErrUnexpectedEOF), errkind.Invalid)
	}
	return errkind.Mark(fmt.Errorf("corrupt %s stream: %w", k, err), errkind.Invalid)
}

// srcReader remembers the source's read error (from whichever goroutine read
// it) so that streamError can tell I/O failures from bad data.
type srcReader struct {
	r   io.Reader
	mu  sync.Mutex
	err error
}

func (s *srcReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err != nil && err != io.EOF {
		s.mu.Lock()
		s.err = err
		s.mu.Unlock()
	}
	return n, err
}

func (s *srcReader) error() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}
