package cache

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/zkfs/zkfs/jute"
	"github.com/zkfs/zkfs/zkclient"
)

// Writes go to ZooKeeper and then update the cache with the result (write-through), so that
// the next read sees them even before the watch event arrives. A result is stored under the
// race rule of fill.go: if an event for the path was applied while the write was in flight,
// the result may already be outdated and the entry is dropped instead. Dropping is always safe,
// so a failed write (whose outcome may be unknown, or which shows the cache was stale) drops
// what it touched. A create or delete whose outcome a connection loss left unknown is settled
// here, because what makes that safe is ZooKeeper's alone (a path is created at most once; a
// deleted znode stays deleted): see create and Delete. A setData is not: whether sending it
// again is safe depends on the version the caller based it on (fs/handle.go settles those).

// Create creates a persistent znode with the world ACL.
func (c *Cache) Create(ctx context.Context, path string, data []byte) (jute.Stat, error) {
	return c.CreateMode(ctx, path, data, jute.ModePersistent)
}

// CreateMode creates a znode of the given mode (persistent or ephemeral; sequential modes
// are refused because the cache would not know the name created) with the world ACL.
// An ephemeral znode belongs to the cache's current session.
func (c *Cache) CreateMode(ctx context.Context, path string, data []byte, mode jute.CreateMode) (jute.Stat, error) {
	if mode != jute.ModePersistent && mode != jute.ModeEphemeral {
		return jute.Stat{}, fmt.Errorf("create %s: %w: mode %d", path, zkclient.ErrBadArguments, mode)
	}
	if err := checkPath("create", path); err != nil {
		return jute.Stat{}, err
	}
	pp := parentPath(path)
	c.mu.Lock()
	tok := c.beginFill(path, pp)
	c.mu.Unlock()

	st, err := c.create(ctx, path, data, mode)

	c.mu.Lock()
	defer c.mu.Unlock()
	fresh := c.endFill(tok)
	if err != nil || !fresh {
		c.removeSubtree(c.lookup(path))
		c.dropListing(pp)
		return st, err
	}
	c.removeSubtree(c.lookup(path))
	e := c.getOrCreate(path)
	e.setData(slices.Clone(data), st)
	e.setChildren([]string{}, st) // just created: no children, a fetched-grade list
	c.updated(e)
	if par := c.lookup(pp); par != nil {
		par.negative = false
		par.addChild(baseName(path))
		par.dropStat()
		c.updated(par)
	}
	return st, nil
}

// createAttempts bounds how often a create whose outcome a connection loss left unknown is sent.
const createAttempts = 3

// create sends a create and settles an unknown outcome. ZooKeeper applies at most one create
// of a path, so sending it again is safe; what must be told apart is whether the znode found
// afterwards is ours: it is when it was created after anything this session had seen when it
// first sent the request and has our data length and owner (for an ephemeral one the owner
// proves it). Not found: the create is sent again. Found but not ours: someone else's, and the
// create fails as the server would have answered it, with NodeExists.
func (c *Cache) create(ctx context.Context, path string, data []byte, mode jute.CreateMode) (jute.Stat, error) {
	cl := c.Client()
	before := cl.LastZxid()
	var lossErr error
	for sends := 1; ; sends++ {
		_, st, err := cl.Create(ctx, path, data, mode, nil)
		switch {
		case errors.Is(err, zkclient.ErrConnectionLoss):
			if lossErr == nil {
				lossErr = err
			}
		case lossErr != nil && errors.Is(err, zkclient.ErrNodeExists):
			// An earlier send may have made it: settle below.
		default:
			return st, err
		}
		got, exists, serr := c.settle(ctx, path)
		owner := int64(0)
		if mode == jute.ModeEphemeral {
			owner = cl.SessionID()
		}
		switch {
		case serr != nil:
			return jute.Stat{}, lossErr
		case exists && got.Czxid > before && got.EphemeralOwner == owner && int(got.DataLength) == len(data):
			return got, nil
		case exists:
			return jute.Stat{}, fmt.Errorf("create %s: %w", path, zkclient.ErrNodeExists)
		case sends == createAttempts:
			return jute.Stat{}, lossErr
		}
		cl = c.Client() // not there: send again, on the current session
	}
}

// settle asks the server (after a reconnect: reads retry on connection loss) whether path
// exists, for a write whose outcome a connection loss left unknown.
func (c *Cache) settle(ctx context.Context, path string) (st jute.Stat, exists bool, err error) {
	err = c.read(ctx, func(cl *zkclient.Client) error {
		var err error
		st, exists, err = cl.Exists(ctx, path)
		return err
	})
	return st, exists, err
}

// Delete deletes a znode (version -1: any version).
func (c *Cache) Delete(ctx context.Context, path string, version int32) error {
	if err := checkPath("delete", path); err != nil {
		return err
	}
	pp := parentPath(path)
	c.mu.Lock()
	tok := c.beginFill(path, pp)
	c.mu.Unlock()

	err := c.Client().Delete(ctx, path, version)
	if errors.Is(err, zkclient.ErrConnectionLoss) {
		// Gone now: whether by this request or another, the znode is deleted and stays so.
		// Still there: the delete may yet be applied; the loss stands.
		if _, ok, serr := c.settle(ctx, path); serr == nil && !ok {
			err = nil
		}
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	fresh := c.endFill(tok)
	if err != nil && !errors.Is(err, zkclient.ErrNoNode) {
		c.clearContent(c.lookup(path))
		c.dropListing(pp)
		return err
	}
	// Deleted (or already absent).
	c.removeSubtree(c.lookup(path))
	if par := c.lookup(pp); par != nil {
		if fresh {
			par.removeChild(baseName(path))
		} else {
			par.dropChildren()
		}
		par.dropStat()
		c.updated(par)
	}
	return err
}

// Set replaces a znode's data (version -1: any version).
func (c *Cache) Set(ctx context.Context, path string, data []byte, version int32) (jute.Stat, error) {
	return c.update("set", path,
		func(cl *zkclient.Client) (jute.Stat, error) { return cl.Set(ctx, path, data, version) },
		func(e *entry, st jute.Stat) { e.setData(slices.Clone(data), st) },
		func(e *entry) { e.dropData(); e.dropStat() })
}

// SetACL replaces a znode's ACL (version -1: any ACL version).
func (c *Cache) SetACL(ctx context.Context, path string, acl []jute.ACL, version int32) (jute.Stat, error) {
	return c.update("setACL", path,
		func(cl *zkclient.Client) (jute.Stat, error) { return cl.SetACL(ctx, path, acl, version) },
		(*entry).setStat,
		(*entry).dropStat)
}

// update runs a write that changes one existing znode (setData, setACL) under the race rule:
// on success the result is stored with store, or, if an event for the path came meanwhile,
// what it may have outdated is dropped with stale; a failure drops what it may have made stale.
func (c *Cache) update(op, path string, call func(cl *zkclient.Client) (jute.Stat, error),
	store func(e *entry, st jute.Stat), stale func(e *entry)) (jute.Stat, error) {
	if err := checkPath(op, path); err != nil {
		return jute.Stat{}, err
	}
	c.mu.Lock()
	tok := c.beginFill(path)
	c.mu.Unlock()

	st, err := call(c.Client())

	c.mu.Lock()
	defer c.mu.Unlock()
	fresh := c.endFill(tok)
	if err != nil {
		c.dropAfterFailure(path, err)
		return st, err
	}
	e := c.lookup(path)
	switch {
	case fresh:
		if e == nil {
			e = c.getOrCreate(path)
		}
		store(e, st)
	case e != nil:
		stale(e)
	default:
		return st, nil
	}
	c.updated(e)
	return st, nil
}

// Multi runs ops atomically and then drops every cached entry they touched (whether the multi
// succeeded or not: a failure may have an unknown outcome).
func (c *Cache) Multi(ctx context.Context, ops ...zkclient.Op) ([]zkclient.OpResult, error) {
	res, err := c.Client().Multi(ctx, ops...)
	paths, complete := multiPaths(ops, res)
	c.mu.Lock()
	defer c.mu.Unlock()
	if !complete {
		c.dropAll()
		return res, err
	}
	for _, p := range paths {
		c.removeSubtree(c.lookup(p))
		c.dropListing(parentPath(p))
	}
	return res, err
}

// multiPaths returns the paths ops touched, and false when it cannot name all of them.
func multiPaths(ops []zkclient.Op, res []zkclient.OpResult) ([]string, bool) {
	if len(res) != len(ops) {
		return nil, false
	}
	paths := make([]string, 0, len(res))
	for _, r := range res {
		if r.Path == "" {
			return nil, false
		}
		paths = append(paths, r.Path)
	}
	return paths, true
}

// dropListing forgets p's child list and stat (they change when a child comes or goes).
// Requires Cache.mu.
func (c *Cache) dropListing(p string) {
	if p == "" {
		return
	}
	if e := c.lookup(p); e != nil {
		e.negative = false
		e.dropChildren()
		e.dropStat()
		c.updated(e)
	}
}

// dropAfterFailure forgets what a failed write on path may have made stale. Requires Cache.mu.
func (c *Cache) dropAfterFailure(path string, err error) {
	if errors.Is(err, zkclient.ErrNoNode) {
		c.removeSubtree(c.lookup(path))
		c.dropListing(parentPath(path))
		return
	}
	if e := c.lookup(path); e != nil {
		e.negative = false
		e.dropData()
		e.dropStat()
		c.updated(e)
	}
}
