package compress

import (
	"io"

	"github.com/klauspost/compress/gzip"
)

func newGzip(r io.Reader) (*gzip.Reader, error) { return gzip.NewReader(r) }
