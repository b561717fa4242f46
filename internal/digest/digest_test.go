package digest

import (
	"bytes"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/acikit/acikit/internal/errkind"
)

func want(b []byte) string {
	s := sha512.Sum512(b)
	return "sha512-" + hex.EncodeToString(s[:])
}

func data(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i/251)
	}
	return b
}

func TestHashers(t *testing.T) {
	for _, n := range []int{0, 1, 511, hasherBufSize - 1, hasherBufSize, hasherBufSize + 1, 5*hasherBufSize + 17} {
		in := data(n)
		w := want(in)
		if got := Bytes(in); got != w {
			t.Errorf("Bytes(%d bytes) = %s, want %s", n, got, w)
		}
		r := NewReader(bytes.NewReader(in))
		io.Copy(io.Discard, r)
		if r.ID() != w || r.Size() != int64(n) {
			t.Errorf("Reader over %d bytes: %s, %d, want %s, %d", n, r.ID(), r.Size(), w, n)
		}
		var sink bytes.Buffer
		wr := NewWriter(&sink)
		io.Copy(wr, bytes.NewReader(in))
		if wr.ID() != w || !bytes.Equal(sink.Bytes(), in) {
			t.Errorf("Writer over %d bytes: %s, want %s and bytes passed on", n, wr.ID(), w)
		}
		hs := NewHasher()
		// Odd-sized writes cross buffer boundaries.
		for p := in; len(p) > 0; {
			k := min(len(p), 1000)
			hs.Write(p[:k])
			p = p[k:]
		}
		if got := hs.ID(); got != w || hs.Size() != int64(n) {
			t.Errorf("Hasher.Write over %d bytes: %s, want %s", n, got, w)
		}
		if got := hs.ID(); got != w {
			t.Errorf("second Hasher.ID() = %s, want %s", got, w)
		}
		id, size, err := ReaderID(iotest.HalfReader(bytes.NewReader(in)))
		if id != w || size != int64(n) || err != nil {
			t.Errorf("ReaderID(%d bytes) = %s, %d, %v, want %s, %d, nil", n, id, size, err, w, n)
		}
	}
}

func TestReaderIDError(t *testing.T) {
	boom := errors.New("boom")
	_, _, err := ReaderID(iotest.ErrReader(boom))
	if !errors.Is(err, boom) {
		t.Errorf("ReaderID(failing) error = %v, want %v", err, boom)
	}
	hs := NewHasher()
	hs.Write([]byte("x"))
	hs.Close()
	hs.Close()
}

func TestCheck(t *testing.T) {
	good := want(nil)
	tests := []struct {
		in   string
		want string // substring of the error, "" for valid
	}{
		{good, ""},
		{"sha256-" + good[7:], "want prefix"},
		{good[:len(good)-1], "want 128 hex digits"},
		{good + "0", "want 128 hex digits"},
		{"sha512-zz", "want 128 hex digits"},
		{strings.ToUpper(good[:7]) + good[7:], "want prefix"},
		{good[:7] + strings.ToUpper(good[7:]), "lowercase"},
	}
	for _, tt := range tests {
		err := Check(tt.in)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("Check(%q) = %v, want nil", tt.in, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, errkind.Invalid) || !errors.Is(err, ErrBadID)):
			t.Errorf("Check(%q) = %v, want an Invalid ErrBadID containing %q", tt.in, err, tt.want)
		}
	}
	if got := Short(good); len(got) != 39 || !strings.HasPrefix(good, got) {
		t.Errorf("Short(%q) = %q, want its first 39 characters", good, got)
	}
	if got := Short("sha512-ab"); got != "sha512-ab" {
		t.Errorf("Short(sha512-ab) = %q, want it unchanged", got)
	}
}

func BenchmarkHasher(b *testing.B) {
	in := data(8 << 20)
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		ReaderID(bytes.NewReader(in))
	}
}
