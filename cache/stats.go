package cache

import "sync/atomic"

// cacheStats are the cache's counters; atomics, so that readers need no lock.
type cacheStats struct {
	hits        atomic.Uint64
	misses      atomic.Uint64
	losses      atomic.Uint64
	expirations atomic.Uint64
	sessions    atomic.Uint64
}

func (s *cacheStats) hit()  { s.hits.Add(1) }
func (s *cacheStats) miss() { s.misses.Add(1) }

// Stats is a snapshot of the cache's counters and size.
type Stats struct {
	Hits        uint64 // Stat, Data and Children answered from the cache (absent znodes included)
	Misses      uint64 // ... that had to ask ZooKeeper
	Entries     int    // entries in the tree (with content or only as path components)
	Cached      int    // entries holding content (bounded by Options.MaxEntries)
	Losses      uint64 // connections lost within a session (each followed by a reconnect attempt)
	Expirations uint64 // sessions that expired
	NewSessions uint64 // sessions started to replace an expired one
}

// Stats returns the counters and the current size.
func (c *Cache) Stats() Stats {
	c.mu.Lock()
	entries, cached := len(c.entries), c.lru.len()
	c.mu.Unlock()
	return Stats{
		Hits:        c.stats.hits.Load(),
		Misses:      c.stats.misses.Load(),
		Entries:     entries,
		Cached:      cached,
		Losses:      c.stats.losses.Load(),
		Expirations: c.stats.expirations.Load(),
		NewSessions: c.stats.sessions.Load(),
	}
}
