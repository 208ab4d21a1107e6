package cache

import "hash/maphash"

// Marks let the file system tell whether an answer it is about to give the kernel may predate
// a change whose invalidation was already sent. The kernel caches entries and attributes for
// long; an answer computed before an event was applied but delivered after the notifier
// invalidated the kernel's copy would stay until its timeout. So a handler takes a Mark before
// reading the cache and asks Changed afterwards; when it reports true, the handler gives the
// kernel its answer with a negligible timeout (or reads again).
//
// Every event records its sequence number in a bucket chosen by hashing each path it touches
// (the path and its parent, as for fills); All records in allSeq. Collisions only make Changed
// report true more often, never less. Guarded by Cache.mu.

// markBuckets is the number of buckets of Cache.marks.
const markBuckets = 4096

var markSeed = maphash.MakeSeed()

func markBucket(p string) int {
	return int(maphash.String(markSeed, p) % markBuckets)
}

// Mark returns the current event sequence number, for Changed.
func (c *Cache) Mark() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.seq
}

// Changed reports whether an event that may touch path (an event on the path or one of its
// children, or an All: disconnect, reconnect, expiry) was applied after mark was taken.
func (c *Cache) Changed(path string, mark uint64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.allSeq > mark || c.marks[markBucket(path)] > mark
}
