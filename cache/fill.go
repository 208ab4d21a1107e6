package cache

import (
	"context"
	"errors"
	"slices"

	"github.com/zkfs/zkfs/jute"
	"github.com/zkfs/zkfs/zkclient"
)

// The race rule. A fetch (or a write) that started before an event for its path was applied
// may carry a result older than that event; storing it would leave stale content that no later
// event corrects. So every fill takes a token before its network call: the global sequence
// number at that moment, and a per-path track (registered only while fills for the path are in
// flight, so the map stays small) in which the event goroutine records the sequence number of
// the latest event touching the path. The result is stored only if no event for any of the
// token's paths, and no All (disconnect, reconnect, expiry), happened since the token was taken.
// Events on a child p/x are recorded on p as well, since they change p's stat and child list.
// A result fetched after the event but stored before it was applied is harmless: applying the
// event drops it again.

// fillTrack is the per-path record of the latest event seen while fills are in flight.
// Guarded by Cache.mu.
type fillTrack struct {
	refs int    // fills in flight holding this track
	last uint64 // seq of the latest event touching the path
}

// fillToken is taken before a fetch and handed back to endFill.
type fillToken struct {
	start  uint64
	paths  []string
	tracks []*fillTrack
}

// beginFill takes a token for paths. Requires Cache.mu.
func (c *Cache) beginFill(paths ...string) fillToken {
	tok := fillToken{start: c.seq, paths: paths, tracks: make([]*fillTrack, len(paths))}
	for i, p := range paths {
		t := c.fills[p]
		if t == nil {
			t = &fillTrack{}
			c.fills[p] = t
		}
		t.refs++
		tok.tracks[i] = t
	}
	return tok
}

// endFill releases tok and reports whether its result may be stored. Requires Cache.mu.
func (c *Cache) endFill(tok fillToken) bool {
	fresh := c.allSeq <= tok.start
	for i, t := range tok.tracks {
		if t.last > tok.start {
			fresh = false
		}
		t.refs--
		if t.refs == 0 && c.fills[tok.paths[i]] == t {
			delete(c.fills, tok.paths[i])
		}
	}
	return fresh
}

// noteEvent records an event touching paths. Requires Cache.mu; called by the event goroutine.
func (c *Cache) noteEvent(paths ...string) {
	c.seq++
	for _, p := range paths {
		c.marks[markBucket(p)] = c.seq
		if t := c.fills[p]; t != nil {
			t.last = c.seq
		}
	}
}

// noteAll makes every fill in flight stale. Requires Cache.mu.
func (c *Cache) noteAll() {
	c.seq++
	c.allSeq = c.seq
}

// fill is the read path shared by Stat, Data and Children: answer from the entry when
// cached(e) has the content (e has a stat), from a negative entry when path is known absent,
// and otherwise fetch, under the race rule above, and store the result with store.
func fill[T any](ctx context.Context, c *Cache, op, path string,
	cached func(e *entry) (T, bool),
	fetch func(cl *zkclient.Client) (T, jute.Stat, error),
	store func(e *entry, v T, st jute.Stat)) (T, jute.Stat, error) {
	var zero T
	if err := checkPath(op, path); err != nil {
		return zero, jute.Stat{}, err
	}
	c.mu.Lock()
	if e := c.lookup(path); e != nil && e.hasStat {
		if v, ok := cached(e); ok {
			c.stats.hit()
			c.lru.touch(e)
			st := e.stat
			c.mu.Unlock()
			return v, st, nil
		}
	}
	if c.knownAbsent(path) {
		c.stats.hit()
		c.mu.Unlock()
		return zero, jute.Stat{}, noNode(op, path)
	}
	c.stats.miss()
	tok := c.beginFill(path)
	c.mu.Unlock()

	var v T
	var st jute.Stat
	err := c.read(ctx, func(cl *zkclient.Client) error {
		var err error
		v, st, err = fetch(cl)
		return err
	})

	c.mu.Lock()
	defer c.mu.Unlock()
	fresh := c.endFill(tok)
	if err != nil {
		if fresh && errors.Is(err, zkclient.ErrNoNode) {
			c.storeNegative(path)
		}
		return zero, jute.Stat{}, err
	}
	if fresh {
		e := c.getOrCreate(path)
		store(e, v, st)
		c.updated(e)
	}
	return v, st, nil
}

// Stat returns path's stat, from the cache when present. A missing znode gives an error
// matching zkclient.ErrNoNode (and may be cached as a negative entry, dropped by NodeCreated).
// A miss is fetched with getData rather than exists: the same round trip also brings the
// data, which a stat through the mount is usually followed by (ls -l, cat, grep), and
// ZooKeeper data is small. A znode whose ACL refuses reading is asked with exists, which
// needs no permission: its stat is public.
func (c *Cache) Stat(ctx context.Context, path string) (jute.Stat, error) {
	_, st, err := fill(ctx, c, "exists", path,
		func(*entry) ([]byte, bool) { return nil, true },
		func(cl *zkclient.Client) ([]byte, jute.Stat, error) {
			data, st, err := cl.Get(ctx, path)
			if errors.Is(err, zkclient.ErrNoAuth) {
				return c.statOnly(ctx, cl, path)
			}
			return data, st, err
		},
		func(e *entry, data []byte, st jute.Stat) {
			if data == nil && st.DataLength > 0 {
				e.setStat(st) // from exists: no data
			} else {
				e.setData(data, st)
			}
		})
	return st, err
}

// statOnly fetches path's stat with exists, as Stat's fallback; a missing znode gives NoNode.
func (c *Cache) statOnly(ctx context.Context, cl *zkclient.Client, path string) ([]byte, jute.Stat, error) {
	st, ok, err := cl.Exists(ctx, path)
	if err == nil && !ok {
		err = noNode("exists", path)
	}
	return nil, st, err
}

// Data returns path's data and stat, from the cache when present. The slice is the caller's.
func (c *Cache) Data(ctx context.Context, path string) ([]byte, jute.Stat, error) {
	return fill(ctx, c, "get", path,
		func(e *entry) ([]byte, bool) { return slices.Clone(e.data), e.hasData },
		func(cl *zkclient.Client) ([]byte, jute.Stat, error) { return cl.Get(ctx, path) },
		func(e *entry, data []byte, st jute.Stat) { e.setData(slices.Clone(data), st) })
}

// Children returns path's child names (sorted) and stat, from the cache when present. The
// slice is the caller's. The first listing of a directory starts a read-ahead of its
// children (prefetch.go).
func (c *Cache) Children(ctx context.Context, path string) ([]string, jute.Stat, error) {
	names, st, err := c.children(ctx, path)
	if err == nil {
		c.maybePrefetch(path, names, prefetchDepth)
	}
	return names, st, err
}

// children is Children without the read-ahead.
func (c *Cache) children(ctx context.Context, path string) ([]string, jute.Stat, error) {
	return fill(ctx, c, "children", path,
		func(e *entry) ([]string, bool) { return slices.Clone(e.children), e.hasChildren },
		func(cl *zkclient.Client) ([]string, jute.Stat, error) {
			names, st, err := cl.Children(ctx, path)
			names = slices.Clone(names)
			slices.Sort(names)
			if names == nil {
				names = []string{}
			}
			return names, st, err
		},
		func(e *entry, names []string, st jute.Stat) { e.setChildren(slices.Clone(names), st) })
}

// storeNegative records that path is absent. Requires Cache.mu.
func (c *Cache) storeNegative(path string) {
	e := c.getOrCreate(path)
	// Whatever was cached below an absent znode is gone too.
	for _, k := range e.kids {
		c.detach(k)
	}
	e.kids = nil
	e.setNegative()
	c.updated(e)
}
