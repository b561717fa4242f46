package compress

// Indexed gzip: the gzip streams we write are a series of independent gzip
// members, one per block of input, each carrying its own total length in an
// FEXTRA subfield ("AK", 4 bytes little endian), in the manner of BGZF. Any
// gzip reader (zcat, Go's gzip, the reference actool) reads them as one
// multi-member stream; our reader uses the lengths to find the members
// without inflating them and inflates several at once, so decompression is
// no longer bound to one core. The loss of ratio from the independent
// blocks is about 0.1% at 1 MiB blocks.

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"sync"

	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/gzip"
)

const (
	memberHeaderLen  = 20 // 10 fixed + XLEN (2) + subfield (4 + 4)
	memberTrailerLen = 8
	// A member is inflated in parallel only when its declared sizes are at
	// most these (our writer's default block, plus room for incompressible
	// data), since the reader holds several members and their outputs at
	// once: with 16 MiB allowed, a 500 KB file of 16 MiB members of zeros
	// cost 60 MB of memory on two cores and 300 MB on sixteen. A member over
	// the limits, like any foreign one, is read the standard, sequential way.
	maxMemberIn  = DefaultBlockSize + DefaultBlockSize/8
	maxMemberOut = DefaultBlockSize
	// maxMemberReaders caps the inflating goroutines (and so the members
	// held): the consumer, one tar reader, cannot use more.
	maxMemberReaders = 4
)

// memberHeader returns the header of an indexed member of total size n.
func memberHeader(n int) [memberHeaderLen]byte {
	var h [memberHeaderLen]byte
	copy(h[:], []byte{0x1f, 0x8b, 8, 0x04, 0, 0, 0, 0, 0, 0xff, 8, 0, 'A', 'K', 4, 0})
	binary.LittleEndian.PutUint32(h[16:], uint32(n))
	return h
}

// memberSize parses an indexed member header, returning its total size, or
// ok false when b does not start with one.
func memberSize(b []byte) (int, bool) {
	if len(b) < memberHeaderLen || b[0] != 0x1f || b[1] != 0x8b || b[2] != 8 || b[3] != 0x04 ||
		b[10] != 8 || b[11] != 0 || b[12] != 'A' || b[13] != 'K' || b[14] != 4 || b[15] != 0 {
		return 0, false
	}
	return int(binary.LittleEndian.Uint32(b[16:])), true
}

func isMember(b []byte) bool { _, ok := memberSize(b); return ok }

// memberWriter compresses blocks in parallel and writes them in order.
type memberWriter struct {
	w         io.Writer
	level     int
	blockSize int
	buf       []byte
	queue     chan *memberJob
	sem       chan struct{}
	done      chan struct{}
	mu        sync.Mutex
	err       error
	wrote     bool
	closed    bool
	pool      sync.Pool // *flate.Writer
	bufs      chan []byte
}

type memberJob struct {
	in   []byte
	out  bytes.Buffer
	done chan struct{}
}

func newMemberWriter(w io.Writer, level, blockSize, conc int) (*memberWriter, error) {
	if _, err := flate.NewWriter(io.Discard, level); err != nil {
		return nil, err
	}
	mw := &memberWriter{
		w: w, level: level, blockSize: blockSize,
		queue: make(chan *memberJob, conc),
		sem:   make(chan struct{}, conc),
		done:  make(chan struct{}),
		bufs:  make(chan []byte, conc+2),
	}
	go mw.output()
	return mw, nil
}

func (mw *memberWriter) setErr(err error) {
	mw.mu.Lock()
	if mw.err == nil {
		mw.err = err
	}
	mw.mu.Unlock()
}

func (mw *memberWriter) getErr() error {
	mw.mu.Lock()
	defer mw.mu.Unlock()
	return mw.err
}

func (mw *memberWriter) output() {
	defer close(mw.done)
	for j := range mw.queue {
		<-j.done
		if mw.getErr() == nil {
			if _, err := mw.w.Write(j.out.Bytes()); err != nil {
				mw.setErr(err)
			}
		}
		select {
		case mw.bufs <- j.in[:0]:
		default:
		}
	}
}

func (mw *memberWriter) submit() {
	j := &memberJob{in: mw.buf, done: make(chan struct{})}
	mw.buf = nil
	mw.wrote = true
	mw.sem <- struct{}{}
	go func() {
		defer func() { <-mw.sem; close(j.done) }()
		fw, _ := mw.pool.Get().(*flate.Writer)
		if fw == nil {
			fw, _ = flate.NewWriter(nil, mw.level)
		}
		h := memberHeader(0)
		j.out.Grow(len(j.in)/2 + 4096)
		j.out.Write(h[:])
		fw.Reset(&j.out)
		fw.Write(j.in)
		fw.Close()
		mw.pool.Put(fw)
		var t [memberTrailerLen]byte
		binary.LittleEndian.PutUint32(t[:4], crc32.ChecksumIEEE(j.in))
		binary.LittleEndian.PutUint32(t[4:], uint32(len(j.in)))
		j.out.Write(t[:])
		binary.LittleEndian.PutUint32(j.out.Bytes()[16:], uint32(j.out.Len()))
	}()
	mw.queue <- j
}

func (mw *memberWriter) Write(p []byte) (int, error) {
	if mw.closed {
		return 0, errors.New("gzip writer is closed")
	}
	if err := mw.getErr(); err != nil {
		return 0, err
	}
	total := len(p)
	for len(p) > 0 {
		if mw.buf == nil {
			select {
			case b := <-mw.bufs:
				mw.buf = b
			default:
				mw.buf = make([]byte, 0, mw.blockSize)
			}
		}
		n := copy(mw.buf[len(mw.buf):mw.blockSize], p)
		mw.buf = mw.buf[:len(mw.buf)+n]
		p = p[n:]
		if len(mw.buf) == mw.blockSize {
			mw.submit()
		}
	}
	return total, nil
}

// Close compresses what is left (an empty member if nothing was written,
// so the output is always a valid gzip stream) and waits for the output.
func (mw *memberWriter) Close() error {
	if mw.closed {
		return mw.getErr()
	}
	mw.closed = true
	if len(mw.buf) > 0 || !mw.wrote {
		if mw.buf == nil {
			mw.buf = []byte{}
		}
		mw.submit()
	}
	close(mw.queue)
	<-mw.done
	return mw.getErr()
}

// memberReader inflates indexed members in parallel, in order.
type memberReader struct {
	src     *bufio.Reader
	outs    chan []byte // recycled output blocks
	ins     chan []byte // recycled member buffers
	results chan *inflateJob
	quit    chan struct{}
	once    sync.Once
	cur     *inflateJob
	off     int
	err     error
}

type inflateJob struct {
	out  []byte
	err  error
	rest io.ReadCloser // set for the sequential tail (a foreign member)
	done chan struct{}
}

func newMemberReader(src *bufio.Reader, conc int) *memberReader {
	conc = max(1, min(conc, maxMemberReaders))
	mr := &memberReader{src: src, results: make(chan *inflateJob, conc), quit: make(chan struct{}),
		outs: make(chan []byte, conc+2), ins: make(chan []byte, conc+2)}
	go mr.produce(conc)
	return mr
}

func (mr *memberReader) send(j *inflateJob) bool {
	select {
	case mr.results <- j:
		return true
	case <-mr.quit:
		return false
	}
}

func (mr *memberReader) produce(conc int) {
	defer close(mr.results)
	sem := make(chan struct{}, conc)
	for {
		hdr, err := mr.src.Peek(memberHeaderLen)
		if len(hdr) == 0 && err == io.EOF {
			return
		}
		size, ok := memberSize(hdr)
		if !ok || size < memberHeaderLen+memberTrailerLen || size > maxMemberIn {
			// Not one of ours, junk, or too big to hold: read the rest
			// sequentially, the standard way, which also reports corruption.
			mr.sequential(mr.src)
			return
		}
		j := &inflateJob{done: make(chan struct{})}
		member := recycle(mr.ins, size)
		if _, err := io.ReadFull(mr.src, member); err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			j.err = err
			close(j.done)
			mr.send(j)
			return
		}
		if isize := binary.LittleEndian.Uint32(member[size-4:]); isize > maxMemberOut {
			mr.sequential(io.MultiReader(bytes.NewReader(member), mr.src))
			return
		}
		select {
		case sem <- struct{}{}:
		case <-mr.quit:
			return
		}
		go func() {
			defer func() { <-sem; close(j.done) }()
			j.out, j.err = inflateMember(member, recycle(mr.outs, 0))
			put(mr.ins, member)
		}()
		if !mr.send(j) {
			return
		}
	}
}

// sequential hands the rest of the stream, from r, to a standard gzip
// reader as the last job.
func (mr *memberReader) sequential(r io.Reader) {
	j := &inflateJob{done: make(chan struct{})}
	zr, err := gzip.NewReader(r)
	if err != nil {
		j.err = err
	} else {
		j.rest = zr
	}
	close(j.done)
	mr.send(j)
}

// inflaters recycles flate readers, whose windows and tables are worth
// keeping between members.
var inflaters sync.Pool

// recycle returns a buffer of length n from free, or a new one.
func recycle(free chan []byte, n int) []byte {
	select {
	case b := <-free:
		if cap(b) >= n {
			return b[:n]
		}
	default:
	}
	return make([]byte, n)
}

func put(free chan []byte, b []byte) {
	select {
	case free <- b:
	default:
	}
}

// inflateMember inflates one member into buf (reused when big enough).
func inflateMember(m, buf []byte) ([]byte, error) {
	t := m[len(m)-memberTrailerLen:]
	want, isize := binary.LittleEndian.Uint32(t), binary.LittleEndian.Uint32(t[4:])
	if isize > maxMemberOut {
		return nil, fmt.Errorf("gzip member declares %d bytes", isize)
	}
	out := buf[:0]
	if cap(out) >= int(isize) {
		out = out[:isize]
	} else {
		out = make([]byte, isize)
	}
	src := bytes.NewReader(m[memberHeaderLen : len(m)-memberTrailerLen])
	fr, _ := inflaters.Get().(io.ReadCloser)
	if fr == nil {
		fr = flate.NewReader(src)
	} else if err := fr.(flate.Resetter).Reset(src, nil); err != nil {
		return nil, err
	}
	defer inflaters.Put(fr)
	if _, err := io.ReadFull(fr, out); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, gzip.ErrChecksum // fewer bytes than the trailer says
		}
		return nil, err
	}
	var one [1]byte
	if n, err := fr.Read(one[:]); n != 0 || (err != nil && err != io.EOF) {
		if err != nil && err != io.EOF {
			return nil, err
		}
		return nil, gzip.ErrChecksum // more bytes than the trailer says
	}
	if crc32.ChecksumIEEE(out) != want {
		return nil, gzip.ErrChecksum
	}
	return out, nil
}

func (mr *memberReader) Read(p []byte) (int, error) {
	for {
		if mr.err != nil {
			return 0, mr.err
		}
		if mr.cur == nil {
			j, ok := <-mr.results
			if !ok {
				mr.err = io.EOF
				continue
			}
			<-j.done
			if j.err != nil {
				mr.err = j.err
				continue
			}
			mr.cur, mr.off = j, 0
		}
		if mr.cur.rest != nil {
			n, err := mr.cur.rest.Read(p)
			if err != nil {
				mr.err = err
			}
			if n > 0 || err != nil {
				return n, err
			}
			continue
		}
		if mr.off < len(mr.cur.out) {
			n := copy(p, mr.cur.out[mr.off:])
			mr.off += n
			return n, nil
		}
		put(mr.outs, mr.cur.out)
		mr.cur = nil
	}
}

func (mr *memberReader) Close() error {
	// The producer and inflaters notice quit and end on their own; waiting
	// for them could mean waiting for a slow source.
	mr.once.Do(func() { close(mr.quit) })
	return nil
}
