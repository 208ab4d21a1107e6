// Package cache owns the ZooKeeper session of a zkfs mount and a znode cache kept coherent by
// one persistent recursive watch on "/" (the client's chroot makes that the mount root).
//
// Goroutines:
//   - the event goroutine (events.go) consumes the current client's Events() in order, applies
//     each event to the cache, runs revalidation after a reconnect (revalidate.go) and replaces
//     the session after expiry. It is the only goroutine that applies watch events.
//   - the invalidation goroutine (invalidations.go) feeds the Invalidations channel from an
//     unbounded ordered queue.
//   - callers' goroutines read (fill.go) and write (writes.go); they never hold a lock across a
//     network call.
//
// Locks: Cache.clientMu guards the current client and the closed flag; Cache.mu guards the
// entry tree, the LRU list and the event sequence numbers. They are never held together and
// never across a network call.
package cache

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/zkfs/zkfs/jute"
	"github.com/zkfs/zkfs/zkclient"
)

// DefaultMaxEntries is the LRU bound used when Options.MaxEntries is zero or negative.
const DefaultMaxEntries = 50000

// Options configure Open.
type Options struct {
	Client     zkclient.Config // how to connect (servers/chroot, timeout, TLS, auth, logger)
	Logger     *slog.Logger    // default: discard; also used for the client when Client.Logger is nil
	MaxEntries int             // LRU bound on cached entries (data+children); default DefaultMaxEntries
}

// Cache is a coherent cache of the ZooKeeper tree under the client's chroot.
type Cache struct {
	opts Options
	log  *slog.Logger

	// ctx is cancelled by Close; it bounds session replacement and revalidation calls.
	ctx    context.Context
	cancel context.CancelFunc

	clientMu sync.Mutex // guards client and closed
	client   *zkclient.Client
	closed   bool

	mu      sync.Mutex // guards every field below
	entries map[string]*entry
	lru     lruList
	seq     uint64                // incremented for every event applied (and every All)
	allSeq  uint64                // seq of the last All (disconnect, reconnect, expiry)
	fills   map[string]*fillTrack // paths with fills or writes in flight
	marks   [markBuckets]uint64   // seq of the latest event touching each bucket (marks.go)
	// evicted is set when entries were dropped without the kernel being told (LRU eviction,
	// dropAll) and cleared when an All is published: while set, revalidation after a reconnect
	// cannot vouch for every path the kernel may hold and so ends with an All.
	evicted bool
	// disconnected is set by the event goroutine on StateDisconnected and cleared when the
	// following (re)connection has been revalidated.
	disconnected bool

	inval *invalQueue

	stats cacheStats // counters, see stats.go

	pf prefetchState // read-ahead, see prefetch.go

	acls aclState // ACL versions seen by PollACLs, see aclpoll.go

	eventsDone chan struct{} // closed when the event goroutine returns
	closeOnce  sync.Once
	closeErr   error
}

// Open connects (zkclient.Connect), registers the persistent recursive watch on "/" and starts
// the event goroutine.
func Open(ctx context.Context, opts Options) (*Cache, error) {
	if opts.MaxEntries <= 0 {
		opts.MaxEntries = DefaultMaxEntries
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Client.Logger == nil {
		opts.Client.Logger = opts.Logger
	}
	cl, err := connectAndWatch(ctx, opts.Client)
	if err != nil {
		return nil, err
	}
	c := &Cache{
		opts:       opts,
		log:        opts.Logger,
		client:     cl,
		entries:    make(map[string]*entry),
		fills:      make(map[string]*fillTrack),
		inval:      newInvalQueue(),
		eventsDone: make(chan struct{}),
	}
	c.lru.init()
	c.ctx, c.cancel = context.WithCancel(context.Background())
	go c.inval.run()
	go c.runEvents(cl)
	return c, nil
}

// connectAndWatch starts a session and registers the recursive watch on "/". On failure
// nothing is left running.
func connectAndWatch(ctx context.Context, cfg zkclient.Config) (*zkclient.Client, error) {
	cl, err := zkclient.Connect(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("cache: connect: %w", err)
	}
	if err := cl.AddWatch(ctx, "/", jute.AddWatchPersistentRecursive); err != nil {
		cl.Close()
		return nil, fmt.Errorf("cache: add recursive watch: %w", err)
	}
	return cl, nil
}

// Close closes the session, stops both goroutines, empties the cache and closes the
// Invalidations channel (invalidations not yet received are discarded). Idempotent.
func (c *Cache) Close() error {
	c.closeOnce.Do(func() {
		c.clientMu.Lock()
		c.closed = true
		cl := c.client
		c.clientMu.Unlock()
		c.cancel()
		c.closeErr = cl.Close()
		<-c.eventsDone
		c.inval.stop()
		c.mu.Lock()
		c.dropAll() // reads after Close reach the closed client and fail
		c.mu.Unlock()
	})
	return c.closeErr
}

// Client returns the current session's client. It changes after a session expiry.
func (c *Cache) Client() *zkclient.Client {
	c.clientMu.Lock()
	defer c.clientMu.Unlock()
	return c.client
}

func (c *Cache) isClosed() bool {
	c.clientMu.Lock()
	defer c.clientMu.Unlock()
	return c.closed
}

// DataLimit returns the largest data the server accepts in a setData on path.
func (c *Cache) DataLimit(path string) int { return c.Client().DataLimit(path) }

// ACL returns path's ACL and stat straight from ZooKeeper (see CachedACL for a cached one).
func (c *Cache) ACL(ctx context.Context, path string) ([]jute.ACL, jute.Stat, error) {
	var acl []jute.ACL
	var st jute.Stat
	err := c.read(ctx, func(cl *zkclient.Client) error {
		var err error
		acl, st, err = cl.GetACL(ctx, path)
		return err
	})
	return acl, st, err
}

// Read retry policy: reads are idempotent, so a read that failed with connection loss is tried
// again (after a short pause) and one that failed because its session was replaced is tried
// again at once on the new session.
const (
	readAttempts     = 4
	readRetryBackoff = 100 * time.Millisecond
)

// read runs fn against the current client, retrying as described above.
func (c *Cache) read(ctx context.Context, fn func(cl *zkclient.Client) error) error {
	backoff := readRetryBackoff
	for attempt := 1; ; attempt++ {
		cl := c.Client()
		err := fn(cl)
		if err == nil || attempt >= readAttempts || ctx.Err() != nil {
			return err
		}
		switch {
		case errors.Is(err, zkclient.ErrConnectionLoss):
			t := time.NewTimer(backoff)
			select {
			case <-ctx.Done():
				t.Stop()
				return err
			case <-t.C:
			}
			backoff *= 2
		case (errors.Is(err, zkclient.ErrSessionExpired) || errors.Is(err, zkclient.ErrClosed)) && c.Client() != cl:
			// the session was replaced meanwhile: retry on the new one
		default:
			return err
		}
	}
}

// noNode is the error for a path the cache knows to be absent.
func noNode(op, path string) error {
	return fmt.Errorf("zkclient: %s %s: %w", op, path, zkclient.ErrNoNode)
}

// checkPath rejects paths that could never name a znode before they reach the cache's maps.
func checkPath(op, path string) error {
	if err := jute.ValidatePath(path); err != nil {
		return fmt.Errorf("cache: %s %q: %w", op, path, err)
	}
	return nil
}

// CachedACL returns path's ACL, from the cache when the cached stat shows the ACL version it
// was fetched at. The slice is shared: callers must not modify it.
func (c *Cache) CachedACL(ctx context.Context, path string) ([]jute.ACL, error) {
	acl, _, err := fill(ctx, c, "getACL", path,
		func(e *entry) ([]jute.ACL, bool) {
			return e.acl, e.acl != nil && e.aclCzxid == e.stat.Czxid && e.aclAversion == e.stat.Aversion
		},
		func(cl *zkclient.Client) ([]jute.ACL, jute.Stat, error) { return cl.GetACL(ctx, path) },
		func(e *entry, acl []jute.ACL, st jute.Stat) {
			e.setStat(st)
			e.acl, e.aclCzxid, e.aclAversion = acl, st.Czxid, st.Aversion
		})
	return acl, err
}
