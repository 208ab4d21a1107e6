package cache

import (
	"github.com/zkfs/zkfs/jute"
	"github.com/zkfs/zkfs/zkclient"
)

// runEvents is the event goroutine: the only consumer of the current client's Events(), in
// order. It applies node events to the cache, revalidates after a reconnect and replaces the
// session after expiry (or any other end of the event stream not caused by Close). It returns
// when the cache is closed; Close waits for it through eventsDone.
func (c *Cache) runEvents(cl *zkclient.Client) {
	defer close(c.eventsDone)
	for {
		for ev := range cl.Events() {
			c.handleEvent(cl, ev)
		}
		if c.isClosed() {
			return
		}
		c.log.Warn("zookeeper session ended; starting a new one", "session", cl.SessionID(), "state", cl.State().String())
		c.mu.Lock()
		c.disconnected = false
		c.dropAll()
		c.mu.Unlock()
		next := c.replaceSession(cl)
		if next == nil {
			return
		}
		cl = next
	}
}

// handleEvent applies one event from cl (the event goroutine's current client).
func (c *Cache) handleEvent(cl *zkclient.Client, ev zkclient.Event) {
	if ev.Type == jute.EventNone {
		c.handleState(cl, ev.State)
		return
	}
	if inv, ok := c.applyNodeEvent(ev); ok {
		c.inval.push(inv...)
	}
}

// handleState reacts to a session state change.
func (c *Cache) handleState(cl *zkclient.Client, st jute.KeeperState) {
	switch st {
	case jute.StateDisconnected:
		c.log.Info("zookeeper connection lost; cache will be revalidated on reconnect")
		c.stats.losses.Add(1)
		c.mu.Lock()
		c.disconnected = true
		c.noteAll() // replies received before the loss may predate changes we will not hear of
		c.mu.Unlock()
	case jute.StateSyncConnected, jute.StateConnectedReadOnly:
		c.mu.Lock()
		was := c.disconnected
		c.mu.Unlock()
		if was {
			c.revalidate(cl)
		}
	case jute.StateExpired:
		c.log.Warn("zookeeper session expired", "session", cl.SessionID())
		c.stats.expirations.Add(1)
		c.mu.Lock()
		c.disconnected = false
		c.dropAll()
		c.mu.Unlock()
	case jute.StateAuthFailed:
		c.log.Error("zookeeper authentication failed", "session", cl.SessionID())
	}
}

// applyNodeEvent applies a watch notification under Cache.mu and returns the invalidations to
// publish (after the lock is released, so they are sent after the cache was updated).
func (c *Cache) applyNodeEvent(ev zkclient.Event) ([]Invalidation, bool) {
	p := ev.Path
	if p == "" || p[0] != '/' {
		c.log.Warn("ignoring watch event with a bad path", "type", ev.Type.String(), "path", p)
		return nil, false
	}
	pp := parentPath(p)
	c.mu.Lock()
	defer c.mu.Unlock()
	switch ev.Type {
	case jute.EventNodeCreated:
		c.noteEvent(p, pp)
		// A new incarnation: nothing cached for p or below it can be kept.
		c.removeSubtree(c.lookup(p))
		if par := c.lookup(pp); par != nil {
			if par.negative {
				par.negative = false
			}
			par.addChild(baseName(p))
			par.dropStat()
			c.updated(par)
		}
		return []Invalidation{{Kind: Created, Path: p}}, true
	case jute.EventNodeDeleted:
		if p == "/" {
			// The chroot itself was deleted: nothing is left.
			c.dropAll()
			return []Invalidation{{Kind: Deleted, Path: p}, {Kind: All}}, true
		}
		c.noteEvent(p, pp)
		c.removeSubtree(c.lookup(p))
		if par := c.lookup(pp); par != nil {
			par.removeChild(baseName(p))
			par.dropStat()
			c.updated(par)
		}
		return []Invalidation{{Kind: Deleted, Path: p}}, true
	case jute.EventNodeDataChanged:
		c.noteEvent(p)
		if e := c.lookup(p); e != nil {
			e.dropData()
			e.dropStat()
			c.updated(e)
		}
		return []Invalidation{{Kind: DataChanged, Path: p}}, true
	case jute.EventNodeChildrenChanged:
		// Not sent for recursive watches; if it ever comes, forget what it may have changed.
		c.noteEvent(p)
		if e := c.lookup(p); e != nil {
			e.dropChildren()
			e.dropStat()
			c.updated(e)
		}
		return nil, false
	default:
		c.log.Warn("unexpected watch event", "type", ev.Type.String(), "path", p)
		return nil, false
	}
}
