package compress

import (
	"bufio"
	"bytes"
	"errors"
	"hash/crc32"
	"io"
	"strings"
	"testing"

	"github.com/acikit/acikit/internal/errkind"
	"github.com/ulikunitz/xz"
)

// xzStreams makes xz files of data in the shapes the guard must follow.
func xzStreams(t *testing.T, data []byte) map[string][]byte {
	t.Helper()
	one := func(args ...string) []byte { return compressWith(t, data, "xz", "xz-utils", args...) }
	out := map[string][]byte{
		"default":      one("-c", "-T1"),
		"multi-block":  one("-c", "-T2", "--block-size=64KiB"),
		"check none":   one("-c", "-T1", "--check=none"),
		"check crc32":  one("-c", "-T1", "--check=crc32"),
		"check sha256": one("-c", "-T2", "--block-size=100KiB", "--check=sha256"),
		"preset 9":     one("-c", "-T1", "-9"),
		"empty":        compressWith(t, nil, "xz", "xz-utils", "-c"),
	}
	out["two streams, padding"] = append(append(bytes.Clone(out["default"]), 0, 0, 0, 0, 0, 0, 0, 0), out["multi-block"]...)
	return out
}

func TestXzGuard(t *testing.T) {
	data := sample(400 << 10)
	for name, z := range xzStreams(t, data) {
		t.Run(name, func(t *testing.T) {
			want := data
			if name == "empty" {
				want = nil
			} else if strings.HasPrefix(name, "two streams") {
				want = append(bytes.Clone(data), data...)
			}
			r, _, err := NewReader(bytes.NewReader(z))
			if err != nil {
				t.Fatalf("NewReader(%s) error %v", name, err)
			}
			got, err := io.ReadAll(r)
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("reading %s: %d bytes, %v; want the %d input bytes", name, len(got), err, len(want))
			}
		})
	}
}

// setXzDict rewrites the dictionary byte of the block header at off (and
// its CRC), as a hostile file would.
func setXzDict(t *testing.T, z []byte, off int, dict byte) []byte {
	t.Helper()
	z = bytes.Clone(z)
	size := (int(z[off]) + 1) * 4
	hdr := z[off : off+size]
	// Single-threaded xz writes flags 0, filter 0x21, props size 1.
	if hdr[1]&0xc3 != 0 || hdr[2] != 0x21 || hdr[3] != 1 {
		t.Fatalf("unexpected block header % x", hdr)
	}
	hdr[4] = dict
	crc := crc32.ChecksumIEEE(hdr[:size-4])
	hdr[size-4], hdr[size-3], hdr[size-2], hdr[size-1] = byte(crc), byte(crc>>8), byte(crc>>16), byte(crc>>24)
	return z
}

// TestXzDictEveryBlock: the dictionary limit holds for a later stream of
// a concatenation, not only for the first block.
func TestXzDictEveryBlock(t *testing.T) {
	small := compressWith(t, []byte("x"), "xz", "xz-utils", "-c", "-T1")
	zeros := compressWith(t, make([]byte, 8<<20), "xz", "xz-utils", "-c", "-T1", "-1")
	hostile := append(bytes.Clone(small), setXzDict(t, zeros, 12, 38)...) // 2 GiB
	r, _, err := NewReader(bytes.NewReader(hostile))
	if err == nil {
		_, err = io.Copy(io.Discard, r)
		r.Close()
	}
	if !errors.Is(err, errXzDict) || !errors.Is(err, errkind.Invalid) || !strings.Contains(err.Error(), "2048 MiB") {
		t.Errorf("reading xz whose second stream wants a 2 GiB dictionary: %v, want the dictionary limit error", err)
	}
	// The same stream with its own dictionary reads fine.
	ok := append(bytes.Clone(small), zeros...)
	r, _, err = NewReader(bytes.NewReader(ok))
	if err == nil {
		var n int64
		n, err = io.Copy(io.Discard, r)
		if err == nil && n != 1+8<<20 {
			t.Errorf("reading two xz streams: %d bytes, want %d", n, 1+8<<20)
		}
	}
	if err != nil {
		t.Errorf("reading two xz streams: %v", err)
	}
}

// FuzzXzGuard: the guard is transparent. Whatever the decoder reads
// without it, it reads the same through it, unless the guard found a
// dictionary over the limit.
func FuzzXzGuard(f *testing.F) {
	for _, in := range []string{"", "x", strings.Repeat("acikit ", 3000)} {
		var buf bytes.Buffer
		w, _ := xz.NewWriter(&buf)
		io.WriteString(w, in)
		w.Close()
		f.Add(buf.Bytes())
		f.Add(append(bytes.Clone(buf.Bytes()), append([]byte{0, 0, 0, 0}, buf.Bytes()...)...))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		const limit = 64 << 20
		decode := func(r io.Reader) ([]byte, error) {
			xr, err := xz.ReaderConfig{}.NewReader(r)
			if err != nil {
				return nil, err
			}
			return io.ReadAll(io.LimitReader(xr, 1<<20))
		}
		got, gerr := decode(newXzGuard(bufio.NewReader(bytes.NewReader(b)), limit))
		if errors.Is(gerr, errXzDict) {
			return
		}
		want, werr := decode(bytes.NewReader(b))
		if werr == nil && (gerr != nil || !bytes.Equal(got, want)) {
			t.Errorf("through the guard: %d bytes, %v; without: %d bytes", len(got), gerr, len(want))
		}
	})
}
