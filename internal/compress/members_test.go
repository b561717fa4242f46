package compress

import (
	"bytes"
	stdgzip "compress/gzip"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/acikit/acikit/internal/errkind"
)

func ourGzip(t *testing.T, data []byte, blockSize int) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, Gzip, WriterOptions{BlockSize: blockSize, Concurrency: 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func readAll(t *testing.T, z []byte) ([]byte, error) {
	t.Helper()
	r, kind, err := NewReader(bytes.NewReader(z))
	if err != nil {
		return nil, err
	}
	defer r.Close()
	if kind != Gzip {
		t.Fatalf("kind = %v, want gzip", kind)
	}
	return io.ReadAll(r)
}

func TestIndexedGzip(t *testing.T) {
	data := sample(3<<20 + 12345)
	z := ourGzip(t, data, 256<<10)
	if !isMember(z) {
		t.Fatalf("our gzip output does not start with an indexed member")
	}
	r, _, _ := NewReader(bytes.NewReader(z))
	if _, ok := r.(*decoder).r.(*memberReader); !ok {
		t.Errorf("NewReader(our gzip) uses %T, want the parallel member reader", r.(*decoder).r)
	}
	r.Close()
	if got, err := readAll(t, z); err != nil || !bytes.Equal(got, data) {
		t.Errorf("member reader: %d bytes, %v; want the %d input bytes", len(got), err, len(data))
	}
	// Go's standard reader sees one multi-member stream.
	zr, err := stdgzip.NewReader(bytes.NewReader(z))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := io.ReadAll(zr); err != nil || !bytes.Equal(got, data) {
		t.Errorf("compress/gzip reading ours: %d bytes, %v", len(got), err)
	}
	// Ours followed by a foreign member: the tail is read the standard way.
	var foreign bytes.Buffer
	fw := stdgzip.NewWriter(&foreign)
	fw.Write([]byte("tail"))
	fw.Close()
	if got, err := readAll(t, append(bytes.Clone(z), foreign.Bytes()...)); err != nil || string(got) != string(data)+"tail" {
		t.Errorf("ours + foreign member: %d bytes, %v", len(got), err)
	}
	// Nothing written still gives a valid, empty gzip stream.
	if got, err := readAll(t, ourGzip(t, nil, 0)); err != nil || len(got) != 0 {
		t.Errorf("empty stream: %q, %v", got, err)
	}
}

func TestIndexedGzipBad(t *testing.T) {
	data := sample(1 << 20)
	z := ourGzip(t, data, 128<<10)
	second, _ := memberSize(z)
	corrupt := bytes.Clone(z)
	for i := second + 100; i < second+200; i++ {
		corrupt[i] ^= 0x5a
	}
	badCRC := bytes.Clone(z)
	badCRC[second-8] ^= 1
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"truncated", z[:len(z)-1000], "truncated gzip stream"},
		{"truncated in header", z[:second+10], "truncated gzip stream"},
		{"corrupt data", corrupt, "corrupt gzip stream"},
		{"bad crc", badCRC, "corrupt gzip stream"},
		{"trailing junk", append(bytes.Clone(z), strings.Repeat("junk", 10)...), "corrupt gzip stream"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := readAll(t, tt.in)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, errkind.Invalid) {
				t.Errorf("reading %s: %v, want an Invalid error containing %q", tt.name, err, tt.want)
			}
		})
	}
}

// TestIndexedGzipBigMembers: members whose declared sizes are over the
// limits are read sequentially, correctly and without holding them.
func TestIndexedGzipBigMembers(t *testing.T) {
	data := sample(3 << 20)
	z := ourGzip(t, data, 256<<10)
	huge := bytes.Clone(z)
	binary.LittleEndian.PutUint32(huge[16:], 1<<31)
	tiny := bytes.Clone(z)
	binary.LittleEndian.PutUint32(tiny[16:], 3)
	// Members of 16 MiB of zeros: a tiny file that once cost 16 MiB a
	// member held.
	zeros := make([]byte, 64<<20)
	tests := []struct {
		name string
		in   []byte
		want []byte
	}{
		{"huge member size", huge, data},
		{"tiny member size", tiny, data},
		{"big blocks", ourGzip(t, data, 2<<20), data},
		{"16 MiB blocks of zeros", ourGzip(t, zeros, 16<<20), zeros},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			// Hashed rather than kept, so only the reader's allocations count.
			h := sha256.New()
			r, _, err := NewReader(bytes.NewReader(tt.in))
			if err == nil {
				_, err = io.Copy(h, r)
				r.Close()
			}
			runtime.ReadMemStats(&after)
			if want := sha256.Sum256(tt.want); err != nil || !bytes.Equal(h.Sum(nil), want[:]) {
				t.Errorf("reading %s: %v, or the bytes differ from the input", tt.name, err)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 12<<20 {
				t.Errorf("reading %s allocated %d MiB, want under 12 MiB", tt.name, alloc>>20)
			}
		})
	}
}

func BenchmarkGzipRead(b *testing.B) {
	data := sample(32 << 20)
	for _, c := range []struct {
		name string
		opts ReaderOptions
	}{{"members", ReaderOptions{}}, {"sequential", ReaderOptions{NoReadAhead: true}}} {
		b.Run(c.name, func(b *testing.B) {
			var buf bytes.Buffer
			w, _ := NewWriter(&buf, Gzip, WriterOptions{})
			w.Write(data)
			w.Close()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				r, _, _ := NewReaderOptions(bytes.NewReader(buf.Bytes()), c.opts)
				io.Copy(io.Discard, r)
				r.Close()
			}
		})
	}
}

func BenchmarkGzipWrite(b *testing.B) {
	data := sample(32 << 20)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		w, _ := NewWriter(io.Discard, Gzip, WriterOptions{})
		w.Write(data)
		w.Close()
	}
}
