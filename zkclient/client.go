package zkclient

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zkfs/zkfs/jute"
)

// Client is one ZooKeeper session. It is safe for concurrent use.
type Client struct {
	cfg    Config
	hosts  []hostPort
	chroot string
	log    *slog.Logger

	watches *watchSet
	events  *eventQueue
	metrics metrics

	xid       atomic.Int32
	lastZxid  atomic.Int64 // highest zxid seen in a reply header (never a notification's)
	lastHeard atomic.Int64 // unix nanos of the last frame from any server

	closing     chan struct{} // closed by Close
	closeOnce   sync.Once
	sessionDone chan struct{} // closed when the session goroutine ends

	mu      sync.Mutex    // guards the fields below
	cur     *conn         // the live connection, nil while disconnected
	ready   chan struct{} // closed when cur is set or the client ends
	endErr  error         // set once the session ended: ErrSessionExpired, ErrAuthFailed, ErrClosed
	state   jute.KeeperState
	id      int64
	passwd  []byte
	timeout time.Duration // negotiated
	dialErr error         // why the last connection attempt failed
}

// lastDialErr returns why the last connection attempt failed (nil if none did).
func (c *Client) lastDialErr() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.dialErr
}

// Connect starts a session and waits until the first connection is up (or
// ctx ends, or the session cannot be had: authentication failed, no server).
// The Client then keeps the session alive until Close or expiry.
func Connect(ctx context.Context, cfg Config) (*Client, error) {
	hosts, chroot, err := parseServers(cfg.Servers)
	if err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults(len(hosts))
	c := &Client{
		cfg: cfg, hosts: hosts, chroot: chroot, log: cfg.Logger,
		watches: newWatchSet(),
		closing: make(chan struct{}), sessionDone: make(chan struct{}),
		ready: make(chan struct{}), state: jute.StateDisconnected,
	}
	c.events = newEventQueue(c.closing)
	first := make(chan error, 1)
	go c.run(first)
	select {
	case err := <-first:
		if err != nil {
			c.Close()
			return nil, err
		}
		return c, nil
	case <-ctx.Done():
		c.Close()
		if last := c.lastDialErr(); last != nil {
			return nil, fmt.Errorf("zkclient: connect to %s: %w (%w); last attempt: %v", cfg.Servers, ErrNoServer, ctx.Err(), last)
		}
		return nil, fmt.Errorf("zkclient: connect to %s: %w (%w)", cfg.Servers, ErrNoServer, ctx.Err())
	}
}

// Close ends the session (closeSession, so its ephemeral nodes go at once),
// fails calls in flight and stops every goroutine. It waits at most about a
// second for the server. Idempotent.
func (c *Client) Close() error {
	c.closeOnce.Do(func() { close(c.closing) })
	<-c.sessionDone
	<-c.events.closed
	return nil
}

// Events returns the channel of watch events and state changes. It is
// closed after the session ends (with a StateExpired, StateAuthFailed or
// StateClosed event; after Close, events not yet received are discarded).
// Read it continuously: events wait in an unbounded queue until read.
func (c *Client) Events() <-chan Event { return c.events.out }

// SessionID returns the session id (0 before the first connection).
func (c *Client) SessionID() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.id
}

// SessionTimeout returns the timeout the server negotiated (or the one
// asked for, before the first connection).
func (c *Client) SessionTimeout() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.timeout == 0 {
		return c.cfg.SessionTimeout
	}
	return c.timeout
}

// State returns the session state: StateSyncConnected,
// StateConnectedReadOnly, StateDisconnected, or a final StateExpired,
// StateAuthFailed or StateClosed.
func (c *Client) State() jute.KeeperState {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// Server returns the address of the server connected to, or "".
func (c *Client) Server() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cur == nil {
		return ""
	}
	return c.cur.server
}

// LastZxid returns the highest zxid seen in a reply.
func (c *Client) LastZxid() int64 { return c.lastZxid.Load() }

func (c *Client) setLastZxid(z int64) {
	for {
		old := c.lastZxid.Load()
		if z <= old || c.lastZxid.CompareAndSwap(old, z) {
			return
		}
	}
}

func (c *Client) heard() { c.lastHeard.Store(time.Now().UnixNano()) }

// nextXid returns the next request xid: positive, increasing, wrapping.
func (c *Client) nextXid() int32 {
	for {
		x := c.xid.Add(1)
		if x > 0 {
			return x
		}
		c.xid.CompareAndSwap(x, 0)
	}
}

// detach stops routing requests to cn (called by cn.fail).
func (c *Client) detach(cn *conn) {
	c.mu.Lock()
	if c.cur == cn {
		c.cur = nil
		c.ready = make(chan struct{})
		if c.endErr == nil {
			c.state = jute.StateDisconnected
		}
	}
	c.mu.Unlock()
}

// do sends r and waits for its reply. op and path name the call in errors.
// A request made while disconnected waits for the next connection. On
// return without error r holds the results; the caller releases it.
func (c *Client) do(ctx context.Context, r *request) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if c.cfg.OnReply != nil {
		r.sent = time.Now()
	}
	for {
		c.mu.Lock()
		cn, ready, end := c.cur, c.ready, c.endErr
		c.mu.Unlock()
		if end != nil {
			return end
		}
		if cn == nil {
			select {
			case <-ready:
				continue
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		if cn.send(r) {
			break
		}
		<-cn.done // it died before r was sent; the next connection will take it
	}
	if done := ctx.Done(); done != nil {
		select {
		case <-r.done:
		case <-done:
			return ctx.Err() // r is abandoned to the reader
		}
	} else {
		<-r.done
	}
	return r.err
}

// call runs r: finishes the frame, sends it, waits, and wraps any error.
// On success the caller reads r and releases it; on failure r is handled.
func (c *Client) call(ctx context.Context, r *request, op, path string) error {
	if err := r.finish(c.cfg.MaxFrame); err != nil {
		r.release()
		return opErr(op, path, err)
	}
	err := c.do(ctx, r)
	if err != nil {
		if ctx.Err() == nil || err != ctx.Err() {
			r.release()
		}
		return opErr(op, path, err)
	}
	return nil
}

// serverPath adds the chroot.
func (c *Client) serverPath(p string) string {
	if c.chroot == "" {
		return p
	}
	if p == "/" {
		return c.chroot
	}
	return c.chroot + p
}

// clientPath removes the chroot.
func (c *Client) clientPath(p string) string {
	if c.chroot == "" {
		return p
	}
	if p == c.chroot {
		return "/"
	}
	if strings.HasPrefix(p, c.chroot) && len(p) > len(c.chroot) && p[len(c.chroot)] == '/' {
		return p[len(c.chroot):]
	}
	return p
}
