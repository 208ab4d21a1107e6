package zktest

import (
	"errors"
	"net"
	"sync"
	"testing"
	"time"
)

// Proxy is a TCP proxy on a loopback port for fault tests. Each accepted connection is
// paired with a new connection to the current target.
type Proxy struct {
	t  testing.TB
	ln net.Listener
	wg sync.WaitGroup // the accept loop and every pump goroutine; waited for by close

	mu        sync.Mutex // guards the fields below
	target    string
	blackhole bool
	latency   time.Duration  // added before each chunk is forwarded, each direction
	resume    chan struct{}  // closed (and replaced) when the blackhole is switched off
	conns     map[*pair]bool // current connection pairs
	closed    bool
}

// pair is one proxied connection: the accepted client side and the dialled server side.
type pair struct {
	client, server net.Conn
	once           sync.Once
	gone           chan struct{} // closed by close
}

func (c *pair) close() {
	c.once.Do(func() {
		c.client.Close()
		c.server.Close()
		close(c.gone)
	})
}

// NewProxy listens on a free loopback port and forwards connections to target. The
// proxy is closed, with all its connections, by t.Cleanup.
func NewProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("zktest: proxy listen: %v", err)
	}
	p := &Proxy{t: t, ln: ln, target: target, resume: make(chan struct{}), conns: map[*pair]bool{}}
	p.wg.Add(1)
	go p.acceptLoop()
	t.Cleanup(p.close)
	return p
}

// Addr returns the proxy's "127.0.0.1:PORT".
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// SetTarget makes new connections go to addr; current connections are kept.
func (p *Proxy) SetTarget(addr string) {
	p.mu.Lock()
	p.target = addr
	p.mu.Unlock()
}

// Blackhole switches the black hole on or off. While on, connections are still
// accepted and kept open, but no byte passes in either direction: bytes read meanwhile
// are held back, as a partitioned network would, and delivered in order once the
// black hole is switched off (unless the connection is closed first). Bytes already
// being written when it is switched on may still pass.
func (p *Proxy) Blackhole(on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.blackhole == on {
		return
	}
	p.blackhole = on
	if !on {
		close(p.resume)
		p.resume = make(chan struct{})
	}
}

// SetLatency delays every chunk of bytes by d before it is forwarded, in both
// directions (0 switches it off). Bytes keep their order; a chunk already
// waiting keeps the delay it started with.
func (p *Proxy) SetLatency(d time.Duration) {
	p.mu.Lock()
	p.latency = d
	p.mu.Unlock()
}

// CutAll closes every current connection, both the client and the server side.
func (p *Proxy) CutAll() {
	p.mu.Lock()
	cs := make([]*pair, 0, len(p.conns))
	for c := range p.conns {
		cs = append(cs, c)
	}
	p.mu.Unlock()
	for _, c := range cs {
		c.close()
	}
}

// close stops accepting, cuts every connection and waits for all goroutines.
func (p *Proxy) close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	p.ln.Close()
	p.CutAll()
	p.wg.Wait()
}

// acceptLoop is the proxy's accept goroutine; it ends when the listener is closed.
func (p *Proxy) acceptLoop() {
	defer p.wg.Done()
	for {
		client, err := p.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(10 * time.Millisecond)
			continue
		}
		p.mu.Lock()
		target := p.target
		p.mu.Unlock()
		server, err := net.DialTimeout("tcp", target, 10*time.Second)
		if err != nil {
			client.Close()
			continue
		}
		c := &pair{client: client, server: server, gone: make(chan struct{})}
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			c.close()
			return
		}
		p.conns[c] = true
		p.wg.Add(2)
		p.mu.Unlock()
		go p.pump(c, client, server)
		go p.pump(c, server, client)
	}
}

// pump copies src to dst, one goroutine per direction of a pair, until either side
// fails or the pair is closed; then it closes the pair.
func (p *Proxy) pump(c *pair, src, dst net.Conn) {
	defer p.wg.Done()
	defer func() {
		c.close()
		p.mu.Lock()
		delete(p.conns, c)
		p.mu.Unlock()
	}()
	buf := make([]byte, 32<<10)
	for {
		if !p.waitOpen(c) {
			return
		}
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			delay := p.latency
			p.mu.Unlock()
			if delay > 0 {
				select {
				case <-time.After(delay):
				case <-c.gone:
					return
				}
			}
			if !p.waitOpen(c) {
				return
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil { // io.EOF included: the pair closes as a whole
			return
		}
	}
}

// waitOpen blocks while the black hole is on; false when the pair was closed meanwhile.
func (p *Proxy) waitOpen(c *pair) bool {
	for {
		p.mu.Lock()
		on, resume := p.blackhole, p.resume
		p.mu.Unlock()
		if !on {
			select {
			case <-c.gone:
				return false
			default:
				return true
			}
		}
		select {
		case <-resume:
		case <-c.gone:
			return false
		}
	}
}
