package zkclient

import (
	"errors"
	"fmt"
	"net"
	"runtime"
	"sync"
	"time"

	"github.com/zkfs/zkfs/jute"
)

// conn is one TCP (or TLS) connection of a session, after the handshake.
//
// Goroutines: readLoop owns fr and the decoding; writeLoop owns the socket's
// write side and the ping timer. Both end when the connection fails; fail is
// the only way a conn ends and runs once.
type conn struct {
	c        *Client
	nc       net.Conn
	server   string
	fr       *jute.FrameReader
	timeout  time.Duration // negotiated session timeout
	readOnly bool

	wake chan struct{} // capacity 1: there is something in out
	done chan struct{} // closed by fail, after every pending request has failed
	wg   sync.WaitGroup

	// wmu is held by whoever writes to the socket (the writer, or a caller
	// writing its own frame on an idle connection), so that frames reach
	// the wire in xid order. Taken before mu, never while holding it,
	// except by TryLock.
	wmu sync.Mutex

	mu      sync.Mutex // guards the fields below
	out     []byte     // frames not yet written, in xid order
	pending []*request // written or queued, awaiting replies, oldest first
	head    int        // pending[head] is the oldest
	dead    bool
	closing bool  // closeSession was queued: nothing may follow it
	err     error // why it failed
}

func newConn(c *Client, nc net.Conn, server string, fr *jute.FrameReader, timeout time.Duration, ro bool) *conn {
	return &conn{c: c, nc: nc, server: server, fr: fr, timeout: timeout, readOnly: ro,
		wake: make(chan struct{}, 1), done: make(chan struct{})}
}

// start runs the reader and the writer.
func (cn *conn) start() {
	cn.wg.Add(2)
	go cn.readLoop()
	go cn.writeLoop()
}

// send queues r; false if the connection is already dead or closing the
// session (r was not sent and may be sent on another connection).
func (cn *conn) send(r *request) bool {
	cn.mu.Lock()
	if cn.dead || cn.closing {
		// After closeSession the server would answer SESSIONEXPIRED.
		cn.mu.Unlock()
		return false
	}
	if r.op == jute.OpCloseSession {
		cn.closing = true
	}
	if r.xid != jute.XidSetWatches {
		r.setXid(cn.c.nextXid())
	}
	// An idle connection (nothing outstanding, nothing queued) is written
	// by the caller itself: one wake-up less per call when calls come one
	// at a time. Under load the writer gathers many frames per write.
	direct := cn.head == len(cn.pending) && len(cn.out) == 0 && cn.wmu.TryLock()
	if !direct {
		cn.out = append(cn.out, r.buf...)
	}
	cn.pending = append(cn.pending, r)
	cn.mu.Unlock()
	if direct {
		cn.nc.SetWriteDeadline(time.Now().Add(cn.timeout * 2 / 3))
		_, err := cn.nc.Write(r.buf)
		cn.wmu.Unlock()
		if err != nil {
			cn.fail(fmt.Errorf("write to %s: %w", cn.server, err))
		}
		return true
	}
	select {
	case cn.wake <- struct{}{}:
	default:
	}
	return true
}

// sendRaw queues a frame that gets no pending entry (auth).
func (cn *conn) sendRaw(frame []byte) {
	cn.mu.Lock()
	cn.out = append(cn.out, frame...)
	cn.mu.Unlock()
	select {
	case cn.wake <- struct{}{}:
	default:
	}
}

// pop removes the oldest pending request.
func (cn *conn) pop() *request {
	cn.mu.Lock()
	defer cn.mu.Unlock()
	if cn.head == len(cn.pending) {
		return nil
	}
	r := cn.pending[cn.head]
	cn.pending[cn.head] = nil
	cn.head++
	if cn.head == len(cn.pending) {
		cn.pending, cn.head = cn.pending[:0], 0
	} else if cn.head >= 1024 && cn.head*2 >= len(cn.pending) {
		n := copy(cn.pending, cn.pending[cn.head:])
		clear(cn.pending[n:])
		cn.pending, cn.head = cn.pending[:n], 0
	}
	return r
}

// fail ends the connection: the socket is closed, every pending request
// gets ErrConnectionLoss, the client stops routing requests here, and done
// is closed. Safe to call from any goroutine, any number of times.
func (cn *conn) fail(err error) {
	cn.mu.Lock()
	if cn.dead {
		cn.mu.Unlock()
		return
	}
	cn.dead, cn.err = true, err
	pend := cn.pending[cn.head:]
	cn.pending, cn.out = nil, nil
	cn.mu.Unlock()

	cn.c.detach(cn)
	cn.nc.Close()
	for _, r := range pend {
		r.complete(ErrConnectionLoss)
	}
	close(cn.done)
}

// failed reports why the connection ended (nil while it lives).
func (cn *conn) failed() error {
	cn.mu.Lock()
	defer cn.mu.Unlock()
	return cn.err
}

var pingFrame = jute.AppendRequest(nil, jute.XidPing, jute.OpPing, nil)

// writeLoop writes queued frames, as many as have gathered per write, and
// pings when nothing was written for a third of the session timeout.
func (cn *conn) writeLoop() {
	defer cn.wg.Done()
	idle := cn.timeout / 3
	ping := time.NewTimer(idle)
	defer ping.Stop()
	var spare []byte
	for {
		select {
		case <-cn.done:
			return
		case <-cn.wake:
		case <-ping.C:
			cn.sendRaw(pingFrame)
			continue
		}
		// Let callers that were just woken queue their requests too, so
		// that under load one write carries many.
		runtime.Gosched()
		cn.wmu.Lock()
		cn.mu.Lock()
		buf := cn.out
		cn.out = spare
		cn.mu.Unlock()
		if len(buf) == 0 {
			cn.wmu.Unlock()
			spare = buf
			continue
		}
		cn.nc.SetWriteDeadline(time.Now().Add(cn.timeout * 2 / 3))
		_, err := cn.nc.Write(buf)
		cn.wmu.Unlock()
		if err != nil {
			cn.fail(fmt.Errorf("write to %s: %w", cn.server, err))
			return
		}
		ping.Reset(idle)
		if cap(buf) > 1<<20 {
			buf = nil
		}
		spare = buf[:0]
	}
}

// errProtocol marks a server that broke the protocol; the connection drops.
var errProtocol = errors.New("protocol violation")

// readLoop reads frames until the connection fails: replies go to the
// oldest pending request, notifications to the watch registry and the event
// queue. Nothing received for 2/3 of the session timeout means the
// connection is dead.
func (cn *conn) readLoop() {
	defer cn.wg.Done()
	c := cn.c
	var d jute.Decoder
	now := time.Now()
	for {
		cn.nc.SetReadDeadline(now.Add(cn.timeout * 2 / 3))
		frame, err := cn.fr.Next()
		if err != nil {
			cn.fail(fmt.Errorf("read from %s: %w", cn.server, err))
			return
		}
		now = time.Now()
		c.lastHeard.Store(now.UnixNano())
		d.Reset(frame)
		var h jute.ReplyHeader
		if err := h.Decode(&d); err != nil {
			cn.fail(fmt.Errorf("%w: reply header from %s: %w", errProtocol, cn.server, err))
			return
		}
		switch h.Xid {
		case jute.XidNotification:
			var ev jute.WatcherEvent
			if err := ev.Decode(&d); err != nil {
				cn.fail(fmt.Errorf("%w: watch event from %s: %w", errProtocol, cn.server, err))
				return
			}
			c.watches.onEvent(ev.Type, ev.Path)
			c.events.push(Event{Type: ev.Type, State: ev.State, Path: c.clientPath(ev.Path), Zxid: h.Zxid})
			continue
		case jute.XidPing:
			continue
		case jute.XidAuth:
			if h.Err != jute.ErrOK {
				cn.fail(&authError{code: h.Err})
				return
			}
			continue
		}
		r := cn.pop()
		if r == nil || r.xid != h.Xid {
			want := "none"
			if r != nil {
				want = fmt.Sprint(r.xid)
				defer r.complete(ErrConnectionLoss)
			}
			cn.fail(fmt.Errorf("%w: reply xid %d from %s, expected %s", errProtocol, h.Xid, cn.server, want))
			return
		}
		if h.Zxid > 0 {
			c.setLastZxid(h.Zxid)
		}
		if h.Err != jute.ErrOK {
			if h.Err == jute.ErrNoNode && r.watch == watchExist {
				c.watches.add(watchExist, r.wpath)
			}
			c.count(r.op, false)
			c.observe(r, h.Err, now)
			r.complete(errorFor(h.Err))
			continue
		}
		if err := r.decodeBody(&d); err != nil {
			// r belongs to its caller once completed: read it first.
			cn.fail(fmt.Errorf("%w: %v reply from %s: %w", errProtocol, r.op, cn.server, err))
			r.complete(ErrConnectionLoss)
			return
		}
		switch r.watch {
		case watchNone:
		case watchExist:
			c.watches.add(watchData, r.wpath)
		case watchRemove:
			for _, ev := range c.watches.remove(r.wpath, r.wtype) {
				c.events.push(Event{Type: ev, State: jute.StateSyncConnected, Path: c.clientPath(r.wpath), Zxid: -1})
			}
		default:
			c.watches.add(r.watch, r.wpath)
		}
		c.count(r.op, true)
		c.observe(r, jute.ErrOK, now)
		r.complete(nil)
	}
}

// authError is an AUTH_FAILED reply to an auth packet.
type authError struct{ code jute.ErrCode }

func (e *authError) Error() string { return "authentication failed: " + e.code.String() }
func (e *authError) Unwrap() error { return ErrAuthFailed }
