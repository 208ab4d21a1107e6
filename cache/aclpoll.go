package cache

import (
	"context"
	"sync"

	"github.com/zkfs/zkfs/jute"
	"github.com/zkfs/zkfs/zkclient"
)

// ACL changes. ZooKeeper 3.8 sends no watch event for setACL, so a change of ACL made by
// another client is found only by asking: PollACLs reads the stat of the paths it is given
// (exists, pipelined) and compares each ACL version with the one the previous poll of that path
// saw. The caller (the file system) chooses the paths: those the kernel holds, a bounded number
// per round.

// aclPollInFlight bounds the exists requests one PollACLs keeps in flight.
const aclPollInFlight = 32

// aclSeen is what the previous poll of a path saw. The znode's czxid tells a re-created znode
// (whose ACL version starts again at 0) from a changed one.
type aclSeen struct {
	czxid    int64
	aversion int32
	round    uint64
}

// aclState is PollACLs' memory; mu guards it (never held across a network call, never with
// Cache.mu held).
type aclState struct {
	mu    sync.Mutex
	seen  map[string]aclSeen
	round uint64
}

// PollACLs reads the server's stat of each path and, for every path whose ACL version differs
// from the one seen at its previous poll (or, at its first poll, from the cached stat), drops
// the cached stat and publishes ACLChanged. Paths not polled for two whole rounds
// (a round ends when endRound is true) are forgotten, which bounds the memory by the paths the
// caller polls. It returns the paths found changed.
func (c *Cache) PollACLs(ctx context.Context, paths []string, endRound bool) []string {
	stats := make([]jute.Stat, len(paths))
	found := make([]bool, len(paths))
	sem := make(chan struct{}, aclPollInFlight)
	var wg sync.WaitGroup
	for i, p := range paths {
		if checkPath("exists", p) != nil {
			continue
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return nil
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			c.read(ctx, func(cl *zkclient.Client) error {
				st, ok, err := cl.Exists(ctx, p)
				stats[i], found[i] = st, ok && err == nil
				return err
			})
		}()
	}
	wg.Wait()

	// A path polled for the first time is compared with the stat the cache holds, if any: it is
	// what the mount has shown so far, and a change made before the first poll is a change too.
	cached := make([]aclSeen, len(paths))
	c.mu.Lock()
	for i, p := range paths {
		if e := c.lookup(p); e != nil && e.hasStat {
			cached[i] = aclSeen{czxid: e.stat.Czxid, aversion: e.stat.Aversion}
		}
	}
	c.mu.Unlock()

	a := &c.acls
	a.mu.Lock()
	if a.seen == nil {
		a.seen = make(map[string]aclSeen)
	}
	var changed []string
	for i, p := range paths {
		if !found[i] {
			delete(a.seen, p)
			continue
		}
		st := &stats[i]
		old, ok := a.seen[p]
		if !ok {
			old, ok = cached[i], cached[i].czxid != 0
		}
		if ok && old.czxid == st.Czxid && old.aversion != st.Aversion {
			changed = append(changed, p)
		}
		a.seen[p] = aclSeen{czxid: st.Czxid, aversion: st.Aversion, round: a.round}
	}
	if endRound {
		for p, s := range a.seen {
			if s.round+1 < a.round {
				delete(a.seen, p)
			}
		}
		a.round++
	}
	a.mu.Unlock()

	for _, p := range changed {
		c.aclChanged(p)
	}
	return changed
}

// aclChanged drops what the cache holds of path's stat (its ACL version is out of date), makes
// fills in flight for it stale, and publishes ACLChanged.
func (c *Cache) aclChanged(p string) {
	c.mu.Lock()
	c.noteEvent(p)
	if e := c.lookup(p); e != nil && e.hasStat {
		e.dropStat()
		c.updated(e)
	}
	c.mu.Unlock()
	c.inval.push(Invalidation{Kind: ACLChanged, Path: p})
}
