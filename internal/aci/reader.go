package aci

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/acikit/acikit/internal/compress"
	"github.com/acikit/acikit/internal/digest"
	"github.com/acikit/acikit/internal/errkind"
	"github.com/acikit/acikit/internal/schema"
)

// DefaultMaxManifestSize caps the manifest entry unless Options say
// otherwise.
const DefaultMaxManifestSize = schema.MaxManifestSize

// Options tune reading an image. The zero value gives the defaults.
type Options struct {
	// MaxManifestSize caps the manifest entry (default 1 MiB). A larger
	// manifest is rejected from its header, without reading it.
	MaxManifestSize int64
	// MaxSize caps the uncompressed tar stream; 0 means no cap. A
	// decompression bomb stops at the cap.
	MaxSize int64
	// SkipID turns hashing off when the caller does not need the image ID.
	SkipID bool
	// Compress tunes the decompressor.
	Compress compress.ReaderOptions
}

// ValidateOptions tune Validate.
type ValidateOptions = Options

func (o Options) maxManifest() int64 {
	if o.MaxManifestSize > 0 {
		return o.MaxManifestSize
	}
	return DefaultMaxManifestSize
}

// Reader reads an image entry by entry: Next returns the next header, Read
// reads its content. Every header returned has passed the archive rules
// (see the package documentation); hdr.Name is as stored, path.Clean gives
// the canonical name. When Next returns io.EOF, the image as a whole was
// valid and ID returns its image ID.
//
// The manifest entry is read and parsed by Next itself (through the size
// cap); Read still yields its bytes, and Manifest returns the parsed form.
type Reader struct {
	ctx   context.Context
	opts  Options
	dec   io.ReadCloser
	kind  compress.Kind
	lim   *limitReader
	hs    *digest.Hasher
	tr    *tar.Reader
	chk   checker
	cur   io.Reader
	m     *schema.ImageManifest
	raw   []byte
	err   error
	done  bool
	id    string
	end   int64 // where the last entry's data and padding end
	close sync.Once
}

// blockSize is the tar block; the end-of-archive marker is two zero blocks.
const blockSize = 512

// errClosed is returned by Next and Read after Close.
var errClosed = errors.New("read image: reader is closed")

// NewReader sniffs and opens the decompressor of r. Nothing is read beyond
// the first buffer until Next is called.
func NewReader(ctx context.Context, r io.Reader, opts Options) (*Reader, error) {
	dec, kind, err := compress.NewReaderOptions(r, opts.Compress)
	if err != nil {
		return nil, fmt.Errorf("open image: %w", err)
	}
	ar := &Reader{ctx: ctx, opts: opts, dec: dec, kind: kind}
	ar.lim = &limitReader{ctx: ctx, r: dec, max: opts.MaxSize}
	var src io.Reader = ar.lim
	if !opts.SkipID {
		ar.hs = digest.NewHasher()
		src = &teeReader{r: ar.lim, w: ar.hs}
	}
	ar.tr = tar.NewReader(src)
	return ar, nil
}

// Kind is the compression found.
func (r *Reader) Kind() compress.Kind { return r.kind }

// Manifest returns the parsed manifest and its raw bytes, once Next has
// passed the manifest entry (nil before).
func (r *Reader) Manifest() (*schema.ImageManifest, []byte) { return r.m, r.raw }

// ID returns the image ID once Next has returned io.EOF ("" before, or when
// SkipID was set).
func (r *Reader) ID() string { return r.id }

// Size is the number of uncompressed bytes read so far (the whole tar
// stream, trailing padding included, once Next has returned io.EOF).
func (r *Reader) Size() int64 { return r.lim.n }

func (r *Reader) fail(err error) error {
	r.err = err
	r.Close()
	return err
}

// Next advances to the next entry, checking it against the archive rules.
func (r *Reader) Next() (*tar.Header, error) {
	if r.err != nil {
		return nil, r.err
	}
	if r.done {
		return nil, io.EOF
	}
	r.cur = nil
	for {
		if err := r.ctx.Err(); err != nil {
			return nil, r.fail(err)
		}
		hdr, err := r.tr.Next()
		if err == io.EOF {
			// archive/tar also ends quietly when the stream stops at an
			// entry boundary, or after one zero block: a cut there would
			// pass for a whole image without the later entries.
			if r.lim.n != r.end+2*blockSize {
				return nil, r.fail(invalidf("read tar: truncated archive: no end-of-archive marker"))
			}
			return nil, r.finish()
		}
		if err != nil && !(errors.Is(err, tar.ErrInsecurePath) && hdr != nil) {
			return nil, r.fail(r.readError(err))
		}
		// The tar reader has consumed the headers; the entry's data and
		// padding follow (a global header's data is already read).
		data := int64(0)
		if hdr.Typeflag == tar.TypeReg || hdr.Typeflag == tar.TypeRegA {
			data = hdr.Size
		}
		r.end = (r.lim.n + data + blockSize - 1) / blockSize * blockSize
		if hdr.Typeflag == tar.TypeXGlobalHeader {
			continue
		}
		name, err := r.chk.check(hdr)
		if err != nil {
			return nil, r.fail(err)
		}
		if name == ManifestName {
			if err := r.readManifest(hdr); err != nil {
				return nil, r.fail(err)
			}
			r.cur = bytes.NewReader(r.raw)
		} else {
			r.cur = r.tr
		}
		return hdr, nil
	}
}

func (r *Reader) readManifest(hdr *tar.Header) error {
	if max := r.opts.maxManifest(); hdr.Size > max {
		return invalidf("manifest is %d bytes, more than the limit of %d bytes", hdr.Size, max)
	}
	raw := make([]byte, hdr.Size)
	if _, err := io.ReadFull(r.tr, raw); err != nil {
		return fmt.Errorf("read manifest: %w", r.readError(err))
	}
	m, err := schema.ParseImageManifest(raw)
	if err != nil {
		return errkind.Mark(fmt.Errorf("image manifest validation failed: %w", err), errkind.Invalid)
	}
	r.m, r.raw = m, raw
	return nil
}

// finish drains what follows the end-of-archive marker and checks the
// image as a whole. The drain is needed with SkipID too: it is where the
// decompressor checks the stream's end (a gzip trailer's CRC and length),
// so a truncated or corrupt tail is caught; and the bytes are part of the
// hashed stream (`zcat x.aci | sha512sum` sees them too).
func (r *Reader) finish() error {
	var err error
	if r.hs != nil {
		_, err = r.hs.ReadFrom(r.lim)
	} else {
		_, err = io.Copy(io.Discard, r.lim)
	}
	if err != nil {
		return r.fail(r.readError(err))
	}
	if err := r.chk.finish(); err != nil {
		return r.fail(err)
	}
	if r.hs != nil {
		r.id = r.hs.ID()
	}
	r.done = true
	r.Close()
	return io.EOF
}

// Read reads the content of the current entry.
func (r *Reader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	if r.cur == nil {
		return 0, io.EOF
	}
	n, err := r.cur.Read(p)
	if err != nil && err != io.EOF {
		return n, r.fail(r.readError(err))
	}
	return n, err
}

// readError marks what the tar reader found wrong as Invalid, and passes
// errors from below (source, decompressor, size cap, context) through.
func (r *Reader) readError(err error) error {
	if below := r.lim.error(); below != nil && errors.Is(err, below) {
		return err
	}
	return errkind.Mark(fmt.Errorf("read tar: %w", err), errkind.Invalid)
}

// Close releases the decompressor and hashing goroutines. It does not close
// the source. Safe to call more than once; Next and Read fail afterwards.
func (r *Reader) Close() error {
	var err error
	r.close.Do(func() {
		if r.err == nil && !r.done {
			r.err = errClosed
		}
		err = r.dec.Close()
		if r.hs != nil {
			r.hs.Close()
		}
	})
	return err
}

// limitReader counts the uncompressed bytes, enforces the size cap and the
// context, and remembers the last error it passed up.
type limitReader struct {
	ctx context.Context
	r   io.Reader
	n   int64
	max int64
	err error
}

func (l *limitReader) error() error { return l.err }

func (l *limitReader) Read(p []byte) (int, error) {
	if l.err != nil {
		return 0, l.err
	}
	if err := l.ctx.Err(); err != nil {
		l.err = err
		return 0, err
	}
	if l.max > 0 {
		if left := l.max - l.n + 1; int64(len(p)) > left {
			p = p[:left]
		}
	}
	n, err := l.r.Read(p)
	l.n += int64(n)
	if l.max > 0 && l.n > l.max {
		l.n = l.max
		l.err = invalidf("image is larger than the limit of %d uncompressed bytes", l.max)
		return n - 1, l.err
	}
	if err != nil && err != io.EOF {
		l.err = err
	}
	return n, err
}

type teeReader struct {
	r io.Reader
	w io.Writer
}

func (t *teeReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	t.w.Write(p[:n])
	return n, err
}

// Result is what Validate learnt about a valid image.
type Result struct {
	ID          string // "sha512-..." of the uncompressed tar ("" with SkipID)
	Manifest    *schema.ImageManifest
	RawManifest []byte
	Size        int64 // uncompressed tar bytes
	Compression compress.Kind
}

// Validate reads a whole image, applying the archive rules, and returns its
// manifest and image ID. Errors about the image are marked errkind.Invalid.
func Validate(ctx context.Context, r io.Reader, opts ValidateOptions) (Result, error) {
	ar, err := NewReader(ctx, r, opts)
	if err != nil {
		return Result{}, err
	}
	defer ar.Close()
	buf := make([]byte, 256<<10)
	for {
		_, err := ar.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return Result{}, err
		}
		// Drain with a big buffer: the tar reader would skip with 8 KiB reads.
		for {
			_, err := ar.Read(buf)
			if err == io.EOF {
				break
			}
			if err != nil {
				return Result{}, err
			}
		}
	}
	m, raw := ar.Manifest()
	return Result{ID: ar.ID(), Manifest: m, RawManifest: raw, Size: ar.Size(), Compression: ar.Kind()}, nil
}

// ReadManifest returns an image's manifest, parsed and raw. It stops reading
// after the manifest entry (images from Build put it first), checking the
// entries before it; the rest of the image is not validated.
func ReadManifest(ctx context.Context, r io.Reader) (*schema.ImageManifest, []byte, error) {
	return ReadManifestOptions(ctx, r, Options{})
}

// ReadManifestOptions is ReadManifest with options: MaxManifestSize caps
// the manifest, MaxSize the uncompressed bytes read to reach it, Compress
// tunes the decompressor; SkipID is implied.
func ReadManifestOptions(ctx context.Context, r io.Reader, opts Options) (*schema.ImageManifest, []byte, error) {
	opts.SkipID = true
	ar, err := NewReader(ctx, r, opts)
	if err != nil {
		return nil, nil, err
	}
	defer ar.Close()
	for {
		_, err := ar.Next()
		if err == io.EOF {
			// Unreachable: finish fails without a manifest.
			return nil, nil, invalidf("no image manifest found in archive")
		}
		if err != nil {
			return nil, nil, err
		}
		if m, raw := ar.Manifest(); m != nil {
			return m, raw, nil
		}
	}
}

// ImageID returns the image ID of an image without parsing its tar: it only
// decompresses and hashes, in separate goroutines. It does not validate.
func ImageID(ctx context.Context, r io.Reader) (string, error) {
	return ImageIDOptions(ctx, r, Options{})
}

// ImageIDOptions is ImageID with options: MaxSize caps the uncompressed
// bytes (a decompression bomb stops there), Compress tunes the
// decompressor; the other fields do not apply.
func ImageIDOptions(ctx context.Context, r io.Reader, opts Options) (string, error) {
	dec, _, err := compress.NewReaderOptions(r, opts.Compress)
	if err != nil {
		return "", fmt.Errorf("open image: %w", err)
	}
	defer dec.Close()
	id, _, err := digest.ReaderID(&limitReader{ctx: ctx, r: dec, max: opts.MaxSize})
	if err != nil {
		return "", fmt.Errorf("hash image: %w", err)
	}
	return id, nil
}
