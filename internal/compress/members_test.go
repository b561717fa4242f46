package compress

import (
	"bytes"
	stdgzip "compress/gzip"
	"encoding/binary"
	"errors"
	"io"
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
	huge := bytes.Clone(z)
	binary.LittleEndian.PutUint32(huge[16:], 1<<31)
	tiny := bytes.Clone(z)
	binary.LittleEndian.PutUint32(tiny[16:], 3)
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"truncated", z[:len(z)-1000], "truncated gzip stream"},
		{"truncated in header", z[:second+10], "truncated gzip stream"},
		{"corrupt data", corrupt, "corrupt gzip stream"},
		{"bad crc", badCRC, "corrupt gzip stream"},
		{"huge member size", huge, "out of range"},
		{"tiny member size", tiny, "out of range"},
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
