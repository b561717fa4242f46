package fetch

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"crypto/sha512"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/acikit/acikit/internal/store"
)

// The benchmark image: ACIKIT_BENCH_MB megabytes of tar (default 300),
// half random and half text-like, so gzip shrinks it about 2x as real root
// filesystems shrink. Made once under os.TempDir and reused by later runs.
// ACIKIT_BENCH_FILE names an existing image to use instead (make bench
// passes its own, and runs BenchmarkGzipDecode on it as the baseline).
var (
	benchOnce sync.Once
	benchDir  string
	benchErr  error
)

func benchImage(b *testing.B) (aciPath string) {
	if p := os.Getenv("ACIKIT_BENCH_FILE"); p != "" {
		return p
	}
	benchOnce.Do(func() {
		mb := 300
		if v, err := strconv.Atoi(os.Getenv("ACIKIT_BENCH_MB")); err == nil && v > 0 {
			mb = v
		}
		benchDir = filepath.Join(os.TempDir(), fmt.Sprintf("acikit-fetch-bench-%dmb", mb))
		if _, err := os.Stat(filepath.Join(benchDir, "big.aci")); err == nil {
			return
		}
		if benchErr = os.MkdirAll(benchDir, 0o755); benchErr != nil {
			return
		}
		f, err := os.Create(filepath.Join(benchDir, "big.aci.tmp"))
		if err != nil {
			benchErr = err
			return
		}
		bw := bufio.NewWriterSize(f, 1<<20)
		zw, _ := gzip.NewWriterLevel(bw, gzip.BestSpeed)
		tw := tar.NewWriter(zw)
		manifest := []byte(`{"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/hello","labels":[{"name":"version","value":"1.0"},{"name":"os","value":"linux"},{"name":"arch","value":"amd64"}]}`)
		tw.WriteHeader(&tar.Header{Name: "manifest", Mode: 0o644, Size: int64(len(manifest)), Typeflag: tar.TypeReg})
		tw.Write(manifest)
		tw.WriteHeader(&tar.Header{Name: "rootfs", Mode: 0o755, Typeflag: tar.TypeDir})
		rng := rand.NewChaCha8([32]byte{7})
		words := bytes.Fields([]byte("the quick brown fox jumps over a lazy dog while images are fetched verified and stored in one pass"))
		buf := make([]byte, 4<<20)
		for i := 0; i < mb/4; i++ {
			half := len(buf) / 2
			rng.Read(buf[:half])
			p := buf[half:half]
			for len(p) < half-16 {
				p = append(p, words[rng.Uint64()%uint64(len(words))]...)
				p = append(p, ' ')
			}
			p = p[:half]
			tw.WriteHeader(&tar.Header{Name: fmt.Sprintf("rootfs/f%04d", i), Mode: 0o644, Size: int64(len(buf)), Typeflag: tar.TypeReg})
			tw.Write(buf)
		}
		tw.Close()
		zw.Close()
		bw.Flush()
		f.Close()
		benchErr = os.Rename(f.Name(), filepath.Join(benchDir, "big.aci"))
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return filepath.Join(benchDir, "big.aci")
}

// BenchmarkFetch fetches, verifies (signature and image ID) and stores the
// benchmark image from a loopback http server.
func BenchmarkFetch(b *testing.B) {
	p := benchImage(b)
	data, err := os.ReadFile(p)
	if err != nil {
		b.Fatal(err)
	}
	sig := sign(b, "hello", data)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/big.aci":
			http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(data))
		case "/big.aci.asc":
			w.Write(sig)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	ts := newTrust(b)
	st, err := store.Open(filepath.Join(b.TempDir(), "store"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	f, err := New(Options{Store: st, Trust: ts, Insecure: Insecure{HTTP: true}})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := f.Fetch(context.Background(), srv.URL+"/big.aci")
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		st.Remove(res[0].ID)
		b.StartTimer()
	}
}

// BenchmarkGzipDecode is the bound: klauspost gzip decoding of the same
// file, nothing else.
func BenchmarkGzipDecode(b *testing.B) {
	p := benchImage(b)
	fi, _ := os.Stat(p)
	b.SetBytes(fi.Size())
	for i := 0; i < b.N; i++ {
		f, _ := os.Open(p)
		zr, err := gzip.NewReader(bufio.NewReaderSize(f, 1<<20))
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, zr)
		f.Close()
	}
}

// BenchmarkGzipDecodeSHA512 decodes and hashes in one goroutine.
func BenchmarkGzipDecodeSHA512(b *testing.B) {
	p := benchImage(b)
	fi, _ := os.Stat(p)
	b.SetBytes(fi.Size())
	for i := 0; i < b.N; i++ {
		f, _ := os.Open(p)
		zr, _ := gzip.NewReader(bufio.NewReaderSize(f, 1<<20))
		h := sha512.New()
		io.Copy(h, zr)
		f.Close()
	}
}
