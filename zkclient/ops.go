package zkclient

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/zkfs/zkfs/jute"
)

// begin validates path and starts a request for op on it, returning the
// request with the server path appended.
func (c *Client) begin(op jute.OpCode, name, path string) (*request, string, error) {
	if err := jute.ValidatePath(path); err != nil {
		return nil, "", opErr(name, path, err)
	}
	sp := c.serverPath(path)
	r := newRequest(op)
	r.buf = jute.AppendString(r.buf, sp)
	return r, sp, nil
}

// Create creates a node and returns its path (with the sequence number, for
// sequential modes) and Stat. A nil acl means jute.WorldACL. TTL modes need
// CreateTTL.
func (c *Client) Create(ctx context.Context, path string, data []byte, mode jute.CreateMode, acl []jute.ACL) (string, jute.Stat, error) {
	if mode.IsTTL() {
		return "", jute.Stat{}, opErr("create", path, fmt.Errorf("%w: mode %v needs CreateTTL", ErrBadArguments, mode))
	}
	return c.create(ctx, path, data, mode, acl, 0)
}

// CreateTTL creates a node in a TTL mode (the server must run with
// extendedTypesEnabled); it is deleted once it has had no children and no
// change for ttl.
func (c *Client) CreateTTL(ctx context.Context, path string, data []byte, mode jute.CreateMode, acl []jute.ACL, ttl time.Duration) (string, jute.Stat, error) {
	if !mode.IsTTL() || ttl <= 0 {
		return "", jute.Stat{}, opErr("create", path, fmt.Errorf("%w: CreateTTL needs a TTL mode and a positive ttl", ErrBadArguments))
	}
	return c.create(ctx, path, data, mode, acl, ttl)
}

func (c *Client) create(ctx context.Context, path string, data []byte, mode jute.CreateMode, acl []jute.ACL, ttl time.Duration) (string, jute.Stat, error) {
	if !mode.Valid() {
		return "", jute.Stat{}, opErr("create", path, fmt.Errorf("%w: create mode %v", ErrBadArguments, mode))
	}
	if err := jute.ValidateCreatePath(path, mode); err != nil {
		return "", jute.Stat{}, opErr("create", path, err)
	}
	if err := c.checkData("create", path, data); err != nil {
		return "", jute.Stat{}, err
	}
	if acl == nil {
		acl = jute.WorldACL
	}
	sp := c.serverPath(path)
	op := mode.OpCode()
	r := newRequest(op)
	if op == jute.OpCreateTTL {
		req := jute.CreateTTLRequest{Path: sp, Data: data, ACL: acl, Flags: mode, TTL: ttl.Milliseconds()}
		r.buf = req.Append(r.buf)
	} else {
		req := jute.CreateRequest{Path: sp, Data: data, ACL: acl, Flags: mode}
		r.buf = req.Append(r.buf)
	}
	if err := c.call(ctx, r, "create", path); err != nil {
		return "", jute.Stat{}, err
	}
	p, st := c.clientPath(r.path), r.stat
	r.release()
	return p, st, nil
}

// Delete deletes a node; version -1 matches any version.
func (c *Client) Delete(ctx context.Context, path string, version int32) error {
	r, _, err := c.begin(jute.OpDelete, "delete", path)
	if err != nil {
		return err
	}
	r.buf = jute.AppendInt32(r.buf, version)
	if err := c.call(ctx, r, "delete", path); err != nil {
		return err
	}
	r.release()
	return nil
}

// Exists returns the node's Stat and whether it exists.
func (c *Client) Exists(ctx context.Context, path string) (jute.Stat, bool, error) {
	return c.exists(ctx, path, false)
}

// ExistsW is Exists that also leaves a one-shot watch: NodeCreated if the
// node is missing, NodeDataChanged or NodeDeleted if it exists.
func (c *Client) ExistsW(ctx context.Context, path string) (jute.Stat, bool, error) {
	return c.exists(ctx, path, true)
}

func (c *Client) exists(ctx context.Context, path string, watch bool) (jute.Stat, bool, error) {
	r, sp, err := c.begin(jute.OpExists, "exists", path)
	if err != nil {
		return jute.Stat{}, false, err
	}
	r.buf = jute.AppendBool(r.buf, watch)
	if watch {
		r.watch, r.wpath = watchExist, sp
	}
	if err := c.call(ctx, r, "exists", path); err != nil {
		if errors.Is(err, ErrNoNode) {
			return jute.Stat{}, false, nil
		}
		return jute.Stat{}, false, err
	}
	st := r.stat
	r.release()
	return st, true, nil
}

// Get returns the node's data (nil for null data) and Stat.
func (c *Client) Get(ctx context.Context, path string) ([]byte, jute.Stat, error) {
	return c.get(ctx, path, false)
}

// GetW is Get that also leaves a one-shot data watch.
func (c *Client) GetW(ctx context.Context, path string) ([]byte, jute.Stat, error) {
	return c.get(ctx, path, true)
}

func (c *Client) get(ctx context.Context, path string, watch bool) ([]byte, jute.Stat, error) {
	r, sp, err := c.begin(jute.OpGetData, "get", path)
	if err != nil {
		return nil, jute.Stat{}, err
	}
	r.buf = jute.AppendBool(r.buf, watch)
	if watch {
		r.watch, r.wpath = watchData, sp
	}
	if err := c.call(ctx, r, "get", path); err != nil {
		return nil, jute.Stat{}, err
	}
	data, st := r.data, r.stat
	r.release()
	return data, st, nil
}

// GetConfig returns the ensemble configuration (/zookeeper/config, outside
// any chroot).
func (c *Client) GetConfig(ctx context.Context) ([]byte, jute.Stat, error) {
	const p = "/zookeeper/config"
	r := newRequest(jute.OpGetData)
	r.buf = jute.AppendString(r.buf, p)
	r.buf = jute.AppendBool(r.buf, false)
	if err := c.call(ctx, r, "getConfig", p); err != nil {
		return nil, jute.Stat{}, err
	}
	data, st := r.data, r.stat
	r.release()
	return data, st, nil
}

// Set replaces the node's data if its version is version (-1: any) and
// returns the new Stat.
func (c *Client) Set(ctx context.Context, path string, data []byte, version int32) (jute.Stat, error) {
	if err := jute.ValidatePath(path); err != nil {
		return jute.Stat{}, opErr("set", path, err)
	}
	if err := c.checkData("set", path, data); err != nil {
		return jute.Stat{}, err
	}
	r, _, err := c.begin(jute.OpSetData, "set", path)
	if err != nil {
		return jute.Stat{}, err
	}
	r.buf = jute.AppendBuffer(r.buf, data)
	r.buf = jute.AppendInt32(r.buf, version)
	if err := c.call(ctx, r, "set", path); err != nil {
		return jute.Stat{}, err
	}
	st := r.stat
	r.release()
	return st, nil
}

// Children returns the names of the node's children (in the server's
// order) and its Stat.
func (c *Client) Children(ctx context.Context, path string) ([]string, jute.Stat, error) {
	return c.children(ctx, path, false)
}

// ChildrenW is Children that also leaves a one-shot child watch.
func (c *Client) ChildrenW(ctx context.Context, path string) ([]string, jute.Stat, error) {
	return c.children(ctx, path, true)
}

func (c *Client) children(ctx context.Context, path string, watch bool) ([]string, jute.Stat, error) {
	r, sp, err := c.begin(jute.OpGetChildren2, "children", path)
	if err != nil {
		return nil, jute.Stat{}, err
	}
	r.buf = jute.AppendBool(r.buf, watch)
	if watch {
		r.watch, r.wpath = watchChild, sp
	}
	if err := c.call(ctx, r, "children", path); err != nil {
		return nil, jute.Stat{}, err
	}
	names, st := r.strs, r.stat
	r.release()
	if names == nil {
		names = []string{}
	}
	return names, st, nil
}

// GetACL returns the node's ACL and Stat.
func (c *Client) GetACL(ctx context.Context, path string) ([]jute.ACL, jute.Stat, error) {
	r, _, err := c.begin(jute.OpGetACL, "getACL", path)
	if err != nil {
		return nil, jute.Stat{}, err
	}
	if err := c.call(ctx, r, "getACL", path); err != nil {
		return nil, jute.Stat{}, err
	}
	acl, st := r.acl, r.stat
	r.release()
	return acl, st, nil
}

// SetACL replaces the node's ACL if its ACL version (Stat.Aversion) is
// version (-1: any).
func (c *Client) SetACL(ctx context.Context, path string, acl []jute.ACL, version int32) (jute.Stat, error) {
	r, _, err := c.begin(jute.OpSetACL, "setACL", path)
	if err != nil {
		return jute.Stat{}, err
	}
	r.buf = jute.AppendACLs(r.buf, acl)
	r.buf = jute.AppendInt32(r.buf, version)
	if err := c.call(ctx, r, "setACL", path); err != nil {
		return jute.Stat{}, err
	}
	st := r.stat
	r.release()
	return st, nil
}

// Sync makes the connected server catch up with the leader for path, so
// that later reads see every write committed before the sync.
func (c *Client) Sync(ctx context.Context, path string) error {
	r, _, err := c.begin(jute.OpSync, "sync", path)
	if err != nil {
		return err
	}
	if err := c.call(ctx, r, "sync", path); err != nil {
		return err
	}
	r.release()
	return nil
}

// GetEphemerals returns the session's ephemeral nodes under prefix (a path
// prefix, not necessarily a node).
func (c *Client) GetEphemerals(ctx context.Context, prefix string) ([]string, error) {
	if prefix == "" {
		prefix = "/"
	}
	sp := c.serverPath(prefix)
	r := newRequest(jute.OpGetEphemerals)
	r.buf = jute.AppendString(r.buf, sp)
	if err := c.call(ctx, r, "getEphemerals", prefix); err != nil {
		return nil, err
	}
	out := make([]string, 0, len(r.strs))
	for _, p := range r.strs {
		out = append(out, c.clientPath(p))
	}
	r.release()
	slices.Sort(out)
	return out, nil
}

// GetAllChildrenNumber returns the number of nodes below path.
func (c *Client) GetAllChildrenNumber(ctx context.Context, path string) (int, error) {
	r, _, err := c.begin(jute.OpGetAllChildrenNumber, "getAllChildrenNumber", path)
	if err != nil {
		return 0, err
	}
	if err := c.call(ctx, r, "getAllChildrenNumber", path); err != nil {
		return 0, err
	}
	n := int(r.num)
	r.release()
	return n, nil
}

// WhoAmI returns the identities the server holds for this session.
func (c *Client) WhoAmI(ctx context.Context) ([]jute.ClientInfo, error) {
	r := newRequest(jute.OpWhoAmI)
	if err := c.call(ctx, r, "whoAmI", ""); err != nil {
		return nil, err
	}
	ids := r.identity
	r.release()
	return ids, nil
}

// AddWatch sets a persistent watch on path (jute.AddWatchPersistent: data,
// deletion and child events of path; jute.AddWatchPersistentRecursive:
// data, creation and deletion events of path and every node below). It
// stays until RemoveWatches and survives reconnects.
func (c *Client) AddWatch(ctx context.Context, path string, mode jute.AddWatchMode) error {
	r, sp, err := c.begin(jute.OpAddWatch, "addWatch", path)
	if err != nil {
		return err
	}
	r.buf = jute.AppendInt32(r.buf, int32(mode))
	switch mode {
	case jute.AddWatchPersistent:
		r.watch = watchPersistent
	case jute.AddWatchPersistentRecursive:
		r.watch = watchRecursive
	default:
		r.release()
		return opErr("addWatch", path, fmt.Errorf("%w: mode %v", ErrBadArguments, mode))
	}
	r.wpath = sp
	if err := c.call(ctx, r, "addWatch", path); err != nil {
		return err
	}
	r.release()
	return nil
}

// RemoveWatches removes the session's watches of type t on path
// (ErrNoWatcher if there is none); the application gets a
// DataWatchRemoved, ChildWatchRemoved or PersistentWatchRemoved event.
func (c *Client) RemoveWatches(ctx context.Context, path string, t jute.WatcherType) error {
	r, sp, err := c.begin(jute.OpRemoveWatches, "removeWatches", path)
	if err != nil {
		return err
	}
	r.buf = jute.AppendInt32(r.buf, int32(t))
	r.watch, r.wtype, r.wpath = watchRemove, t, sp
	if err := c.call(ctx, r, "removeWatches", path); err != nil {
		return err
	}
	r.release()
	return nil
}

// CheckWatches reports (nil or ErrNoWatcher) whether the server holds a
// watch of type t on path for this session.
func (c *Client) CheckWatches(ctx context.Context, path string, t jute.WatcherType) error {
	r, _, err := c.begin(jute.OpCheckWatches, "checkWatches", path)
	if err != nil {
		return err
	}
	r.buf = jute.AppendInt32(r.buf, int32(t))
	if err := c.call(ctx, r, "checkWatches", path); err != nil {
		return err
	}
	r.release()
	return nil
}

// DataLimit returns the largest data a Set of path can carry and a Get can
// read back: the frame limit less the other fields of the setData request
// and of the getData reply, whichever are larger. Set and Create refuse
// larger data with ErrTooLarge before anything is sent.
func (c *Client) DataLimit(path string) int {
	// request: header (xid, type) + path (length, bytes) + data length + version
	set := c.cfg.MaxFrame - (jute.RequestHeaderSize + 4 + len(c.serverPath(path)) + 4 + 4)
	return min(set, c.readLimit())
}

// readLimit is the largest data a getData reply can carry within the frame
// limit: reply header + data length + Stat.
func (c *Client) readLimit() int {
	return c.cfg.MaxFrame - (jute.ReplyHeaderSize + 4 + jute.StatSize)
}

// checkData refuses data that a getData reply could not carry: the node
// could be written but never read.
func (c *Client) checkData(op, path string, data []byte) error {
	if n := c.readLimit(); len(data) > n {
		return opErr(op, path, fmt.Errorf("%w: %d bytes of data, limit %d", ErrTooLarge, len(data), n))
	}
	return nil
}
