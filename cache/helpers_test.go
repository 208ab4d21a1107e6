package cache

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zkfs/zkfs/internal/zktest"
	"github.com/zkfs/zkfs/jute"
	"github.com/zkfs/zkfs/zkclient"
)

// Deadlines are generous: the machine running the tests may be heavily loaded.
const (
	waitLong = 30 * time.Second
	pollStep = 20 * time.Millisecond
)

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// recorder collects everything the cache publishes on Invalidations.
type recorder struct {
	mu   sync.Mutex // guards got
	got  []Invalidation
	done chan struct{} // closed when the channel was closed
}

// harness is a cache under test plus what records its output.
type harness struct {
	*Cache
	rec *recorder
}

// openCache opens a cache on servers and records its invalidations; both are closed at cleanup.
func openCache(t *testing.T, servers string, tweak ...func(*Options)) *harness {
	t.Helper()
	opts := Options{Client: zkclient.Config{Servers: servers, SessionTimeout: 10 * time.Second}}
	for _, f := range tweak {
		f(&opts)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	c, err := Open(ctx, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", servers, err)
	}
	rec := &recorder{done: make(chan struct{})}
	go func() { // test goroutine: drains Invalidations until Close closes it
		defer close(rec.done)
		for inv := range c.Invalidations() {
			rec.mu.Lock()
			rec.got = append(rec.got, inv)
			rec.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Logf("cache Close: %v", err)
		}
		select {
		case <-rec.done:
		case <-time.After(waitLong):
			t.Error("Invalidations channel not closed by Close")
		}
	})
	return &harness{Cache: c, rec: rec}
}

// snapshot returns what was recorded so far.
func (r *recorder) snapshot() []Invalidation {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

// count returns how many recorded invalidations equal want.
func (r *recorder) count(want Invalidation) int {
	n := 0
	for _, inv := range r.snapshot() {
		if inv == want {
			n++
		}
	}
	return n
}

// waitSeq waits until want appears, in order, as a subsequence of what was recorded from
// index from on, and returns the index just past the match.
func (r *recorder) waitSeq(t *testing.T, from int, want ...Invalidation) int {
	t.Helper()
	var got []Invalidation
	deadline := time.Now().Add(waitLong)
	for {
		got = r.snapshot()
		j := 0
		for i := from; i < len(got) && j < len(want); i++ {
			if got[i] == want[j] {
				j++
				if j == len(want) {
					return i + 1
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("invalidations %v never appeared in order; got %v", want, got[min(from, len(got)):])
		}
		time.Sleep(pollStep)
	}
}

// mark returns the number of invalidations recorded so far.
func (r *recorder) mark() int { return len(r.snapshot()) }

// eventually polls cond until it returns nil or the deadline passes.
func eventually(t *testing.T, what string, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(waitLong)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still not true after %v: %v", what, waitLong, err)
		}
		time.Sleep(pollStep)
	}
}

// remote connects an independent second session (the "other client" making changes).
func remote(t *testing.T, servers string) *zkclient.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	cl, err := zkclient.Connect(ctx, zkclient.Config{Servers: servers, SessionTimeout: 30 * time.Second})
	if err != nil {
		t.Fatalf("second session: %v", err)
	}
	t.Cleanup(func() { cl.Close() })
	return cl
}

func mustCreate(t *testing.T, cl *zkclient.Client, p, data string) {
	t.Helper()
	if _, _, err := cl.Create(testCtx(t), p, []byte(data), jute.ModePersistent, nil); err != nil {
		t.Fatalf("create %s: %v", p, err)
	}
}

func mustSet(t *testing.T, cl *zkclient.Client, p, data string) {
	t.Helper()
	if _, err := cl.Set(testCtx(t), p, []byte(data), -1); err != nil {
		t.Fatalf("set %s: %v", p, err)
	}
}

func mustDelete(t *testing.T, cl *zkclient.Client, p string) {
	t.Helper()
	if err := cl.Delete(testCtx(t), p, -1); err != nil {
		t.Fatalf("delete %s: %v", p, err)
	}
}

// deleteTree deletes p and everything below it, deepest first.
func deleteTree(t *testing.T, cl *zkclient.Client, p string) {
	t.Helper()
	kids, _, err := cl.Children(testCtx(t), p)
	if err != nil {
		t.Fatalf("children %s: %v", p, err)
	}
	for _, k := range kids {
		deleteTree(t, cl, joinPath(p, k))
	}
	mustDelete(t, cl, p)
}

// wantData checks a read through the cache.
func (h *harness) wantData(t *testing.T, p, want string) {
	t.Helper()
	data, st, err := h.Data(testCtx(t), p)
	if err != nil {
		t.Fatalf("cache Data(%s): %v", p, err)
	}
	if string(data) != want || int(st.DataLength) != len(want) {
		t.Fatalf("cache Data(%s) = %q (dataLength %d), want %q", p, data, st.DataLength, want)
	}
}

// wantAbsent checks that Stat, Data and Children through the cache all say ErrNoNode.
func (h *harness) wantAbsent(t *testing.T, p string) {
	t.Helper()
	ctx := testCtx(t)
	if _, err := h.Stat(ctx, p); !errors.Is(err, zkclient.ErrNoNode) {
		t.Fatalf("cache Stat(%s): err %v, want ErrNoNode", p, err)
	}
	if _, _, err := h.Data(ctx, p); !errors.Is(err, zkclient.ErrNoNode) {
		t.Fatalf("cache Data(%s): err %v, want ErrNoNode", p, err)
	}
	if _, _, err := h.Children(ctx, p); !errors.Is(err, zkclient.ErrNoNode) {
		t.Fatalf("cache Children(%s): err %v, want ErrNoNode", p, err)
	}
}

// wantChildren checks a child list read through the cache.
func (h *harness) wantChildren(t *testing.T, p string, want ...string) {
	t.Helper()
	got, st, err := h.Children(testCtx(t), p)
	if err != nil {
		t.Fatalf("cache Children(%s): %v", p, err)
	}
	if !slices.Equal(got, want) || int(st.NumChildren) != len(want) {
		t.Fatalf("cache Children(%s) = %v (numChildren %d), want %v", p, got, st.NumChildren, want)
	}
}

// cached returns a copy of what the cache holds for p (zero entry when nothing).
func (h *harness) cached(p string) entry {
	h.mu.Lock()
	defer h.mu.Unlock()
	e := h.lookup(p)
	if e == nil {
		return entry{}
	}
	return entry{
		path: e.path, negative: e.negative,
		hasStat: e.hasStat, stat: e.stat,
		hasData: e.hasData, data: slices.Clone(e.data),
		hasChildren: e.hasChildren, children: slices.Clone(e.children),
	}
}

// cachedUnder lists the cached paths equal to p or below it.
func (h *harness) cachedUnder(p string) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for q := range h.entries {
		if q == p || strings.HasPrefix(q, p+"/") {
			out = append(out, q)
		}
	}
	slices.Sort(out)
	return out
}

// contentCount returns the number of entries with content, and checks it against the LRU list.
func (h *harness) contentCount(t *testing.T) int {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, e := range h.entries {
		if e.hasContent() {
			n++
		}
	}
	if n != h.lru.len() {
		t.Fatalf("%d entries with content, LRU list holds %d", n, h.lru.len())
	}
	return n
}

func inv(k InvalKind, p string) Invalidation { return Invalidation{Kind: k, Path: p} }

func startServer(t *testing.T) *zktest.Server {
	t.Helper()
	return zktest.Start(t)
}

func itoa(i int) string { return fmt.Sprint(i) }
