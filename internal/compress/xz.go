package compress

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/acikit/acikit/internal/errkind"
)

// The LZMA2 decoder allocates a block's whole dictionary up front, and the
// block header says how big it is: a 4-byte change could cost gigabytes.
// xzGuard therefore walks the container in front of the decoder and checks
// every block header before the decoder sees it: every stream of a
// concatenation and every block of a multi-block (xz -T) stream, not only
// the first, which a 43 KB file of two streams got around (300 MB and
// more for its second block).

// errXzDict is wrapped by the dictionary limit error.
var errXzDict = errors.New("xz dictionary over the limit")

func xzDictError(d, limit int64) error {
	return errkind.Mark(fmt.Errorf("%w: a block wants %d MiB, the limit is %d MiB", errXzDict, d>>20, limit>>20), errkind.Invalid)
}

// checkXzDict checks the first block's dictionary when the stream is
// opened, so that the usual case fails at once; xzGuard checks them all.
func checkXzDict(br *bufio.Reader, limit int64) error {
	const streamHeader = 12
	b, _ := br.Peek(streamHeader + 1024) // a block header is at most 1024 bytes
	if len(b) <= streamHeader || b[streamHeader] == 0 {
		return nil // empty stream or too short: the decoder reports it
	}
	hdr := b[streamHeader:]
	size := (int(hdr[0]) + 1) * 4
	if len(hdr) < size {
		return nil
	}
	if d, ok := xzBlockDict(hdr[:size]); ok && d > limit {
		return xzDictError(d, limit)
	}
	return nil
}

// xzBlockDict returns the LZMA2 dictionary size a block header asks for,
// or ok false when the header cannot be parsed (the decoder reports it).
func xzBlockDict(hdr []byte) (dict int64, ok bool) {
	if len(hdr) < 2 {
		return 0, false
	}
	hdr = hdr[1:]
	flags := hdr[0]
	hdr = hdr[1:]
	nfilters := int(flags&3) + 1
	for _, present := range []bool{flags&0x40 != 0, flags&0x80 != 0} {
		if present {
			_, n := binary.Uvarint(hdr)
			if n <= 0 {
				return 0, false
			}
			hdr = hdr[n:]
		}
	}
	for range nfilters {
		id, n := binary.Uvarint(hdr)
		if n <= 0 {
			return 0, false
		}
		hdr = hdr[n:]
		psize, n := binary.Uvarint(hdr)
		if n <= 0 || uint64(len(hdr[n:])) < psize {
			return 0, false
		}
		props := hdr[n : n+int(psize)]
		hdr = hdr[n+int(psize):]
		if id == 0x21 {
			if len(props) != 1 {
				return 0, false
			}
			return xzDictSize(props[0]), true
		}
	}
	return 0, false
}

func xzDictSize(c byte) int64 {
	if c >= 40 {
		return 1<<32 - 1
	}
	return int64(2|c&1) << (c/2 + 11)
}

// xzGuard passes an xz stream through unchanged, parsing its structure
// with Peek just ahead of the decoder: stream header, then per block its
// header (checked), LZMA2 chunks (each carries its sizes), padding and
// check, then the index, the stream footer and stream padding, and the
// next stream. What it cannot follow (short data, junk) it passes on
// unchecked only when nothing more can be decoded; malformed structure
// the decoder would reject anyway is an error here.
type xzGuard struct {
	br       *bufio.Reader
	limit    int64
	pass     int                  // bytes to pass before the next structure
	step     func(*xzGuard) error // parses the structure at hand, sets pass
	check    int                  // check size of the current stream
	blockLen int                  // block header and data so far, for padding
	records  uint64               // index records left
	indexLen int                  // index bytes so far, for padding
	err      error
}

func newXzGuard(br *bufio.Reader, limit int64) *xzGuard {
	return &xzGuard{br: br, limit: limit, step: (*xzGuard).streamHeader}
}

var errXzStructure = errors.New("malformed xz structure")

func (g *xzGuard) Read(p []byte) (int, error) {
	for g.pass == 0 {
		if g.err != nil {
			return 0, g.err
		}
		if err := g.step(g); err != nil {
			g.err = err
			return 0, err
		}
	}
	if len(p) > g.pass {
		p = p[:g.pass]
	}
	n, err := g.br.Read(p)
	g.pass -= n
	return n, err
}

// peek returns n bytes ahead, or ok false after switching to passing the
// rest through (the stream ends early: the decoder reports it), or a read
// error of the source.
func (g *xzGuard) peek(n int) ([]byte, bool, error) {
	b, err := g.br.Peek(n)
	if len(b) == n {
		return b, true, nil
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, false, err
	}
	g.pass = math.MaxInt
	return nil, false, nil
}

func (g *xzGuard) streamHeader() error {
	b, ok, err := g.peek(12)
	if !ok {
		return err
	}
	if string(b[:6]) != string(magicXz) || b[6] != 0 || b[7]&0xf0 != 0 {
		return errXzStructure
	}
	// Check sizes by type: 0, then 4, 8, 16, 32, 64 bytes per three types.
	if t := int(b[7] & 0x0f); t > 0 {
		g.check = 4 << ((t - 1) / 3)
	} else {
		g.check = 0
	}
	g.pass, g.step = 12, (*xzGuard).blockOrIndex
	return nil
}

func (g *xzGuard) blockOrIndex() error {
	b, ok, err := g.peek(1)
	if !ok {
		return err
	}
	if b[0] == 0 {
		return g.index()
	}
	size := (int(b[0]) + 1) * 4
	hdr, ok, err := g.peek(size)
	if !ok {
		return err
	}
	d, ok := xzBlockDict(hdr)
	if !ok {
		return errXzStructure
	}
	if d > g.limit {
		return xzDictError(d, g.limit)
	}
	g.blockLen = size
	g.pass, g.step = size, (*xzGuard).chunk
	return nil
}

// chunk passes one LZMA2 chunk: control byte, sizes, properties, data.
func (g *xzGuard) chunk() error {
	b, ok, err := g.peek(1)
	if !ok {
		return err
	}
	c := b[0]
	switch {
	case c == 0: // end of the block's data
		g.blockLen++
		g.pass, g.step = 1, (*xzGuard).blockEnd
		return nil
	case c == 1 || c == 2: // uncompressed chunk
		if b, ok, err = g.peek(3); !ok {
			return err
		}
		g.pass = 3 + int(binary.BigEndian.Uint16(b[1:])) + 1
	case c >= 0x80: // LZMA chunk, with properties when c >= 0xc0
		if b, ok, err = g.peek(5); !ok {
			return err
		}
		g.pass = 5 + int(binary.BigEndian.Uint16(b[3:])) + 1
		if c >= 0xc0 {
			g.pass++
		}
	default:
		return errXzStructure
	}
	g.blockLen += g.pass
	return nil
}

func (g *xzGuard) blockEnd() error {
	g.pass = (4-g.blockLen%4)%4 + g.check
	g.step = (*xzGuard).blockOrIndex
	return nil
}

func (g *xzGuard) index() error {
	b, _ := g.br.Peek(1 + binary.MaxVarintLen64)
	count, n := binary.Uvarint(b[min(1, len(b)):])
	if n <= 0 {
		if _, ok, err := g.peek(len(b) + 1); !ok {
			return err
		}
		return errXzStructure
	}
	g.records, g.indexLen = count, 1+n
	g.pass, g.step = 1+n, (*xzGuard).indexRecord
	return nil
}

func (g *xzGuard) indexRecord() error {
	if g.records == 0 {
		g.pass = (4-g.indexLen%4)%4 + 4 + 12 // padding, CRC32, stream footer
		g.step = (*xzGuard).streamPadding
		return nil
	}
	b, _ := g.br.Peek(2 * binary.MaxVarintLen64)
	_, n1 := binary.Uvarint(b)
	n2 := 0
	if n1 > 0 {
		_, n2 = binary.Uvarint(b[n1:])
	}
	if n1 <= 0 || n2 <= 0 {
		if _, ok, err := g.peek(len(b) + 1); !ok {
			return err
		}
		return errXzStructure
	}
	g.records--
	g.indexLen += n1 + n2
	g.pass = n1 + n2
	return nil
}

// streamPadding passes zero words after a stream; anything else starts
// the next stream.
func (g *xzGuard) streamPadding() error {
	b, err := g.br.Peek(4)
	switch {
	case len(b) == 0 && errors.Is(err, io.EOF):
		return io.EOF
	case len(b) == 4 && string(b) == "\x00\x00\x00\x00":
		g.pass = 4
		return nil
	case len(b) == 4:
		return g.streamHeader()
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	g.pass = math.MaxInt
	return nil
}
