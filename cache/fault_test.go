package cache

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/zkfs/zkfs/internal/zktest"
	"github.com/zkfs/zkfs/jute"
	"github.com/zkfs/zkfs/zkclient"
)

// waitAll waits for an All published at or after index from and returns its index.
func (r *recorder) waitAll(t *testing.T, from int) int {
	t.Helper()
	return r.waitSeq(t, from, Invalidation{Kind: All}) - 1
}

// After a reconnect (same session), changes made while the connection was down are not
// replayed by the server; revalidation finds them, fixes the cache and publishes them.
func TestReconnectRevalidates(t *testing.T) {
	srv := startServer(t)
	px := zktest.NewProxy(t, srv.Addr())
	h := openCache(t, px.Addr(), func(o *Options) { o.Client.SessionTimeout = 30 * time.Second })
	other := remote(t, srv.Addr())

	mustCreate(t, other, "/r", "1")
	mustCreate(t, other, "/r/k1", "")
	mustCreate(t, other, "/gone", "g")
	mustCreate(t, other, "/stay", "s")
	h.rec.waitSeq(t, 0, inv(Created, "/stay"))
	h.wantData(t, "/r", "1")
	h.wantChildren(t, "/r", "k1")
	h.wantData(t, "/gone", "g")
	h.wantData(t, "/stay", "s")
	h.wantChildren(t, "/stay")
	h.wantAbsent(t, "/neg")
	sid := h.Client().SessionID()

	from := h.rec.mark()
	px.Blackhole(true) // the client's reconnection attempts hang until it is switched off
	px.CutAll()
	mustSet(t, other, "/r", "2")
	mustCreate(t, other, "/r/k2", "")
	mustDelete(t, other, "/gone")
	mustCreate(t, other, "/neg", "n")
	px.Blackhole(false)

	all := h.rec.waitAll(t, from)
	got := h.rec.snapshot()[from:all]
	for _, want := range []Invalidation{inv(DataChanged, "/r"), inv(Created, "/r/k2"), inv(Deleted, "/gone"), inv(Created, "/neg")} {
		if !slices.Contains(got, want) {
			t.Errorf("revalidation did not publish %v; published %v", want, got)
		}
	}
	for _, g := range got {
		if g.Path == "/stay" || g.Path == "/r/k1" {
			t.Errorf("revalidation published %v for an unchanged znode", g)
		}
	}
	if h.Client().SessionID() != sid {
		t.Fatalf("session changed (%x -> %x): the test wanted a reconnect, not an expiry", sid, h.Client().SessionID())
	}
	h.wantData(t, "/r", "2")
	h.wantChildren(t, "/r", "k1", "k2")
	h.wantAbsent(t, "/gone")
	h.wantData(t, "/neg", "n")
	h.wantData(t, "/stay", "s")

	// The recursive watch is armed again.
	at := h.rec.mark()
	mustSet(t, other, "/stay", "s2")
	h.rec.waitSeq(t, at, inv(DataChanged, "/stay"))
	h.wantData(t, "/stay", "s2")
}

// After a session expiry the cache starts a new session, re-adds the watch, empties itself and
// publishes All; later reads see changes made meanwhile, and events flow again.
func TestExpiryStartsNewSession(t *testing.T) {
	srv := startServer(t)
	px := zktest.NewProxy(t, srv.Addr())
	h := openCache(t, px.Addr(), func(o *Options) { o.Client.SessionTimeout = 4 * time.Second })
	other := remote(t, srv.Addr())
	ctx := testCtx(t)

	mustCreate(t, other, "/e", "1")
	h.rec.waitSeq(t, 0, inv(Created, "/e"))
	h.wantData(t, "/e", "1")
	h.wantChildren(t, "/", "e", "zookeeper")
	old := h.Client()
	sid := old.SessionID()
	// An ephemeral of the cache's session shows when the server has expired it.
	if _, _, err := old.Create(ctx, "/marker", nil, jute.ModeEphemeral, nil); err != nil {
		t.Fatal(err)
	}

	from := h.rec.mark()
	px.Blackhole(true)
	mustSet(t, other, "/e", "2")
	mustCreate(t, other, "/new", "")
	eventually(t, "session expired on the server", func() error {
		_, ok, err := other.Exists(ctx, "/marker")
		if err != nil {
			return err
		}
		if ok {
			return errors.New("ephemeral still there")
		}
		return nil
	})
	px.Blackhole(false)

	h.rec.waitAll(t, from)
	if h.Client() == old || h.Client().SessionID() == sid {
		t.Fatal("no new session after expiry")
	}
	h.wantData(t, "/e", "2")
	h.wantChildren(t, "/", "e", "new", "zookeeper")

	at := h.rec.mark()
	mustSet(t, other, "/e", "3")
	h.rec.waitSeq(t, at, inv(DataChanged, "/e"))
	h.wantData(t, "/e", "3")
	if _, err := h.Create(ctx, "/after", []byte("a")); err != nil {
		t.Fatal(err)
	}
	h.wantData(t, "/after", "a")
}

// Close returns while the server is unreachable, stopping every goroutine.
func TestCloseDuringOutage(t *testing.T) {
	srv := startServer(t)
	px := zktest.NewProxy(t, srv.Addr())
	h := openCache(t, px.Addr(), func(o *Options) { o.Client.SessionTimeout = 4 * time.Second })
	h.wantChildren(t, "/", "zookeeper")
	px.Blackhole(true)
	px.CutAll()
	done := make(chan error, 1)
	go func() { done <- h.Close() }()
	select {
	case <-done:
	case <-time.After(waitLong):
		t.Fatal("Close hangs while the server is unreachable")
	}
	px.Blackhole(false)
	if _, err := h.Stat(testCtx(t), "/x"); err == nil || errors.Is(err, zkclient.ErrNoNode) {
		t.Fatalf("Stat after Close: %v, want a closed-client error", err)
	}
}

// TestCreateSettled: a create whose connection is lost is settled, not failed: lost on its way
// to the server it is sent again; applied with its reply lost it is recognised as ours. Either
// way the znode exists once, and a create of a znode that existed before still fails.
func TestCreateSettled(t *testing.T) {
	srv := startServer(t)
	px := zktest.NewProxy(t, srv.Addr())
	h := openCache(t, px.Addr())
	ctx := testCtx(t)
	h.wantChildren(t, "/", "zookeeper")

	// Lost on the way: held in the black hole, then the connection is cut.
	px.Blackhole(true)
	done := make(chan error, 1)
	go func() { _, err := h.CreateMode(ctx, "/lost", []byte("l"), jute.ModeEphemeral); done <- err }()
	time.Sleep(300 * time.Millisecond)
	px.CutAll()
	px.Blackhole(false)
	if err := <-done; err != nil {
		t.Fatalf("create lost on the way: %v", err)
	}

	// Applied, reply lost: the request gets through, the reply is cut.
	px.SetLatency(400 * time.Millisecond)
	go func() { _, err := h.Create(ctx, "/applied", []byte("a")); done <- err }()
	time.Sleep(600 * time.Millisecond)
	px.CutAll()
	px.SetLatency(0)
	if err := <-done; err != nil {
		t.Fatalf("create applied, reply lost: %v", err)
	}

	other := h.Client()
	for _, p := range []string{"/lost", "/applied"} {
		st, ok, err := other.Exists(ctx, p)
		if err != nil || !ok || st.Version != 0 {
			t.Fatalf("%s: exists %v, %v, version %d", p, ok, err, st.Version)
		}
	}
	if st, _, _ := other.Exists(ctx, "/lost"); st.EphemeralOwner != other.SessionID() {
		t.Fatalf("/lost owner %#x, want the session %#x", st.EphemeralOwner, other.SessionID())
	}
	if _, err := h.Create(ctx, "/applied", []byte("a")); !errors.Is(err, zkclient.ErrNodeExists) {
		t.Fatalf("create of an existing znode: %v", err)
	}
}
