package compress

import (
	"fmt"
	"io"
	"runtime"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// Defaults for WriterOptions.
const (
	// DefaultBlockSize is the gzip member size. Output bytes depend on it
	// (never on the number of goroutines), so keep it fixed for
	// reproducible files. Memory is about 4 blocks per goroutine.
	DefaultBlockSize = 1 << 20
	// zstdWindow keeps the encoder (and any decoder of our files) small.
	zstdWindow = 8 << 20
)

// WriterOptions tunes NewWriter. The zero value gives the defaults.
type WriterOptions struct {
	// Level is the format's compression level; 0 is the format's default
	// (gzip 6, zstd "default").
	Level int
	// Concurrency is the number of compressing goroutines (default
	// GOMAXPROCS). The output bytes do not depend on it.
	Concurrency int
	// BlockSize is the parallel gzip block (default DefaultBlockSize).
	BlockSize int
}

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }

// NewWriter returns a writer compressing into w in kind None, Gzip or (as an
// extension to what AppC tools read) Zstd. Close flushes the compressor; it
// never closes w.
//
// gzip is written as indexed members (see members.go), one per BlockSize of
// input, compressed in parallel by klauspost/compress/flate. The bytes
// depend on the level and block size only, never on the number of
// goroutines, so the same input gives the same file on every machine.
func NewWriter(w io.Writer, kind Kind, o WriterOptions) (io.WriteCloser, error) {
	if o.Concurrency <= 0 {
		o.Concurrency = runtime.GOMAXPROCS(0)
	}
	if o.BlockSize <= 0 {
		o.BlockSize = DefaultBlockSize
	}
	switch kind {
	case None:
		return nopWriteCloser{w}, nil
	case Gzip:
		level := o.Level
		if level == 0 {
			level = gzip.DefaultCompression
		}
		zw, err := newMemberWriter(w, level, o.BlockSize, o.Concurrency)
		if err != nil {
			return nil, fmt.Errorf("gzip writer: %w", err)
		}
		return zw, nil
	case Zstd:
		level := zstd.SpeedDefault
		if o.Level != 0 {
			level = zstd.EncoderLevelFromZstd(o.Level)
		}
		zw, err := zstd.NewWriter(w,
			zstd.WithEncoderLevel(level),
			zstd.WithEncoderConcurrency(o.Concurrency),
			zstd.WithWindowSize(zstdWindow),
			zstd.WithLowerEncoderMem(true))
		if err != nil {
			return nil, fmt.Errorf("zstd writer: %w", err)
		}
		return zw, nil
	}
	return nil, fmt.Errorf("cannot write %s streams", kind)
}
