package cache

import "container/list"

// lruList orders the entries that have content, most recently used first. Guarded by Cache.mu.
type lruList struct {
	l *list.List // of *entry
}

func (l *lruList) init() { l.l = list.New() }

func (l *lruList) len() int { return l.l.Len() }

// touch makes e the most recently used entry, adding it when it is not yet in the list.
func (l *lruList) touch(e *entry) {
	if e.elem == nil {
		e.elem = l.l.PushFront(e)
		return
	}
	l.l.MoveToFront(e.elem)
}

// remove takes e out of the list (no-op when it is not in it).
func (l *lruList) remove(e *entry) {
	if e.elem != nil {
		l.l.Remove(e.elem)
		e.elem = nil
	}
}

// oldest returns the least recently used entry, or nil.
func (l *lruList) oldest() *entry {
	if b := l.l.Back(); b != nil {
		return b.Value.(*entry)
	}
	return nil
}

// evict drops the least recently used entries until at most MaxEntries have content; keep (the
// entry just stored) is never evicted. Requires Cache.mu.
func (c *Cache) evict(keep *entry) {
	for c.lru.len() > c.opts.MaxEntries {
		e := c.lru.oldest()
		if e == nil || e == keep {
			return
		}
		c.evicted = true
		e.negative = false
		e.dropStat()
		e.dropData()
		e.dropChildren()
		e.czxid = 0
		c.lru.remove(e)
		c.prune(e)
	}
}
