package aci

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/acikit/acikit/internal/compress"
)

// benchTree writes a ~30 MB layout mixing text, semi-random binary data and
// many small files, deterministically.
func benchTree(b testing.TB) string {
	b.Helper()
	dir := b.TempDir()
	rng := rand.New(rand.NewPCG(7, 11))
	words := []string{"the ", "image ", "rootfs ", "manifest ", "container ", "lib", "so.6 ", "\n", "func ", "return ", "0x", "{", "}"}
	text := func(n int) []byte {
		var buf bytes.Buffer
		for buf.Len() < n {
			buf.WriteString(words[rng.IntN(len(words))])
		}
		return buf.Bytes()[:n]
	}
	binary := func(n int) []byte {
		out := make([]byte, n)
		for i := 0; i < n; {
			run := 1 + rng.IntN(64)
			if rng.IntN(2) == 0 && i > 4096 {
				off := 1 + rng.IntN(4096)
				for j := 0; j < run && i < n; j++ {
					out[i] = out[i-off]
					i++
				}
				continue
			}
			for j := 0; j < run && i < n; j++ {
				out[i] = byte(rng.Uint32())
				i++
			}
		}
		return out
	}
	write := func(name string, data []byte) {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	write("manifest", []byte(testManifest))
	total := 0
	for i := 0; total < 12<<20; i++ {
		d := text(4<<10 + rng.IntN(400<<10))
		write(fmt.Sprintf("rootfs/usr/share/doc/pkg%d/file%d.txt", i%40, i), d)
		total += len(d)
	}
	for i := 0; total < 24<<20; i++ {
		d := binary(64<<10 + rng.IntN(2<<20))
		write(fmt.Sprintf("rootfs/usr/lib/lib%d.so", i), d)
		total += len(d)
	}
	for i := 0; total < 30<<20; i++ {
		d := text(200 + rng.IntN(8<<10))
		write(fmt.Sprintf("rootfs/usr/lib/python3/mod%d/f%d.py", i%100, i), d)
		total += len(d)
	}
	return dir
}

func benchImage(b *testing.B, kind compress.Kind) (img []byte, tarSize int64) {
	dir := benchTree(b)
	var buf bytes.Buffer
	if _, err := Build(context.Background(), dir, &buf, BuildOptions{Compression: kind}); err != nil {
		b.Fatal(err)
	}
	res, err := Validate(context.Background(), bytes.NewReader(buf.Bytes()), ValidateOptions{})
	if err != nil {
		b.Fatal(err)
	}
	return buf.Bytes(), res.Size
}

func BenchmarkBuild(b *testing.B) {
	for _, kind := range []compress.Kind{compress.Gzip, compress.None} {
		b.Run(kind.String(), func(b *testing.B) {
			dir := benchTree(b)
			var cw countWriter
			if _, err := Build(context.Background(), dir, &cw, BuildOptions{Compression: compress.None}); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(cw.n)
			b.ResetTimer()
			for b.Loop() {
				if _, err := Build(context.Background(), dir, io.Discard, BuildOptions{Compression: kind}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkValidate(b *testing.B) {
	for _, kind := range []compress.Kind{compress.Gzip, compress.None} {
		b.Run(kind.String(), func(b *testing.B) {
			img, size := benchImage(b, kind)
			b.SetBytes(size)
			b.ResetTimer()
			for b.Loop() {
				if _, err := Validate(context.Background(), bytes.NewReader(img), ValidateOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkImageID(b *testing.B) {
	img, size := benchImage(b, compress.Gzip)
	b.SetBytes(size)
	b.ResetTimer()
	for b.Loop() {
		if _, err := ImageID(context.Background(), bytes.NewReader(img)); err != nil {
			b.Fatal(err)
		}
	}
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }
