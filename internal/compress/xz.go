package compress

import (
	"bufio"
	"encoding/binary"
	"fmt"

	"github.com/acikit/acikit/internal/errkind"
)

// checkXzDict refuses an xz stream whose first block announces an LZMA2
// dictionary above limit: the decoder allocates the whole dictionary up
// front, so a 4-byte header change could otherwise cost gigabytes. Later
// blocks of multi-block files are not inspected (xz -T writes the same
// dictionary size in every block).
func checkXzDict(br *bufio.Reader, limit int64) error {
	const streamHeader = 12
	b, _ := br.Peek(streamHeader + 1024) // a block header is at most 1024 bytes
	if len(b) <= streamHeader || b[streamHeader] == 0 {
		return nil // empty stream or too short: the decoder reports it
	}
	hdr := b[streamHeader:]
	size := (int(hdr[0]) + 1) * 4
	if len(hdr) < size || size < 2 {
		return nil
	}
	hdr = hdr[1:size]
	flags := hdr[0]
	hdr = hdr[1:]
	nfilters := int(flags&3) + 1
	for _, present := range []bool{flags&0x40 != 0, flags&0x80 != 0} {
		if present {
			if _, n := binary.Uvarint(hdr); n > 0 {
				hdr = hdr[n:]
			} else {
				return nil
			}
		}
	}
	for range nfilters {
		id, n := binary.Uvarint(hdr)
		if n <= 0 {
			return nil
		}
		hdr = hdr[n:]
		psize, n := binary.Uvarint(hdr)
		if n <= 0 || uint64(len(hdr[n:])) < psize {
			return nil
		}
		props := hdr[n : n+int(psize)]
		hdr = hdr[n+int(psize):]
		if id == 0x21 && len(props) == 1 {
			if d := xzDictSize(props[0]); d > limit {
				return errkind.Mark(fmt.Errorf("xz stream wants a %d MiB dictionary, more than the limit of %d MiB", d>>20, limit>>20), errkind.Invalid)
			}
		}
	}
	return nil
}

func xzDictSize(c byte) int64 {
	if c >= 40 {
		return 1<<32 - 1
	}
	return int64(2|c&1) << (c/2 + 11)
}
