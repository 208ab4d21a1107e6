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

// Stat returns path's stat, from the cache when present. A missing znode gives an error
// matching zkclient.ErrNoNode (and may be cached as a negative entry, dropped by NodeCreated).
func (c *Cache) Stat(ctx context.Context, path string) (jute.Stat, error) {
	if err := checkPath("stat", path); err != nil {
		return jute.Stat{}, err
	}
	c.mu.Lock()
	if e := c.lookup(path); e != nil && e.hasStat {
		c.stats.hit()
		c.lru.touch(e)
		st := e.stat
		c.mu.Unlock()
		return st, nil
	}
	if c.knownAbsent(path) {
		c.stats.hit()
		c.mu.Unlock()
		return jute.Stat{}, noNode("exists", path)
	}
	c.stats.miss()
	tok := c.beginFill(path)
	c.mu.Unlock()

	// getData rather than exists: the same round trip also brings the data, which a stat
	// through the mount is usually followed by (ls -l, cat, grep). ZooKeeper data is small.
	var st jute.Stat
	var data []byte
	ok := true
	err := c.read(ctx, func(cl *zkclient.Client) error {
		var err error
		data, st, err = cl.Get(ctx, path)
		if errors.Is(err, zkclient.ErrNoNode) {
			ok, err = false, nil
		}
		return err
	})

	c.mu.Lock()
	defer c.mu.Unlock()
	fresh := c.endFill(tok)
	if err != nil {
		return jute.Stat{}, err
	}
	if !ok {
		if fresh {
			c.storeNegative(path)
		}
		return jute.Stat{}, noNode("exists", path)
	}
	if fresh {
		e := c.getOrCreate(path)
		e.setData(data, st)
		c.updated(e)
	}
	return st, nil
}

// Data returns path's data and stat, from the cache when present. The slice is the caller's.
func (c *Cache) Data(ctx context.Context, path string) ([]byte, jute.Stat, error) {
	if err := checkPath("get", path); err != nil {
		return nil, jute.Stat{}, err
	}
	c.mu.Lock()
	if e := c.lookup(path); e != nil && e.hasData && e.hasStat {
		c.stats.hit()
		c.lru.touch(e)
		data, st := slices.Clone(e.data), e.stat
		c.mu.Unlock()
		return data, st, nil
	}
	if c.knownAbsent(path) {
		c.stats.hit()
		c.mu.Unlock()
		return nil, jute.Stat{}, noNode("get", path)
	}
	c.stats.miss()
	tok := c.beginFill(path)
	c.mu.Unlock()

	var data []byte
	var st jute.Stat
	err := c.read(ctx, func(cl *zkclient.Client) error {
		var err error
		data, st, err = cl.Get(ctx, path)
		return err
	})

	c.mu.Lock()
	defer c.mu.Unlock()
	fresh := c.endFill(tok)
	if err != nil {
		if fresh && errors.Is(err, zkclient.ErrNoNode) {
			c.storeNegative(path)
		}
		return nil, jute.Stat{}, err
	}
	if fresh {
		e := c.getOrCreate(path)
		e.setData(slices.Clone(data), st)
		c.updated(e)
	}
	return data, st, nil
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
	if err := checkPath("children", path); err != nil {
		return nil, jute.Stat{}, err
	}
	c.mu.Lock()
	if e := c.lookup(path); e != nil && e.hasChildren && e.hasStat {
		c.stats.hit()
		c.lru.touch(e)
		names, st := slices.Clone(e.children), e.stat
		c.mu.Unlock()
		return names, st, nil
	}
	if c.knownAbsent(path) {
		c.stats.hit()
		c.mu.Unlock()
		return nil, jute.Stat{}, noNode("children", path)
	}
	c.stats.miss()
	tok := c.beginFill(path)
	c.mu.Unlock()

	var names []string
	var st jute.Stat
	err := c.read(ctx, func(cl *zkclient.Client) error {
		var err error
		names, st, err = cl.Children(ctx, path)
		return err
	})

	c.mu.Lock()
	defer c.mu.Unlock()
	fresh := c.endFill(tok)
	if err != nil {
		if fresh && errors.Is(err, zkclient.ErrNoNode) {
			c.storeNegative(path)
		}
		return nil, jute.Stat{}, err
	}
	names = slices.Clone(names)
	slices.Sort(names)
	if names == nil {
		names = []string{}
	}
	if fresh {
		e := c.getOrCreate(path)
		e.setChildren(names, st)
		c.updated(e)
	}
	return slices.Clone(names), st, nil
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
