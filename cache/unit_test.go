package cache

import (
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/zkfs/zkfs/jute"
	"github.com/zkfs/zkfs/zkclient"
)

// newTestCache returns a Cache with no session, for tests of the in-memory machinery.
func newTestCache(maxEntries int) *Cache {
	c := &Cache{
		opts:    Options{MaxEntries: maxEntries},
		log:     slog.New(slog.DiscardHandler),
		entries: make(map[string]*entry),
		fills:   make(map[string]*fillTrack),
		inval:   newInvalQueue(),
	}
	c.lru.init()
	return c
}

// checkTree verifies the tree invariants: every map entry is linked from its parent, every
// entry in the LRU list has content and every entry with content is in the LRU list, and no
// entry without content and without kids is left behind. Requires no lock (tests only).
func checkTree(t *testing.T, c *Cache) {
	t.Helper()
	withContent := 0
	for p, e := range c.entries {
		if e.path != p {
			t.Fatalf("entry %q stored under %q", e.path, p)
		}
		if pp := parentPath(p); pp != "" {
			par := c.entries[pp]
			if par == nil || par.kids[e.name] != e || e.parent != par {
				t.Fatalf("entry %q not linked from its parent %q", p, pp)
			}
		}
		if e.hasContent() {
			withContent++
			if e.elem == nil {
				t.Fatalf("entry %q has content but is not in the LRU list", p)
			}
		} else {
			if e.elem != nil {
				t.Fatalf("entry %q has no content but is in the LRU list", p)
			}
			if len(e.kids) == 0 {
				t.Fatalf("entry %q has neither content nor kids", p)
			}
		}
		if e.hasChildren && !slices.IsSorted(e.children) {
			t.Fatalf("children of %q not sorted: %v", p, e.children)
		}
	}
	if withContent != c.lru.len() {
		t.Fatalf("%d entries with content, LRU list has %d", withContent, c.lru.len())
	}
}

func TestPathHelpers(t *testing.T) {
	for _, tc := range []struct{ p, parent, base string }{
		{"/", "", ""},
		{"/a", "/", "a"},
		{"/a/b", "/a", "b"},
		{"/a/b/c", "/a/b", "c"},
	} {
		if got := parentPath(tc.p); got != tc.parent {
			t.Errorf("parentPath(%q) = %q, want %q", tc.p, got, tc.parent)
		}
		if got := baseName(tc.p); got != tc.base {
			t.Errorf("baseName(%q) = %q, want %q", tc.p, got, tc.base)
		}
		if tc.parent != "" {
			if got := joinPath(tc.parent, tc.base); got != tc.p {
				t.Errorf("joinPath(%q, %q) = %q, want %q", tc.parent, tc.base, got, tc.p)
			}
		}
	}
}

func TestDiffSorted(t *testing.T) {
	for _, tc := range []struct{ a, b, added, removed []string }{
		{nil, nil, nil, nil},
		{[]string{"a", "b"}, []string{"a", "b"}, nil, nil},
		{nil, []string{"a"}, []string{"a"}, nil},
		{[]string{"a"}, nil, nil, []string{"a"}},
		{[]string{"a", "c", "e"}, []string{"b", "c", "d", "f"}, []string{"b", "d", "f"}, []string{"a", "e"}},
	} {
		added, removed := diffSorted(tc.a, tc.b)
		if !slices.Equal(added, tc.added) || !slices.Equal(removed, tc.removed) {
			t.Errorf("diffSorted(%v, %v) = %v, %v; want %v, %v", tc.a, tc.b, added, removed, tc.added, tc.removed)
		}
	}
}

func stat(czxid, mzxid int64) jute.Stat { return jute.Stat{Czxid: czxid, Mzxid: mzxid, Pzxid: czxid} }

func ev(typ jute.EventType, p string) zkclient.Event {
	return zkclient.Event{Type: typ, State: jute.StateSyncConnected, Path: p, Zxid: -1}
}

func TestEventsKeepChildListsInStep(t *testing.T) {
	c := newTestCache(100)
	c.mu.Lock()
	root := c.getOrCreate("/")
	root.setChildren([]string{"a", "c"}, stat(1, 1))
	c.updated(root)
	a := c.getOrCreate("/a")
	a.setData([]byte("x"), stat(2, 2))
	a.setChildren([]string{"k"}, stat(2, 2))
	c.updated(a)
	k := c.getOrCreate("/a/k/deep")
	k.setData([]byte("d"), stat(3, 3))
	c.updated(k)
	neg := c.getOrCreate("/b")
	neg.setNegative()
	c.updated(neg)
	c.mu.Unlock()
	checkTree(t, c)

	inv, _ := c.applyNodeEvent(ev(jute.EventNodeCreated, "/b"))
	if !slices.Equal(inv, []Invalidation{{Created, "/b"}}) {
		t.Fatalf("create: invalidations %v", inv)
	}
	if c.lookup("/b") != nil {
		t.Fatal("negative entry for /b survived its creation")
	}
	if !slices.Equal(root.children, []string{"a", "b", "c"}) || root.hasStat {
		t.Fatalf("root after create: children %v hasStat %v", root.children, root.hasStat)
	}
	checkTree(t, c)

	inv, _ = c.applyNodeEvent(ev(jute.EventNodeDataChanged, "/a"))
	if !slices.Equal(inv, []Invalidation{{DataChanged, "/a"}}) {
		t.Fatalf("data: invalidations %v", inv)
	}
	if a.hasData || a.hasStat || !a.hasChildren {
		t.Fatalf("/a after data change: data %v stat %v children %v", a.hasData, a.hasStat, a.hasChildren)
	}
	checkTree(t, c)

	inv, _ = c.applyNodeEvent(ev(jute.EventNodeDeleted, "/a"))
	if !slices.Equal(inv, []Invalidation{{Deleted, "/a"}}) {
		t.Fatalf("delete: invalidations %v", inv)
	}
	for p := range c.entries {
		if strings.HasPrefix(p, "/a") {
			t.Fatalf("entry %q survived the deletion of /a", p)
		}
	}
	if !slices.Equal(root.children, []string{"b", "c"}) {
		t.Fatalf("root children after delete: %v", root.children)
	}
	checkTree(t, c)
	if !c.knownAbsent("/a") || c.knownAbsent("/b") {
		t.Fatal("knownAbsent does not follow the parent's child list")
	}
}

func TestRaceRule(t *testing.T) {
	c := newTestCache(100)
	c.mu.Lock()
	defer c.mu.Unlock()

	tok := c.beginFill("/a")
	c.noteEvent("/b")
	if !c.endFill(tok) {
		t.Fatal("an event on another path made a fill stale")
	}
	tok = c.beginFill("/a")
	c.noteEvent("/a/x", "/a")
	if c.endFill(tok) {
		t.Fatal("a fill survived an event on its path")
	}
	tok = c.beginFill("/a")
	tok2 := c.beginFill("/a")
	c.noteEvent("/a")
	tok3 := c.beginFill("/a") // started after the event: fresh
	if c.endFill(tok) || c.endFill(tok2) {
		t.Fatal("fills survived an event on their path")
	}
	if !c.endFill(tok3) {
		t.Fatal("a fill started after the event was judged stale")
	}
	tok = c.beginFill("/a", "/")
	c.noteAll()
	if c.endFill(tok) {
		t.Fatal("a fill survived an All")
	}
	if len(c.fills) != 0 {
		t.Fatalf("fill tracks leaked: %v", c.fills)
	}
}

func TestLRUEvictsAndPrunes(t *testing.T) {
	c := newTestCache(3)
	c.mu.Lock()
	for i := range 10 {
		e := c.getOrCreate(fmt.Sprintf("/d%d/x/y", i))
		e.setData([]byte{byte(i)}, stat(int64(i+1), int64(i+1)))
		c.updated(e)
		if c.lru.len() > 3 {
			t.Fatalf("LRU holds %d entries, bound 3", c.lru.len())
		}
	}
	c.lru.touch(c.lookup("/d7/x/y")) // most recent now: survives the next insert
	e := c.getOrCreate("/z")
	e.setNegative()
	c.updated(e)
	c.mu.Unlock()
	checkTree(t, c)
	if c.lookup("/d7/x/y") == nil || c.lookup("/d9/x/y") == nil || c.lookup("/z") == nil {
		t.Fatal("recently used entries evicted")
	}
	if c.lookup("/d8/x/y") != nil || c.lookup("/d0") != nil {
		t.Fatal("least recently used entry (or its empty ancestors) not evicted")
	}
	if len(c.entries) != 1+3+3+1 { // "/" + /d7,/d7/x,/d7/x/y + /d9,... + /z
		t.Fatalf("entries %d, want 8", len(c.entries))
	}
	if !c.evicted {
		t.Fatal("eviction not recorded")
	}
}

func TestInvalQueueUnboundedOrdered(t *testing.T) {
	q := newInvalQueue()
	go q.run()
	const n = 20000
	for i := range n {
		q.push(Invalidation{Kind: DataChanged, Path: fmt.Sprintf("/%d", i)})
	}
	for i := range n {
		got := <-q.out
		if want := fmt.Sprintf("/%d", i); got.Path != want {
			t.Fatalf("item %d: got %v, want %s", i, got, want)
		}
	}
	q.push(Invalidation{Kind: All})
	if got := <-q.out; got.Kind != All {
		t.Fatalf("got %v, want All", got)
	}
	q.push(Invalidation{Kind: All}) // not received: discarded by stop
	q.stop()
	for range q.out { // closed after stop
	}
	q.push(Invalidation{Kind: All}) // after stop: ignored, no panic
}

func TestInvalKindString(t *testing.T) {
	for k, want := range map[InvalKind]string{Created: "Created", Deleted: "Deleted", DataChanged: "DataChanged", All: "All", 99: "InvalKind(99)"} {
		if k.String() != want {
			t.Errorf("%d.String() = %q, want %q", int(k), k.String(), want)
		}
	}
}

// BenchmarkDataHit measures a read served from the cache (no session needed).
func BenchmarkDataHit(b *testing.B) {
	c := newTestCache(100)
	c.mu.Lock()
	e := c.getOrCreate("/bench/node")
	e.setData(make([]byte, 1024), stat(1, 1))
	c.updated(e)
	c.mu.Unlock()
	ctx := b.Context()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, _, err := c.Data(ctx, "/bench/node"); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// TestMarks: Changed reports events on the path, on its children and Alls applied after the
// mark, and not those applied before it.
func TestMarks(t *testing.T) {
	c := newTestCache(0)
	ev := func(typ jute.EventType, p string) {
		c.applyNodeEvent(zkclient.Event{Type: typ, Path: p})
	}
	ev(jute.EventNodeDataChanged, "/a")
	m := c.Mark()
	if c.Changed("/a", m) {
		t.Fatal("an event before the mark reported")
	}
	ev(jute.EventNodeDataChanged, "/a")
	if !c.Changed("/a", m) {
		t.Fatal("data change after the mark not reported")
	}
	m = c.Mark()
	ev(jute.EventNodeCreated, "/b/kid")
	if !c.Changed("/b/kid", m) || !c.Changed("/b", m) {
		t.Fatal("create not reported on the path and its parent")
	}
	unrelated := 0
	for i := range 100 {
		if c.Changed(fmt.Sprintf("/other/%d", i), m) {
			unrelated++
		}
	}
	if unrelated > 5 {
		t.Fatalf("%d of 100 unrelated paths reported changed", unrelated)
	}
	m = c.Mark()
	c.mu.Lock()
	c.noteAll()
	c.mu.Unlock()
	if !c.Changed("/other/1", m) {
		t.Fatal("All not reported")
	}
}
