package fs

import (
	"context"
	"sync"
	"time"
)

// opCtx is the context of the ZooKeeper calls made for one kernel request:
// the request's own context (the kernel can interrupt it) bounded by
// Options.OpTimeout. Most requests are answered from the cache and never
// wait on it, so its timer is set up only when something asks for Done (a
// call that goes to the server, or a context derived from it): a cache hit
// then costs neither a timer nor the goroutine the context package starts
// to follow go-fuse's request context. Err and Deadline answer without
// arming it.
type opCtx struct {
	context.Context           // the kernel request's context
	deadline        time.Time // when OpTimeout runs out

	mu      sync.Mutex // guards the fields below
	armed   context.Context
	cancel  context.CancelFunc
	stopped bool // the handler is done: cancel what is armed, arm nothing live
}

// newOpCtx returns parent bounded by timeout, and its cancel function.
func newOpCtx(parent context.Context, timeout time.Duration) (context.Context, context.CancelFunc) {
	c := &opCtx{Context: parent, deadline: time.Now().Add(timeout)}
	return c, c.stop
}

func (c *opCtx) Deadline() (time.Time, bool) {
	if d, ok := c.Context.Deadline(); ok && d.Before(c.deadline) {
		return d, true
	}
	return c.deadline, true
}

func (c *opCtx) Done() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.armed == nil {
		c.armed, c.cancel = context.WithDeadline(c.Context, c.deadline)
		if c.stopped {
			c.cancel()
		}
	}
	return c.armed.Done()
}

func (c *opCtx) Err() error {
	c.mu.Lock()
	armed, stopped := c.armed, c.stopped
	c.mu.Unlock()
	switch {
	case armed != nil:
		return armed.Err()
	case c.Context.Err() != nil:
		return c.Context.Err()
	case stopped:
		return context.Canceled
	case !time.Now().Before(c.deadline):
		return context.DeadlineExceeded
	}
	return nil
}

// stop releases the timer, if one was armed.
func (c *opCtx) stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stopped = true
	if c.cancel != nil {
		c.cancel()
	}
}
