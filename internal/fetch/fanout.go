package fetch

import (
	"context"
	"io"
	"sync"
	"sync/atomic"
)

// The one-pass fan-out: the main loop reads the download once and hands
// each chunk to several consumers (signature check, ACI validation) that run
// in their own goroutines, so inflating, hashing and signature hashing use
// the free cores instead of taking turns. Chunks are shared read-only and
// recycled when every consumer is done with them; the channel depth bounds
// memory (depth × chunkSize per consumer).
const (
	chunkSize  = 256 << 10
	chunkDepth = 8
)

var chunkPool = sync.Pool{New: func() any { return &chunk{buf: make([]byte, chunkSize)} }}

type chunk struct {
	buf  []byte
	n    int
	refs atomic.Int32
}

func (c *chunk) release() {
	if c.refs.Add(-1) == 0 {
		chunkPool.Put(c)
	}
}

// consumer is the reading side of one fan-out branch.
type consumer struct {
	ch   chan *chunk
	done chan struct{} // closed when the consumer stopped reading
	once sync.Once
	cur  *chunk
	off  int
}

func newConsumer() *consumer {
	return &consumer{ch: make(chan *chunk, chunkDepth), done: make(chan struct{})}
}

func (c *consumer) Read(p []byte) (int, error) {
	for c.cur == nil {
		ch, ok := <-c.ch
		if !ok {
			return 0, io.EOF
		}
		if ch.n == 0 {
			ch.release()
			continue
		}
		c.cur, c.off = ch, 0
	}
	n := copy(p, c.cur.buf[c.off:c.cur.n])
	c.off += n
	if c.off == c.cur.n {
		c.cur.release()
		c.cur = nil
	}
	return n, nil
}

// stop tells the producer this branch reads no more.
func (c *consumer) stop() { c.once.Do(func() { close(c.done) }) }

// fanout runs each consumer function in its own goroutine on its own branch
// and returns a function that copies src into sink and every branch, then
// waits for the consumers. A consumer that returns early stops receiving;
// its error (the first one) cancels the copy.
type fanout struct {
	branches []*consumer
	wg       sync.WaitGroup
	cancel   context.CancelFunc
	mu       sync.Mutex
	first    error
}

// fail records the first error and stops everything: later errors are
// mostly consequences (a branch cut off mid-stream sees a truncated input).
func (f *fanout) fail(err error) {
	f.mu.Lock()
	if f.first == nil {
		f.first = err
	}
	f.mu.Unlock()
	f.cancel()
}

func newFanout(ctx context.Context, fns ...func(ctx context.Context, r io.Reader) error) (*fanout, context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	f := &fanout{cancel: cancel}
	for _, fn := range fns {
		c := newConsumer()
		f.branches = append(f.branches, c)
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			defer c.stop()
			if err := fn(ctx, c); err != nil {
				f.fail(err)
				return
			}
			// Drain so the producer never blocks on a consumer that finished
			// before EOF (a tar reader stops at the end-of-archive marker).
			for ch := range c.ch {
				ch.release()
			}
		}()
	}
	return f, ctx
}

// run copies src to sink and the branches, waits for the consumers and
// returns the first failure.
func (f *fanout) run(ctx context.Context, src io.Reader, sink io.Writer) error {
	if err := f.copy(ctx, src, sink); err != nil {
		f.fail(err)
	}
	for _, c := range f.branches {
		close(c.ch)
	}
	f.wg.Wait()
	f.cancel()
	return f.first
}

func (f *fanout) copy(ctx context.Context, src io.Reader, sink io.Writer) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		ch := chunkPool.Get().(*chunk)
		n, rerr := fill(src, ch.buf)
		ch.n = n
		if n > 0 {
			if _, err := sink.Write(ch.buf[:n]); err != nil {
				chunkPool.Put(ch)
				return err
			}
			ch.refs.Store(int32(len(f.branches)) + 1)
			for _, c := range f.branches {
				select {
				case c.ch <- ch:
				case <-c.done:
					ch.release()
				case <-ctx.Done():
					ch.release()
				}
			}
			ch.release()
		} else {
			chunkPool.Put(ch)
		}
		if rerr == io.EOF {
			return nil
		}
		if rerr != nil {
			return rerr
		}
	}
}

// fill reads until buf is full or src fails (io.ReadFull would turn a source's
// own io.ErrUnexpectedEOF, a truncated body, into a clean end).
func fill(src io.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := src.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
