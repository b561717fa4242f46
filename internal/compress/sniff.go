package compress

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// Kind names a compression format.
type Kind int

// The kinds Sniff can report. None is an uncompressed tar stream.
const (
	Unknown Kind = iota
	None
	Gzip
	Bzip2
	Xz
	Zstd
)

var kindNames = [...]string{"unknown", "none", "gzip", "bzip2", "xz", "zstd"}

func (k Kind) String() string {
	if k < 0 || int(k) >= len(kindNames) {
		return "unknown"
	}
	return kindNames[k]
}

// ParseKind is the inverse of Kind.String; "tar" is accepted for None.
func ParseKind(s string) (Kind, bool) {
	if s == "tar" {
		return None, true
	}
	for i, n := range kindNames {
		if n == s && i != int(Unknown) {
			return Kind(i), true
		}
	}
	return Unknown, false
}

// SniffLen is how many bytes Sniff needs to see (a tar header block).
const SniffLen = 512

var (
	magicGzip  = []byte{0x1f, 0x8b}
	magicBzip2 = []byte("BZh")
	magicXz    = []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}
	magicZstd  = []byte{0x28, 0xb5, 0x2f, 0xfd}
	magicUstar = []byte("ustar") // at offset 257 of a tar header, POSIX and GNU
)

// Detect reports the kind of a stream from its first bytes (up to SniffLen;
// fewer is fine when the stream is shorter).
func Detect(b []byte) Kind {
	switch {
	case bytes.HasPrefix(b, magicGzip):
		return Gzip
	case bytes.HasPrefix(b, magicBzip2) && len(b) >= 4 && b[3] >= '1' && b[3] <= '9':
		return Bzip2
	case bytes.HasPrefix(b, magicXz):
		return Xz
	case bytes.HasPrefix(b, magicZstd):
		return Zstd
	case len(b) >= 257+len(magicUstar) && bytes.Equal(b[257:257+len(magicUstar)], magicUstar):
		return None
	}
	return Unknown
}

// Sniff peeks at the start of br without consuming anything and reports the
// kind of stream. A read error other than a short stream is returned.
func Sniff(br *bufio.Reader) (Kind, error) {
	b, err := br.Peek(SniffLen)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return Unknown, err
	}
	return Detect(b), nil
}
