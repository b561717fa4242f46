package pgp

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"
)

// zeros is an endless stream of n zero bytes, so benchmarks measure hashing
// and signing, not the page cache.
type zeros struct{ n int64 }

func (z *zeros) Read(p []byte) (int, error) {
	if z.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > z.n {
		p = p[:z.n]
	}
	clear(p)
	z.n -= int64(len(p))
	return len(p), nil
}

const benchSize = 256 << 20

func BenchmarkSign(b *testing.B) {
	key := genKey(b, RSA)
	b.SetBytes(benchSize)
	b.ReportAllocs()
	for b.Loop() {
		if err := Sign(context.Background(), io.Discard, &zeros{benchSize}, key); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	key := genKey(b, RSA)
	sig := sign(b, key, make([]byte, benchSize))
	keys := publicOnly(b, key)
	b.SetBytes(benchSize)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Verify(context.Background(), &zeros{benchSize}, bytes.NewReader(sig), keys, time.Now()); err != nil {
			b.Fatal(err)
		}
	}
}
