package cache

import (
	"errors"
	"slices"
	"testing"

	"github.com/zkfs/zkfs/jute"
	"github.com/zkfs/zkfs/zkclient"
)

// Remote create, data change and delete update the cache and are published in order. Each
// read right after the matching invalidation must already see the change: invalidations are
// sent after the cache was updated.
func TestRemoteChangesUpdateCache(t *testing.T) {
	srv := startServer(t)
	h := openCache(t, srv.Addr())
	other := remote(t, srv.Addr())
	ctx := testCtx(t)

	h.wantAbsent(t, "/a") // cached as negative
	if e := h.cached("/a"); !e.negative {
		t.Fatalf("no negative entry after a NoNode read: %+v", e)
	}
	h.wantChildren(t, "/", "zookeeper")

	mustCreate(t, other, "/a", "one")
	at := h.rec.waitSeq(t, 0, inv(Created, "/a"))
	h.wantData(t, "/a", "one")
	h.wantChildren(t, "/", "a", "zookeeper")

	mustSet(t, other, "/a", "two!")
	at = h.rec.waitSeq(t, at, inv(DataChanged, "/a"))
	h.wantData(t, "/a", "two!")
	st, err := h.Stat(ctx, "/a")
	if err != nil || st.Version != 1 || st.DataLength != 4 {
		t.Fatalf("Stat(/a) = %+v, %v; want version 1, length 4", st, err)
	}

	mustDelete(t, other, "/a")
	h.rec.waitSeq(t, at, inv(Deleted, "/a"))
	h.wantAbsent(t, "/a")
	h.wantChildren(t, "/", "zookeeper")

	// The whole sequence, in order.
	h.rec.waitSeq(t, 0, inv(Created, "/a"), inv(DataChanged, "/a"), inv(Deleted, "/a"))
}

// Child lists are sorted and kept in step with creates and deletes by the events alone,
// including the deletion of a whole subtree.
func TestChildListsInStep(t *testing.T) {
	srv := startServer(t)
	h := openCache(t, srv.Addr())
	other := remote(t, srv.Addr())

	mustCreate(t, other, "/p", "")
	for _, n := range []string{"c", "a", "b"} {
		mustCreate(t, other, "/p/"+n, n)
	}
	h.rec.waitSeq(t, 0, inv(Created, "/p/b"))
	h.wantChildren(t, "/p", "a", "b", "c")

	at := h.rec.mark()
	mustCreate(t, other, "/p/d", "")
	mustCreate(t, other, "/p/0", "")
	mustDelete(t, other, "/p/b")
	at = h.rec.waitSeq(t, at, inv(Created, "/p/d"), inv(Created, "/p/0"), inv(Deleted, "/p/b"))
	// Maintained from the events, not re-fetched:
	if e := h.cached("/p"); !e.hasChildren || !slices.Equal(e.children, []string{"0", "a", "c", "d"}) {
		t.Fatalf("cached children of /p = %v (cached %v), want [0 a c d]", e.children, e.hasChildren)
	}
	h.wantChildren(t, "/p", "0", "a", "c", "d")

	// A subtree, fully cached, then deleted from below by the other client.
	mustCreate(t, other, "/p/x", "x")
	mustCreate(t, other, "/p/x/y", "y")
	mustCreate(t, other, "/p/x/y/z", "z")
	mustCreate(t, other, "/p/x/w", "w")
	at = h.rec.waitSeq(t, at, inv(Created, "/p/x/w"))
	for _, p := range []string{"/p/x", "/p/x/y", "/p/x/y/z", "/p/x/w"} {
		h.wantData(t, p, p[len(p)-1:])
	}
	h.wantChildren(t, "/p/x", "w", "y")
	h.wantChildren(t, "/p/x/y", "z")
	h.wantChildren(t, "/p/x/y/z")
	h.wantChildren(t, "/p", "0", "a", "c", "d", "x")
	deleteTree(t, other, "/p/x")
	h.rec.waitSeq(t, at, inv(Deleted, "/p/x/y/z"), inv(Deleted, "/p/x/y"), inv(Deleted, "/p/x"))
	if left := h.cachedUnder("/p/x"); len(left) != 0 {
		t.Fatalf("entries left under the deleted subtree: %v", left)
	}
	if e := h.cached("/p"); !e.hasChildren || !slices.Equal(e.children, []string{"0", "a", "c", "d"}) {
		t.Fatalf("cached children of /p = %v (cached %v), want [0 a c d]", e.children, e.hasChildren)
	}
	h.wantAbsent(t, "/p/x")
	h.wantAbsent(t, "/p/x/y/z")
	h.wantChildren(t, "/p", "0", "a", "c", "d")
}

// A stat that shows no children is a child list: a leaf read with Data is listed without a
// request, a child created later by another client is found at once and shows in that list.
func TestLeafListedFromStat(t *testing.T) {
	srv := startServer(t)
	h := openCache(t, srv.Addr())
	other := remote(t, srv.Addr())

	mustCreate(t, other, "/leaf", "v")
	mustCreate(t, other, "/inner", "")
	mustCreate(t, other, "/inner/k", "")
	// Events applied first: a read racing one is not stored, and would be fetched again.
	h.rec.waitSeq(t, 0, inv(Created, "/leaf"), inv(Created, "/inner"), inv(Created, "/inner/k"))
	h.wantData(t, "/leaf", "v")
	h.wantData(t, "/inner", "")
	before := h.Stats().Misses
	h.wantChildren(t, "/leaf")
	if m := h.Stats().Misses; m != before {
		t.Fatalf("listing a leaf after reading it asked ZooKeeper (%d misses, want %d)", m, before)
	}
	// A stat with children is not a list: fetched (the listing's read-ahead of /inner/k may
	// count a miss of its own meanwhile).
	h.wantChildren(t, "/inner", "k")
	if m := h.Stats().Misses; m < before+1 {
		t.Fatalf("listing /inner: %d misses, want at least %d", m, before+1)
	}

	// A list derived from a stat does not make names absent: a child another client
	// created just now is found even before its event is applied.
	at := h.rec.mark()
	mustCreate(t, other, "/leaf/new", "")
	if _, err := h.Stat(testCtx(t), "/leaf/new"); err != nil {
		t.Fatalf("stat of a child created elsewhere, right after its create: %v", err)
	}
	h.rec.waitSeq(t, at, inv(Created, "/leaf/new"))
	h.wantChildren(t, "/leaf", "new")
}

// A negative entry is dropped by NodeCreated, also when the absence was derived from the
// parent's cached child list.
func TestNegativeEntryInvalidatedByCreate(t *testing.T) {
	srv := startServer(t)
	h := openCache(t, srv.Addr())
	other := remote(t, srv.Addr())

	h.wantAbsent(t, "/n")
	mustCreate(t, other, "/dir", "")
	h.rec.waitSeq(t, 0, inv(Created, "/dir"))
	h.wantChildren(t, "/dir")
	h.wantAbsent(t, "/dir/k") // known from the empty child list

	at := h.rec.mark()
	mustCreate(t, other, "/n", "here")
	mustCreate(t, other, "/dir/k", "kid")
	h.rec.waitSeq(t, at, inv(Created, "/n"), inv(Created, "/dir/k"))
	h.wantData(t, "/n", "here")
	h.wantData(t, "/dir/k", "kid")
	h.wantChildren(t, "/dir", "k")
}

// Writes through the cache are visible to the next read at once, whatever the timing of
// their own watch events, and reach the server.
func TestWriteThrough(t *testing.T) {
	srv := startServer(t)
	h := openCache(t, srv.Addr())
	other := remote(t, srv.Addr())
	ctx := testCtx(t)

	h.wantChildren(t, "/", "zookeeper")
	h.wantAbsent(t, "/w")
	st, err := h.Create(ctx, "/w", []byte("v1"))
	if err != nil || st.Version != 0 || st.DataLength != 2 {
		t.Fatalf("Create = %+v, %v", st, err)
	}
	h.wantData(t, "/w", "v1")
	h.wantChildren(t, "/", "w", "zookeeper")
	h.wantChildren(t, "/w")
	if _, err := h.Create(ctx, "/w", nil); !errors.Is(err, zkclient.ErrNodeExists) {
		t.Fatalf("second Create: %v, want ErrNodeExists", err)
	}

	st, err = h.Set(ctx, "/w", []byte("v2-longer"), 0)
	if err != nil || st.Version != 1 {
		t.Fatalf("Set = %+v, %v", st, err)
	}
	h.wantData(t, "/w", "v2-longer")
	if _, err := h.Set(ctx, "/w", []byte("lost"), 0); !errors.Is(err, zkclient.ErrBadVersion) {
		t.Fatalf("Set with an old version: %v, want ErrBadVersion", err)
	}
	h.wantData(t, "/w", "v2-longer")
	if data, _, err := other.Get(ctx, "/w"); err != nil || string(data) != "v2-longer" {
		t.Fatalf("server has %q, %v", data, err)
	}

	if _, err := h.Create(ctx, "/w/k", []byte("k")); err != nil {
		t.Fatal(err)
	}
	h.wantChildren(t, "/w", "k")
	if err := h.Delete(ctx, "/w", -1); !errors.Is(err, zkclient.ErrNotEmpty) {
		t.Fatalf("Delete of a non-empty znode: %v, want ErrNotEmpty", err)
	}
	if err := h.Delete(ctx, "/w/k", -1); err != nil {
		t.Fatal(err)
	}
	h.wantChildren(t, "/w")
	h.wantAbsent(t, "/w/k")

	acl := []jute.ACL{{Perms: jute.PermRead | jute.PermWrite | jute.PermCreate | jute.PermDelete, ID: jute.ID{Scheme: "world", ID: "anyone"}}}
	st, err = h.SetACL(ctx, "/w", acl, -1)
	if err != nil || st.Aversion != 1 {
		t.Fatalf("SetACL = %+v, %v", st, err)
	}
	if st2, err := h.Stat(ctx, "/w"); err != nil || st2.Aversion != 1 {
		t.Fatalf("Stat after SetACL = %+v, %v", st2, err)
	}
	got, _, err := h.ACL(ctx, "/w")
	if err != nil || !slices.Equal(got, acl) {
		t.Fatalf("ACL = %v, %v; want %v", got, err, acl)
	}

	// Multi: the touched entries are dropped, so reads see the outcome.
	h.wantData(t, "/w", "v2-longer")
	if _, err := h.Multi(ctx,
		zkclient.CreateOp("/m", []byte("m"), jute.ModePersistent, nil),
		zkclient.SetOp("/w", []byte("v3"), -1),
	); err != nil {
		t.Fatalf("Multi: %v", err)
	}
	h.wantData(t, "/w", "v3")
	h.wantData(t, "/m", "m")
	h.wantChildren(t, "/", "m", "w", "zookeeper")
	if _, err := h.Multi(ctx, zkclient.DeleteOp("/m", -1), zkclient.DeleteOp("/w", -1)); err != nil {
		t.Fatalf("Multi delete: %v", err)
	}
	h.wantAbsent(t, "/m")
	h.wantAbsent(t, "/w")
	h.wantChildren(t, "/", "zookeeper")

	if err := h.Delete(ctx, "/w", -1); !errors.Is(err, zkclient.ErrNoNode) {
		t.Fatalf("Delete of an absent znode: %v, want ErrNoNode", err)
	}
	if h.DataLimit("/w") <= 0 {
		t.Fatalf("DataLimit = %d", h.DataLimit("/w"))
	}
}

// The LRU bound holds whatever is read, and evicted paths are still read correctly.
func TestLRUBound(t *testing.T) {
	srv := startServer(t)
	const max = 5
	h := openCache(t, srv.Addr(), func(o *Options) { o.MaxEntries = max })
	other := remote(t, srv.Addr())

	mustCreate(t, other, "/l", "")
	for i := range 20 {
		mustCreate(t, other, "/l/n"+itoa(i), "v"+itoa(i))
	}
	h.rec.waitSeq(t, 0, inv(Created, "/l/n19"))
	for round := range 2 {
		for i := range 20 {
			h.wantData(t, "/l/n"+itoa(i), "v"+itoa(i))
			if n := h.contentCount(t); n > max {
				t.Fatalf("round %d: %d entries cached, bound %d", round, n, max)
			}
		}
		h.wantChildren(t, "/l", sortedNames(20)...)
		h.wantAbsent(t, "/l/none")
	}
	// An evicted path is still updated correctly.
	mustSet(t, other, "/l/n0", "changed")
	h.rec.waitSeq(t, 0, inv(DataChanged, "/l/n0"))
	h.wantData(t, "/l/n0", "changed")
	if n := h.contentCount(t); n > max {
		t.Fatalf("%d entries cached, bound %d", n, max)
	}
}

func sortedNames(n int) []string {
	var out []string
	for i := range n {
		out = append(out, "n"+itoa(i))
	}
	slices.Sort(out)
	return out
}

// A chroot in Servers makes the cache's "/" the chroot node.
func TestChroot(t *testing.T) {
	srv := startServer(t)
	other := remote(t, srv.Addr())
	mustCreate(t, other, "/app", "root data")
	h := openCache(t, srv.Addr()+"/app")
	ctx := testCtx(t)

	h.wantData(t, "/", "root data")
	h.wantChildren(t, "/")
	if _, err := h.Create(ctx, "/x", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if data, _, err := other.Get(ctx, "/app/x"); err != nil || string(data) != "x" {
		t.Fatalf("server /app/x = %q, %v", data, err)
	}
	mustCreate(t, other, "/app/y", "y")
	mustCreate(t, other, "/elsewhere", "")
	mustSet(t, other, "/app", "new root data")
	h.rec.waitSeq(t, 0, inv(Created, "/y"), inv(DataChanged, "/"))
	h.wantChildren(t, "/", "x", "y")
	h.wantData(t, "/", "new root data")
	h.wantData(t, "/y", "y")
	for _, got := range h.rec.snapshot() {
		if got.Path == "/elsewhere" || got.Path == "/app/y" {
			t.Fatalf("invalidation outside the chroot or with the chroot prefix: %v", got)
		}
	}
}

// Invalid paths are rejected before they reach the cache.
func TestInvalidPath(t *testing.T) {
	srv := startServer(t)
	h := openCache(t, srv.Addr())
	ctx := testCtx(t)
	for _, p := range []string{"", "a", "/a/", "/a//b", "/a/./b"} {
		if _, err := h.Stat(ctx, p); err == nil {
			t.Errorf("Stat(%q) succeeded", p)
		}
		if _, err := h.Create(ctx, p, nil); err == nil {
			t.Errorf("Create(%q) succeeded", p)
		}
	}
	if n := h.contentCount(t); n != 0 {
		t.Fatalf("%d entries cached after invalid paths", n)
	}
}
