package cache

import (
	"strconv"
	"sync"
)

// InvalKind says what an Invalidation reports.
type InvalKind int

const (
	Created     InvalKind = iota + 1 // Path was created
	Deleted                          // Path (and everything below it) was deleted
	DataChanged                      // Path's data (and so its stat) changed
	All                              // anything may have changed: drop everything (Path is "")
	ACLChanged                       // Path's ACL changed elsewhere (found by PollACLs)
)

func (k InvalKind) String() string {
	switch k {
	case Created:
		return "Created"
	case Deleted:
		return "Deleted"
	case DataChanged:
		return "DataChanged"
	case All:
		return "All"
	case ACLChanged:
		return "ACLChanged"
	}
	return "InvalKind(" + strconv.Itoa(int(k)) + ")"
}

// Invalidation is one change, published after the cache itself was updated.
type Invalidation struct {
	Kind InvalKind
	Path string // "" for All
}

func (i Invalidation) String() string {
	if i.Kind == All {
		return "All"
	}
	return i.Kind.String() + " " + i.Path
}

// Invalidations returns the ordered stream of changes, for the fs notifier goroutine. Nothing
// is ever dropped (the queue behind it is unbounded). The channel is closed by Close.
//
// What is sent: Created/Deleted/DataChanged for every watch event, in event order. After a
// reconnect, revalidation sends Created/Deleted/DataChanged for every difference it finds among
// cached entries, followed by All if it found any difference or if entries were evicted since
// the cache was last emptied (the kernel may hold paths the cache no longer tracks). After a
// session expiry, the new session sends All. Writes made through the cache send nothing: their
// watch events do. ACLChanged comes from PollACLs only (ZooKeeper has no event for setACL).
func (c *Cache) Invalidations() <-chan Invalidation { return c.inval.out }

// invalQueue is an unbounded FIFO drained by one goroutine (run) into out.
type invalQueue struct {
	mu     sync.Mutex // guards q and closed
	q      []Invalidation
	closed bool

	wake     chan struct{} // cap 1: a push happened
	out      chan Invalidation
	done     chan struct{} // closed by stop
	finished chan struct{} // closed when run returns (after closing out)
}

func newInvalQueue() *invalQueue {
	return &invalQueue{
		wake:     make(chan struct{}, 1),
		out:      make(chan Invalidation),
		done:     make(chan struct{}),
		finished: make(chan struct{}),
	}
}

// push appends items; it never blocks on the consumer. Pushes after stop are discarded.
func (q *invalQueue) push(items ...Invalidation) {
	if len(items) == 0 {
		return
	}
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return
	}
	q.q = append(q.q, items...)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// run is the invalidation goroutine: it sends queued items in order until stop.
func (q *invalQueue) run() {
	defer close(q.finished)
	defer close(q.out)
	for {
		q.mu.Lock()
		batch := q.q
		q.q = nil
		q.mu.Unlock()
		for _, it := range batch {
			select {
			case q.out <- it:
			case <-q.done:
				return
			}
		}
		if len(batch) > 0 {
			continue
		}
		select {
		case <-q.wake:
		case <-q.done:
			return
		}
	}
}

// stop ends run (discarding what was not received) and waits for it.
func (q *invalQueue) stop() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	close(q.done)
	<-q.finished
}
