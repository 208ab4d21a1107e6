package cache

import (
	"context"
	"errors"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/zkfs/zkfs/jute"
	"github.com/zkfs/zkfs/zkclient"
)

// After a reconnect the server re-arms the recursive watch but does not replay the changes made
// while the client was away, so every cached entry is checked again. Revalidation runs on the
// event goroutine; events that arrive meanwhile wait in the client's queue and are applied
// afterwards, so no event is applied while revalidation compares. Fills and writes by other
// goroutines may still store fresher content concurrently; revalidation therefore never stores
// fetched content: it keeps an entry whose znode is unchanged and drops whatever differs (which
// is always safe), publishing an invalidation for every difference.

const (
	revalidateWorkers = 64               // calls in flight (pipelined on the one session)
	minRevalidateWait = 30 * time.Second // lower bound of the whole revalidation's deadline
)

// revalItem is a snapshot of one entry's content taken when revalidation starts.
type revalItem struct {
	path        string
	negative    bool
	hasStat     bool
	stat        jute.Stat
	hasData     bool
	dataMzxid   int64
	hasChildren bool
	children    []string
	czxid       int64
}

// revalResult is what the server says now about an item's path.
type revalResult struct {
	exists   bool
	stat     jute.Stat
	children []string // sorted; only fetched for items with a cached child list
	err      error
}

// revalidate checks every cached entry against the server (see above). Called by the event
// goroutine after StateSyncConnected follows StateDisconnected.
func (c *Cache) revalidate(cl *zkclient.Client) {
	c.mu.Lock()
	c.disconnected = false
	c.noteAll()
	items := make([]revalItem, 0, len(c.entries))
	for _, e := range c.entries {
		if !e.hasContent() {
			continue
		}
		items = append(items, revalItem{
			path: e.path, negative: e.negative,
			hasStat: e.hasStat, stat: e.stat,
			hasData: e.hasData, dataMzxid: e.dataMzxid,
			hasChildren: e.hasChildren, children: e.children,
			czxid: e.czxid,
		})
	}
	evicted := c.evicted
	c.mu.Unlock()
	sort.Slice(items, func(i, j int) bool { return items[i].path < items[j].path })
	c.log.Info("revalidating cache after reconnect", "entries", len(items))

	results, err := c.fetchAll(cl, items)
	if err != nil {
		// Could not check everything (connection lost again, session expired, closed):
		// forget everything instead.
		c.log.Warn("cache revalidation failed; dropping the cache", "err", err)
		c.mu.Lock()
		c.dropAll()
		c.evicted = false
		c.mu.Unlock()
		c.inval.push(Invalidation{Kind: All})
		return
	}

	var out []Invalidation
	changed := false
	c.mu.Lock()
	for i := range items {
		inv, ch := c.applyRevalidation(&items[i], &results[i])
		out = append(out, inv...)
		changed = changed || ch
	}
	if changed || evicted {
		out = append(out, Invalidation{Kind: All})
		c.evicted = false
	}
	c.mu.Unlock()
	c.log.Info("cache revalidated", "entries", len(items), "invalidations", len(out))
	c.inval.push(out...)
}

// fetchAll fetches the current state of every item, many calls in flight at once.
func (c *Cache) fetchAll(cl *zkclient.Client, items []revalItem) ([]revalResult, error) {
	results := make([]revalResult, len(items))
	if len(items) == 0 {
		return results, nil
	}
	wait := 2 * cl.SessionTimeout()
	if wait < minRevalidateWait {
		wait = minRevalidateWait
	}
	ctx, cancel := context.WithTimeout(c.ctx, wait)
	defer cancel()

	var (
		wg       sync.WaitGroup
		next     = make(chan int)
		errOnce  sync.Once
		firstErr error
	)
	workers := min(revalidateWorkers, len(items))
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() { // revalidation worker: owns results[i] for the indexes it receives
			defer wg.Done()
			for i := range next {
				r := fetchOne(ctx, cl, &items[i])
				if r.err != nil {
					errOnce.Do(func() { firstErr = r.err; cancel() })
				}
				results[i] = r
			}
		}()
	}
	for i := range items {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if firstErr == nil && ctx.Err() != nil {
		firstErr = ctx.Err()
	}
	return results, firstErr
}

// fetchOne asks the server about one item: the child list (with stat) when one is cached,
// otherwise only the stat.
func fetchOne(ctx context.Context, cl *zkclient.Client, it *revalItem) revalResult {
	if it.hasChildren {
		names, st, err := cl.Children(ctx, it.path)
		if errors.Is(err, zkclient.ErrNoNode) {
			return revalResult{}
		}
		if err != nil {
			return revalResult{err: err}
		}
		names = slices.Clone(names)
		slices.Sort(names)
		return revalResult{exists: true, stat: st, children: names}
	}
	st, ok, err := cl.Exists(ctx, it.path)
	if err != nil {
		return revalResult{err: err}
	}
	return revalResult{exists: ok, stat: st}
}

// applyRevalidation compares one item with the server's answer, drops what differs and returns
// the invalidations to publish and whether anything differed. Requires Cache.mu.
func (c *Cache) applyRevalidation(it *revalItem, r *revalResult) ([]Invalidation, bool) {
	p := it.path
	switch {
	case it.negative && !r.exists:
		return nil, false
	case it.negative && r.exists:
		c.removeSubtree(c.lookup(p))
		c.dropListing(parentPath(p))
		return []Invalidation{{Kind: Created, Path: p}}, true
	case !r.exists:
		c.removeSubtree(c.lookup(p))
		c.dropListing(parentPath(p))
		return []Invalidation{{Kind: Deleted, Path: p}}, true
	}
	st := r.stat
	if it.czxid != 0 && it.czxid != st.Czxid {
		// Deleted and created again while we were away.
		c.removeSubtree(c.lookup(p))
		c.dropListing(parentPath(p))
		return []Invalidation{{Kind: Deleted, Path: p}, {Kind: Created, Path: p}}, true
	}
	var out []Invalidation
	changed := false
	if it.hasStat && st != it.stat {
		changed = true
		if e := c.lookup(p); e != nil {
			e.dropStat()
			c.updated(e)
		}
	}
	if (it.hasData && it.dataMzxid != st.Mzxid) || (it.hasStat && it.stat.Mzxid != st.Mzxid) {
		changed = true
		out = append(out, Invalidation{Kind: DataChanged, Path: p})
		if e := c.lookup(p); e != nil {
			e.dropData()
			e.dropStat()
			c.updated(e)
		}
	}
	if it.hasChildren {
		added, removed := diffSorted(it.children, r.children)
		for _, name := range removed {
			cp := joinPath(p, name)
			c.removeSubtree(c.lookup(cp))
			out = append(out, Invalidation{Kind: Deleted, Path: cp})
		}
		for _, name := range added {
			cp := joinPath(p, name)
			c.removeSubtree(c.lookup(cp))
			out = append(out, Invalidation{Kind: Created, Path: cp})
		}
		if len(added)+len(removed) > 0 {
			changed = true
			if e := c.lookup(p); e != nil {
				e.dropChildren()
				e.dropStat()
				c.updated(e)
			}
		}
	}
	return out, changed
}

// diffSorted returns the names only in b (added) and only in a (removed); both are sorted.
func diffSorted(a, b []string) (added, removed []string) {
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j == len(b) || (i < len(a) && a[i] < b[j]):
			removed = append(removed, a[i])
			i++
		case i == len(a) || b[j] < a[i]:
			added = append(added, b[j])
			j++
		default:
			i++
			j++
		}
	}
	return added, removed
}

// replaceSession starts a new session after the old one ended (expiry), re-adds the recursive
// watch, drops everything and publishes All. It retries until it succeeds or the cache is
// closed (then it returns nil). Called by the event goroutine.
func (c *Cache) replaceSession(old *zkclient.Client) *zkclient.Client {
	backoff := 100 * time.Millisecond
	for {
		if c.ctx.Err() != nil {
			return nil
		}
		wait := c.opts.Client.SessionTimeout
		if wait < minRevalidateWait {
			wait = minRevalidateWait
		}
		ctx, cancel := context.WithTimeout(c.ctx, wait)
		cl, err := connectAndWatch(ctx, c.opts.Client)
		cancel()
		if err == nil {
			c.clientMu.Lock()
			if c.closed {
				c.clientMu.Unlock()
				cl.Close()
				return nil
			}
			c.client = cl
			c.clientMu.Unlock()
			old.Close()
			c.mu.Lock()
			c.disconnected = false
			c.dropAll()
			c.evicted = false
			c.mu.Unlock()
			c.log.Info("new zookeeper session", "session", cl.SessionID())
			c.stats.sessions.Add(1)
			c.inval.push(Invalidation{Kind: All})
			return cl
		}
		c.log.Warn("cannot start a new zookeeper session; retrying", "err", err, "in", backoff)
		t := time.NewTimer(backoff)
		select {
		case <-c.ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}
