package cache

import (
	"context"
	"sync"
	"time"
)

// Read-ahead. Tools that walk a tree (grep -r, find, cp -r, tar) read one file at a time, so a
// cold walk would cost one round trip per step. Instead, the first time a directory is listed,
// the cache fetches the data, stat and child list of each of its children, and of their
// children (prefetchDepth levels), with up to prefetchInFlight requests pipelined on the one
// session. The walk then finds what it needs already cached. Fetches go through the normal fill
// path (Data, children), so the race rule of fill.go applies to them as to any read.
//
// Goroutines: maybePrefetch starts one goroutine per listed directory; it runs one goroutine per
// child, bounded by the cache-wide semaphore prefetchSem. They stop when the cache closes.

const (
	prefetchDepth    = 2    // levels below the listed directory
	prefetchInFlight = 64   // requests in flight for read-ahead, cache-wide
	prefetchMaxKids  = 4096 // larger directories are not read ahead
	prefetchTimeout  = 30 * time.Second
)

// prefetchState holds the read-ahead bookkeeping. mu guards done.
type prefetchState struct {
	once sync.Once
	sem  chan struct{}
	mu   sync.Mutex
	done map[string]struct{} // directories already read ahead (bounded: reset when large)
}

func (c *Cache) prefetcher() *prefetchState {
	c.pf.once.Do(func() {
		c.pf.sem = make(chan struct{}, prefetchInFlight)
		c.pf.done = map[string]struct{}{}
	})
	return &c.pf
}

// maybePrefetch reads ahead below dir, whose children are names, once per directory.
func (c *Cache) maybePrefetch(dir string, names []string, depth int) {
	if depth <= 0 || len(names) == 0 || len(names) > prefetchMaxKids || c.ctx.Err() != nil {
		return
	}
	pf := c.prefetcher()
	pf.mu.Lock()
	if _, ok := pf.done[dir]; ok {
		pf.mu.Unlock()
		return
	}
	if len(pf.done) >= c.opts.MaxEntries {
		clear(pf.done)
	}
	pf.done[dir] = struct{}{}
	pf.mu.Unlock()
	go c.prefetch(dir, names, depth)
}

func (c *Cache) prefetch(dir string, names []string, depth int) {
	pf := c.prefetcher()
	ctx, cancel := context.WithTimeout(c.ctx, prefetchTimeout)
	defer cancel()
	var wg sync.WaitGroup
	for _, name := range names {
		p := dir + "/" + name
		if dir == "/" {
			p = "/" + name
		}
		select {
		case pf.sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-pf.sem }()
			// Errors are the caller's business when it asks; read-ahead just stops.
			if _, _, err := c.Data(ctx, p); err != nil {
				return
			}
			kids, _, err := c.children(ctx, p)
			if err == nil {
				c.maybePrefetch(p, kids, depth-1)
			}
		}()
	}
	wg.Wait()
}

// Prefetch fetches the stat and data of dir's children in names that the cache does not hold,
// prefetchInFlight at a time, and returns when all are done or ctx ends. Errors are left for
// the lookups that follow. Readdir calls it: the kernel's READDIRPLUS looks up every entry
// right after the listing, one at a time, which would otherwise cost one round trip each
// (minutes for a znode with 100,000 children).
func (c *Cache) Prefetch(ctx context.Context, dir string, names []string) {
	pf := c.prefetcher()
	var wg sync.WaitGroup
	defer wg.Wait()
	for _, name := range names {
		p := dir + "/" + name
		if dir == "/" {
			p = "/" + name
		}
		c.mu.Lock()
		e := c.lookup(p)
		cached := e != nil && e.hasStat
		c.mu.Unlock()
		if cached {
			continue
		}
		select {
		case pf.sem <- struct{}{}:
		case <-ctx.Done():
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-pf.sem }()
			c.Data(ctx, p)
		}()
	}
}
