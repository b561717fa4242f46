package dockerconv

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"

	"github.com/acikit/acikit/internal/errkind"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// ErrDigest marks content whose digest is not the one announced.
var ErrDigest = errors.New("digest mismatch")

// verifier hashes what is read through it and, at EOF, fails if the sum is
// not the expected sha256 digest. A zero want checks nothing.
type verifier struct {
	r    io.Reader
	h    hash.Hash
	want v1.Hash
	what string
	done bool
}

func newVerifier(r io.Reader, want v1.Hash, what string) io.Reader {
	if want.Algorithm != "sha256" {
		return r
	}
	return &verifier{r: r, h: sha256.New(), want: want, what: what}
}

func (v *verifier) Read(p []byte) (int, error) {
	n, err := v.r.Read(p)
	v.h.Write(p[:n])
	if err == io.EOF && !v.done {
		v.done = true
		if got := hex.EncodeToString(v.h.Sum(nil)); got != v.want.Hex {
			return n, errkind.Mark(fmt.Errorf("%s: %w: got sha256:%s, want %s", v.what, ErrDigest, got, v.want), errkind.Invalid)
		}
	}
	return n, err
}

// counter reports bytes read to a progress callback.
type counter struct {
	r  io.Reader
	fn func(int64)
}

func (c *counter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if n > 0 {
		c.fn(int64(n))
	}
	return n, err
}

type readCloser struct {
	io.Reader
	close func() error
}

func (r readCloser) Close() error { return r.close() }

var (
	gzipMagic = []byte{0x1f, 0x8b}
	zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}
)

// decodeLayer turns the stored bytes of a layer into its tar stream: raw is
// checked against digest (when known), decompressed after sniffing its first
// bytes (gzip, zstd or plain tar, whatever the media type claims), and the
// result checked against diffID (when known). The checks fire at EOF, which
// the squasher always reaches.
func decodeLayer(raw io.ReadCloser, digest, diffID v1.Hash, what string, progress func(int64)) (io.ReadCloser, error) {
	var r io.Reader = raw
	if progress != nil {
		r = &counter{r: r, fn: progress}
	}
	r = newVerifier(r, digest, what)
	rawCheck := r
	br := bufio.NewReaderSize(r, 64<<10)
	magic, err := br.Peek(4)
	if err != nil && err != io.EOF {
		raw.Close()
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	closers := []func() error{raw.Close}
	var out io.Reader = br
	switch {
	case bytes.HasPrefix(magic, gzipMagic):
		zr, err := gzip.NewReader(br)
		if err != nil {
			raw.Close()
			return nil, errkind.Invalidf("%s: gzip: %w", what, err)
		}
		out = zr
		closers = append(closers, zr.Close)
	case bytes.HasPrefix(magic, zstdMagic):
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true))
		if err != nil {
			raw.Close()
			return nil, errkind.Invalidf("%s: zstd: %w", what, err)
		}
		out = zr.IOReadCloser()
		closers = append(closers, func() error { zr.Close(); return nil })
	}
	out = newVerifier(out, diffID, what+" (uncompressed)")
	if v, ok := rawCheck.(*verifier); ok {
		out = &blameDigest{r: out, raw: v}
	}
	return readCloser{Reader: out, close: func() error {
		var first error
		for i := len(closers) - 1; i >= 0; i-- {
			if err := closers[i](); err != nil && first == nil {
				first = err
			}
		}
		return first
	}}, nil
}

// blameDigest turns a decoding failure of a layer whose stored bytes do not
// match their digest into the digest error: a corrupted download should be
// reported as such, not as the gzip or tar error it happens to cause.
type blameDigest struct {
	r   io.Reader
	raw *verifier
}

func (b *blameDigest) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err != nil && err != io.EOF && !b.raw.done {
		if _, derr := io.Copy(io.Discard, b.raw); derr != nil {
			return n, derr
		}
	}
	return n, err
}
