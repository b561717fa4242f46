package digest

import (
	"hash"
	"io"
)

// Hasher buffer geometry: big enough that channel hand-offs are rare, small
// enough to be irrelevant next to the decompressor's memory.
const (
	hasherBufSize = 256 << 10
	hasherBufs    = 4
)

// Hasher computes an image ID in a goroutine of its own. Bytes written to it
// (or read by ReadFrom) are copied into a few large buffers and handed over,
// so the caller can go on decompressing or compressing while the previous
// buffers are hashed. Call ID (or Close) exactly when done; a Hasher is not
// safe for concurrent use by several writers.
type Hasher struct {
	h    hash.Hash
	free chan []byte
	work chan []byte
	done chan struct{}
	cur  []byte
	n    int64
	id   string
	shut bool
}

// NewHasher starts a Hasher.
func NewHasher() *Hasher {
	hs := &Hasher{
		h:    New(),
		free: make(chan []byte, hasherBufs),
		work: make(chan []byte, hasherBufs),
		done: make(chan struct{}),
	}
	for range hasherBufs {
		hs.free <- make([]byte, 0, hasherBufSize)
	}
	go hs.run()
	return hs
}

func (hs *Hasher) run() {
	defer close(hs.done)
	for b := range hs.work {
		hs.h.Write(b)
		hs.free <- b[:0]
	}
}

func (hs *Hasher) buffer() []byte {
	if hs.cur == nil {
		hs.cur = <-hs.free
	}
	return hs.cur
}

func (hs *Hasher) send() {
	hs.work <- hs.cur
	hs.cur = nil
}

// Write queues a copy of p for hashing. It never fails.
func (hs *Hasher) Write(p []byte) (int, error) {
	if hs.shut {
		panic("digest: Write after ID or Close")
	}
	total := len(p)
	for len(p) > 0 {
		b := hs.buffer()
		n := copy(b[len(b):cap(b)], p)
		hs.cur = b[:len(b)+n]
		p = p[n:]
		if len(hs.cur) == cap(hs.cur) {
			hs.send()
		}
	}
	hs.n += int64(total)
	return total, nil
}

// ReadFrom hashes everything r yields, reading straight into the hashing
// buffers (no extra copy). It returns the byte count and r's error, nil at EOF.
func (hs *Hasher) ReadFrom(r io.Reader) (int64, error) {
	var total int64
	for {
		b := hs.buffer()
		n, err := r.Read(b[len(b):cap(b)])
		hs.cur = b[:len(b)+n]
		total += int64(n)
		hs.n += int64(n)
		if len(hs.cur) == cap(hs.cur) {
			hs.send()
		}
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

// Size is the number of bytes handed to the Hasher.
func (hs *Hasher) Size() int64 { return hs.n }

// ID waits for the hashing goroutine to finish and returns the image ID of
// everything written. Later calls return the same ID.
func (hs *Hasher) ID() string {
	if hs.shut {
		return hs.id
	}
	if len(hs.cur) > 0 {
		hs.send()
	}
	hs.stop()
	hs.id = FromHash(hs.h)
	return hs.id
}

// Close stops the goroutine without computing an ID (for error paths). It
// is safe after ID and safe to call twice.
func (hs *Hasher) Close() error {
	if !hs.shut {
		hs.stop()
	}
	return nil
}

func (hs *Hasher) stop() {
	hs.shut = true
	close(hs.work)
	<-hs.done
}

// ReaderID hashes everything r yields in a separate goroutine and returns
// the image ID and byte count.
func ReaderID(r io.Reader) (string, int64, error) {
	hs := NewHasher()
	n, err := hs.ReadFrom(r)
	if err != nil {
		hs.Close()
		return "", n, err
	}
	return hs.ID(), n, nil
}
