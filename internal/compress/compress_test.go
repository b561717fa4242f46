package compress

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"os/exec"
	"strings"
	"testing"

	"github.com/acikit/acikit/internal/errkind"
	"github.com/acikit/acikit/internal/testutil"
)

// sample is compressible but not trivial.
func sample(n int) []byte {
	r := rand.New(rand.NewPCG(1, 2))
	words := []string{"rootfs", "manifest", "etc", "usr", "bin", "\x00\x00\x00\x00", "lib", "share"}
	var b bytes.Buffer
	for b.Len() < n {
		b.WriteString(words[r.IntN(len(words))])
		if r.IntN(9) == 0 {
			b.WriteByte(byte(r.Uint32()))
		}
	}
	return b.Bytes()[:n]
}

func tarHeaderBlock() []byte {
	b := make([]byte, 512)
	copy(b, "rootfs")
	copy(b[257:], "ustar\x0000")
	return b
}

func TestDetect(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want Kind
	}{
		{"gzip", []byte{0x1f, 0x8b, 8, 0}, Gzip},
		{"bzip2", []byte("BZh91AY&SY"), Bzip2},
		{"bzip2 bad level", []byte("BZhx"), Unknown},
		{"xz", []byte{0xfd, '7', 'z', 'X', 'Z', 0, 0, 4}, Xz},
		{"zstd", []byte{0x28, 0xb5, 0x2f, 0xfd, 0}, Zstd},
		{"tar", tarHeaderBlock(), None},
		{"gnu tar", append(append(make([]byte, 257), "ustar  \x00"...), make([]byte, 247)...), None},
		{"empty", nil, Unknown},
		{"text", []byte(`{"acKind":"ImageManifest"}`), Unknown},
		{"short tar", tarHeaderBlock()[:260], Unknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Detect(tt.in); got != tt.want {
				t.Errorf("Detect(%q) = %v, want %v", tt.in, got, tt.want)
			}
			br := bufio.NewReader(bytes.NewReader(tt.in))
			got, err := Sniff(br)
			if err != nil || got != tt.want {
				t.Errorf("Sniff(%q) = %v, %v, want %v, nil", tt.in, got, err, tt.want)
			}
			// Sniff must not consume anything.
			rest, _ := io.ReadAll(br)
			if !bytes.Equal(rest, tt.in) {
				t.Errorf("after Sniff the reader yields %d bytes, want %d", len(rest), len(tt.in))
			}
		})
	}
}

func TestParseKind(t *testing.T) {
	for _, k := range []Kind{None, Gzip, Bzip2, Xz, Zstd} {
		if got, ok := ParseKind(k.String()); !ok || got != k {
			t.Errorf("ParseKind(%q) = %v, %v, want %v, true", k.String(), got, ok, k)
		}
	}
	if _, ok := ParseKind("unknown"); ok {
		t.Errorf("ParseKind(unknown) = _, true, want false")
	}
}

// compressWith runs a system compressor over data.
func compressWith(t *testing.T, data []byte, tool, pkg string, args ...string) []byte {
	t.Helper()
	p := testutil.RequireCommand(t, tool, pkg)
	cmd := exec.Command(p, args...)
	cmd.Stdin = bytes.NewReader(data)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %v: %v", tool, args, err)
	}
	return out
}

var systemTools = []struct {
	kind      Kind
	tool, pkg string
	args      []string
}{
	{Gzip, "gzip", "gzip", []string{"-c"}},
	{Bzip2, "bzip2", "bzip2", []string{"-c"}},
	{Xz, "xz", "xz-utils", []string{"-c", "-T1"}},
	{Zstd, "zstd", "zstd", []string{"-q", "-c"}},
}

func TestNewReaderSystemTools(t *testing.T) {
	data := sample(3 << 20)
	for _, st := range systemTools {
		t.Run(st.tool, func(t *testing.T) {
			z := compressWith(t, data, st.tool, st.pkg, st.args...)
			for _, o := range []ReaderOptions{{}, {NoReadAhead: true}} {
				r, kind, err := NewReaderOptions(bytes.NewReader(z), o)
				if err != nil {
					t.Fatalf("NewReader(%s) error %v", st.tool, err)
				}
				if kind != st.kind {
					t.Errorf("NewReader(%s) kind = %v, want %v", st.tool, kind, st.kind)
				}
				got, err := io.ReadAll(r)
				if err != nil {
					t.Fatalf("read %s stream: %v", st.tool, err)
				}
				if !bytes.Equal(got, data) {
					t.Errorf("NewReader(%s) yields %d bytes differing from the %d input bytes", st.tool, len(got), len(data))
				}
				if err := r.Close(); err != nil {
					t.Errorf("Close() = %v", err)
				}
			}
		})
	}
}

func TestNewReaderPlainTar(t *testing.T) {
	in := append(tarHeaderBlock(), sample(5000)...)
	r, kind, err := NewReader(bytes.NewReader(in))
	if err != nil || kind != None {
		t.Fatalf("NewReader(tar) = %v, %v, want None, nil", kind, err)
	}
	got, _ := io.ReadAll(r)
	if !bytes.Equal(got, in) {
		t.Errorf("plain tar passthrough changed the bytes")
	}
}

func TestNewReaderBadStreams(t *testing.T) {
	data := sample(1 << 20)
	for _, st := range systemTools {
		z := compressWith(t, data, st.tool, st.pkg, st.args...)
		corrupt := bytes.Clone(z)
		for i := len(corrupt) / 2; i < len(corrupt)/2+64; i++ {
			corrupt[i] ^= 0x55
		}
		for _, c := range []struct {
			name string
			in   []byte
			want string
		}{
			{"truncated", z[:len(z)/2], "truncated " + st.kind.String() + " stream"},
			{"truncated header", z[:6], st.kind.String() + " stream"},
			{"corrupt", corrupt, st.kind.String() + " stream"},
		} {
			t.Run(st.tool+"/"+c.name, func(t *testing.T) {
				r, _, err := NewReader(bytes.NewReader(c.in))
				if err == nil {
					_, err = io.Copy(io.Discard, r)
					r.Close()
				}
				if err == nil {
					t.Fatalf("reading a %s %s stream: no error", c.name, st.tool)
				}
				if !strings.Contains(err.Error(), c.want) || !errors.Is(err, errkind.Invalid) {
					t.Errorf("reading a %s %s stream: error %q (invalid %v), want it to contain %q and be errkind.Invalid",
						c.name, st.tool, err, errors.Is(err, errkind.Invalid), c.want)
				}
			})
		}
	}
}

func TestNewReaderUnknown(t *testing.T) {
	_, _, err := NewReader(strings.NewReader("hello"))
	if !errors.Is(err, ErrUnknownFormat) || !errors.Is(err, errkind.Invalid) {
		t.Errorf("NewReader(text) error = %v, want ErrUnknownFormat marked Invalid", err)
	}
}

type failingReader struct {
	r   io.Reader
	n   int
	err error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, f.err
	}
	if len(p) > f.n {
		p = p[:f.n]
	}
	n, err := f.r.Read(p)
	f.n -= n
	return n, err
}

func TestNewReaderSourceError(t *testing.T) {
	data := sample(1 << 20)
	z := compressWith(t, data, "gzip", "gzip", "-c")
	boom := errors.New("connection reset")
	r, _, err := NewReaderOptions(&failingReader{r: bytes.NewReader(z), n: len(z) / 2, err: boom}, ReaderOptions{BufferSize: 4096})
	if err == nil {
		_, err = io.Copy(io.Discard, r)
		r.Close()
	}
	if !errors.Is(err, boom) || errors.Is(err, errkind.Invalid) {
		t.Errorf("read with failing source: error %v, want the source error, not marked Invalid", err)
	}
}

func TestXzDictLimit(t *testing.T) {
	z := compressWith(t, sample(1000), "xz", "xz-utils", "-c", "--lzma2=dict=128MiB")
	_, _, err := NewReader(bytes.NewReader(z))
	if err == nil || !errors.Is(err, errkind.Invalid) || !strings.Contains(err.Error(), "dictionary") {
		t.Errorf("NewReader(xz with 128 MiB dict) error = %v, want a dictionary limit error", err)
	}
	if _, _, err := NewReaderOptions(bytes.NewReader(z), ReaderOptions{MaxXzDict: 256 << 20}); err != nil {
		t.Errorf("NewReader(xz with 128 MiB dict, limit 256 MiB) error = %v, want nil", err)
	}
}

func TestZstdWindowLimit(t *testing.T) {
	z := compressWith(t, sample(1000), "zstd", "zstd", "-q", "-c", "--long=30")
	r, _, err := NewReader(bytes.NewReader(z))
	if err == nil {
		_, err = io.Copy(io.Discard, r)
	}
	if err == nil || !errors.Is(err, errkind.Invalid) {
		t.Errorf("reading zstd with a 1 GiB window: error %v, want an Invalid error", err)
	}
}

func TestWriterRoundTrip(t *testing.T) {
	data := sample(5 << 20)
	for _, kind := range []Kind{None, Gzip, Zstd} {
		t.Run(kind.String(), func(t *testing.T) {
			var outs [][]byte
			for _, conc := range []int{1, 3} {
				var buf bytes.Buffer
				w, err := NewWriter(&buf, kind, WriterOptions{Concurrency: conc})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := io.Copy(w, bytes.NewReader(data)); err != nil {
					t.Fatal(err)
				}
				if err := w.Close(); err != nil {
					t.Fatal(err)
				}
				outs = append(outs, buf.Bytes())
				if kind == None {
					if !bytes.Equal(buf.Bytes(), data) {
						t.Errorf("NewWriter(none) changed the bytes")
					}
					continue
				}
				r, k, err := NewReader(&buf)
				if err != nil || k != kind {
					t.Fatalf("NewReader(our %s) = %v, %v", kind, k, err)
				}
				got, err := io.ReadAll(r)
				if err != nil || !bytes.Equal(got, data) {
					t.Errorf("round trip through %s (concurrency %d): %d bytes, err %v, want %d bytes", kind, conc, len(got), err, len(data))
				}
			}
			if !bytes.Equal(outs[0], outs[1]) {
				t.Errorf("%s output differs between concurrency 1 and 3", kind)
			}
		})
	}
	if _, err := NewWriter(io.Discard, Xz, WriterOptions{}); err == nil {
		t.Errorf("NewWriter(xz) error = nil, want an error")
	}
}

func TestGzipReadableBySystem(t *testing.T) {
	p := testutil.RequireCommand(t, "gzip", "gzip")
	data := sample(3 << 20)
	var buf bytes.Buffer
	w, _ := NewWriter(&buf, Gzip, WriterOptions{})
	w.Write(data)
	w.Close()
	cmd := exec.Command(p, "-dc")
	cmd.Stdin = &buf
	out, err := cmd.Output()
	if err != nil || !bytes.Equal(out, data) {
		t.Errorf("gzip -dc of our output: %d bytes, %v; want %d bytes", len(out), err, len(data))
	}
}

func FuzzSniff(f *testing.F) {
	f.Add([]byte{0x1f, 0x8b})
	f.Add(tarHeaderBlock())
	f.Add([]byte("BZh9"))
	f.Fuzz(func(t *testing.T, b []byte) {
		k := Detect(b)
		if k2, err := Sniff(bufio.NewReader(bytes.NewReader(b))); err != nil || k2 != k {
			t.Errorf("Sniff = %v, %v, Detect = %v", k2, err, k)
		}
	})
}

func FuzzNewReader(f *testing.F) {
	for _, k := range []Kind{Gzip, Zstd} {
		var buf bytes.Buffer
		w, _ := NewWriter(&buf, k, WriterOptions{Concurrency: 1})
		w.Write(sample(2000))
		w.Close()
		f.Add(buf.Bytes())
	}
	f.Add([]byte{0xfd, '7', 'z', 'X', 'Z', 0, 0, 4, 0xe6, 0xd6, 0xb4, 0x46, 2, 0, 0x21, 1, 40, 0, 0, 0})
	f.Add([]byte("BZh91AY&SY"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, _, err := NewReader(bytes.NewReader(b))
		if err != nil {
			return
		}
		defer r.Close()
		// Bounded: a fuzzed stream may expand a lot.
		io.Copy(io.Discard, io.LimitReader(r, 64<<20))
	})
}
