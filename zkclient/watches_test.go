package zkclient

import (
	"fmt"
	"testing"
	"time"

	"github.com/zkfs/zkfs/internal/zktest"
	"github.com/zkfs/zkfs/jute"
)

// barrier makes the server send an event to c after everything before it:
// an exist watch on a new node, then its creation. Events before the
// barrier's arrive before it (wire order), so a test can tell that an event
// did not come.
func barrier(t *testing.T, c, writer *Client, ev *eventLog, base string) {
	t.Helper()
	ctx := testCtx(t)
	p := fmt.Sprintf("%s/barrier-%d", base, time.Now().UnixNano())
	if _, _, err := c.ExistsW(ctx, p); err != nil {
		t.Fatal(err)
	}
	mustCreate(t, writer, p, nil)
	if got := ev.nextNode(t, 10*time.Second); got.Type != jute.EventNodeCreated || got.Path != p {
		t.Fatalf("unexpected event %+v before the barrier %s", got, p)
	}
}

func TestOneShotWatches(t *testing.T) {
	c := connectShared(t)
	w := connectShared(t) // the writer
	ev := watchEvents(c)
	ctx := testCtx(t)
	base := testBase(t, c)
	mustCreate(t, c, base+"/d", nil)
	mustCreate(t, c, base+"/k", nil)
	mustCreate(t, c, base+"/x", nil)

	// Data watch: fires once for two changes.
	if _, _, err := c.GetW(ctx, base+"/d"); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if _, err := w.Set(ctx, base+"/d", []byte{byte(i)}, -1); err != nil {
			t.Fatal(err)
		}
	}
	if got := ev.nextNode(t, 10*time.Second); got.Type != jute.EventNodeDataChanged || got.Path != base+"/d" || got.State != jute.StateSyncConnected {
		t.Fatalf("data watch: %+v", got)
	}
	barrier(t, c, w, ev, base)

	// Exist watch on a missing node: NodeCreated, once.
	if _, ok, err := c.ExistsW(ctx, base+"/new"); ok || err != nil {
		t.Fatalf("existsW: %v %v", ok, err)
	}
	mustCreate(t, w, base+"/new", nil)
	if _, err := w.Set(ctx, base+"/new", []byte("x"), -1); err != nil {
		t.Fatal(err)
	}
	if got := ev.nextNode(t, 10*time.Second); got.Type != jute.EventNodeCreated || got.Path != base+"/new" {
		t.Fatalf("exist watch: %+v", got)
	}
	barrier(t, c, w, ev, base)

	// Exist watch on an existing node: NodeDeleted.
	if _, ok, err := c.ExistsW(ctx, base+"/x"); !ok || err != nil {
		t.Fatalf("existsW: %v %v", ok, err)
	}
	if err := w.Delete(ctx, base+"/x", -1); err != nil {
		t.Fatal(err)
	}
	if got := ev.nextNode(t, 10*time.Second); got.Type != jute.EventNodeDeleted || got.Path != base+"/x" {
		t.Fatalf("exists watch on a node: %+v", got)
	}

	// Child watch: fires once for two new children, not for data changes.
	if _, _, err := c.ChildrenW(ctx, base+"/k"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Set(ctx, base+"/k", []byte("x"), -1); err != nil {
		t.Fatal(err)
	}
	mustCreate(t, w, base+"/k/1", nil)
	mustCreate(t, w, base+"/k/2", nil)
	if got := ev.nextNode(t, 10*time.Second); got.Type != jute.EventNodeChildrenChanged || got.Path != base+"/k" {
		t.Fatalf("child watch: %+v", got)
	}
	barrier(t, c, w, ev, base)

	// Set again, they fire again. Data and child watches on one node both
	// fire when it is deleted.
	if _, _, err := c.GetW(ctx, base+"/k/1"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.ChildrenW(ctx, base+"/k/1"); err != nil {
		t.Fatal(err)
	}
	if err := w.Delete(ctx, base+"/k/1", -1); err != nil {
		t.Fatal(err)
	}
	if got := ev.nextNode(t, 10*time.Second); got.Type != jute.EventNodeDeleted || got.Path != base+"/k/1" {
		t.Fatalf("deleted: %+v", got)
	}
	barrier(t, c, w, ev, base)
	if n := c.watches.count(); n != 0 {
		t.Fatalf("%d watches still registered after they all fired: %v", n, c.watches.kinds)
	}
}

func TestPersistentWatches(t *testing.T) {
	c := connectShared(t)
	w := connectShared(t)
	ev := watchEvents(c)
	ctx := testCtx(t)
	base := testBase(t, c)
	mustCreate(t, c, base+"/p", nil)
	mustCreate(t, c, base+"/r", nil)

	if err := c.AddWatch(ctx, base+"/p", jute.AddWatchPersistent); err != nil {
		t.Fatal(err)
	}
	if err := c.AddWatch(ctx, base+"/r", jute.AddWatchPersistentRecursive); err != nil {
		t.Fatal(err)
	}
	// PERSISTENT: data and child events of the node itself, every time;
	// nothing for grandchildren.
	for i := range 3 {
		if _, err := w.Set(ctx, base+"/p", []byte{byte(i)}, -1); err != nil {
			t.Fatal(err)
		}
	}
	mustCreate(t, w, base+"/p/kid", nil)
	mustCreate(t, w, base+"/p/kid/grandkid", nil)
	if _, err := w.Set(ctx, base+"/p/kid", []byte("x"), -1); err != nil {
		t.Fatal(err)
	}
	// PERSISTENT_RECURSIVE: the node and every descendant, no child events.
	mustCreate(t, w, base+"/r/a", nil)
	mustCreate(t, w, base+"/r/a/b", nil)
	if _, err := w.Set(ctx, base+"/r/a/b", []byte("x"), -1); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Set(ctx, base+"/r/a/b", []byte("y"), -1); err != nil {
		t.Fatal(err)
	}
	if err := w.Delete(ctx, base+"/r/a/b", -1); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Set(ctx, base+"/r", []byte("x"), -1); err != nil {
		t.Fatal(err)
	}
	want := []struct {
		typ  jute.EventType
		path string
	}{
		{jute.EventNodeDataChanged, "/p"},
		{jute.EventNodeDataChanged, "/p"},
		{jute.EventNodeDataChanged, "/p"},
		{jute.EventNodeChildrenChanged, "/p"},
		{jute.EventNodeCreated, "/r/a"},
		{jute.EventNodeCreated, "/r/a/b"},
		{jute.EventNodeDataChanged, "/r/a/b"},
		{jute.EventNodeDataChanged, "/r/a/b"},
		{jute.EventNodeDeleted, "/r/a/b"},
		{jute.EventNodeDataChanged, "/r"},
	}
	for i, wt := range want {
		got := ev.nextNode(t, 10*time.Second)
		if got.Type != wt.typ || got.Path != base+wt.path {
			t.Fatalf("event %d: %+v, want %v %s", i, got, wt.typ, base+wt.path)
		}
	}
	barrier(t, c, w, ev, base)
	// Deleting the watched node fires, and the watch stays for a new node.
	if err := w.Delete(ctx, base+"/p/kid/grandkid", -1); err != nil {
		t.Fatal(err)
	}
	if err := w.Delete(ctx, base+"/p/kid", -1); err != nil {
		t.Fatal(err)
	}
	if err := w.Delete(ctx, base+"/p", -1); err != nil {
		t.Fatal(err)
	}
	mustCreate(t, w, base+"/p", nil)
	for _, wt := range []jute.EventType{jute.EventNodeChildrenChanged, jute.EventNodeDeleted, jute.EventNodeCreated} {
		if got := ev.nextNode(t, 10*time.Second); got.Type != wt || got.Path != base+"/p" {
			t.Fatalf("event %+v, want %v", got, wt)
		}
	}
}

// Events come in the order the server applied the changes, interleaved
// correctly with the replies to the watching client's own requests.
func TestEventOrder(t *testing.T) {
	c := connectShared(t)
	ev := watchEvents(c)
	ctx := testCtx(t)
	base := testBase(t, c)
	if err := c.AddWatch(ctx, base, jute.AddWatchPersistentRecursive); err != nil {
		t.Fatal(err)
	}
	const n = 200
	var want []Event
	for i := range n {
		p := fmt.Sprintf("%s/n%03d", base, i%20)
		if i < 20 {
			mustCreate(t, c, p, nil)
			want = append(want, Event{Type: jute.EventNodeCreated, Path: p})
			continue
		}
		if i%7 == 0 {
			if err := c.Delete(ctx, p, -1); err != nil {
				t.Fatal(err)
			}
			mustCreate(t, c, p, nil)
			want = append(want, Event{Type: jute.EventNodeDeleted, Path: p}, Event{Type: jute.EventNodeCreated, Path: p})
			continue
		}
		if _, err := c.Set(ctx, p, []byte{byte(i)}, -1); err != nil {
			t.Fatal(err)
		}
		want = append(want, Event{Type: jute.EventNodeDataChanged, Path: p})
	}
	for i, w := range want {
		got := ev.nextNode(t, 10*time.Second)
		if got.Type != w.Type || got.Path != w.Path || got.State != jute.StateSyncConnected {
			t.Fatalf("event %d: %+v, want %v %s", i, got, w.Type, w.Path)
		}
	}
}

// After a server restart within the session timeout the session is kept
// and its watches are set again, with events for what changed meanwhile.
func TestWatchesSurviveServerRestart(t *testing.T) {
	srv := zktest.Start(t)
	c := connect(t, Config{Servers: srv.Addr(), SessionTimeout: 30 * time.Second})
	ev := watchEvents(c)
	ctx := testCtx(t)
	for _, p := range []string{"/one", "/kids", "/p", "/r", "/gone"} {
		mustCreate(t, c, p, nil)
	}
	if _, _, err := c.GetW(ctx, "/one"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.ChildrenW(ctx, "/kids"); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := c.ExistsW(ctx, "/later"); ok || err != nil {
		t.Fatal(ok, err)
	}
	if _, _, err := c.GetW(ctx, "/gone"); err != nil {
		t.Fatal(err)
	}
	if err := c.AddWatch(ctx, "/p", jute.AddWatchPersistent); err != nil {
		t.Fatal(err)
	}
	if err := c.AddWatch(ctx, "/r", jute.AddWatchPersistentRecursive); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Create(ctx, "/eph", nil, jute.ModeEphemeral, nil); err != nil {
		t.Fatal(err)
	}
	sid := c.SessionID()

	srv.Stop()
	ev.waitState(t, 20*time.Second, jute.StateDisconnected)
	srv.Restart(t)
	ev.waitState(t, 30*time.Second, jute.StateSyncConnected)
	if c.SessionID() != sid {
		t.Fatalf("session %#x after restart, was %#x", c.SessionID(), sid)
	}
	if _, ok, err := c.Exists(ctx, "/eph"); !ok || err != nil {
		t.Fatalf("the ephemeral node went with the restart: %v %v", ok, err)
	}
	// Every watch is back on the server.
	for _, ck := range []struct {
		path string
		typ  jute.WatcherType
	}{{"/one", jute.WatcherData}, {"/kids", jute.WatcherChildren}, {"/later", jute.WatcherData}, {"/p", jute.WatcherAny}, {"/r", jute.WatcherAny}} {
		if err := c.CheckWatches(ctx, ck.path, ck.typ); err != nil {
			t.Fatalf("watch on %s after restart: %v", ck.path, err)
		}
	}

	w := connect(t, Config{Servers: srv.Addr()})
	if _, err := w.Set(ctx, "/one", []byte("1"), -1); err != nil {
		t.Fatal(err)
	}
	mustCreate(t, w, "/kids/k", nil)
	mustCreate(t, w, "/later", nil)
	if err := w.Delete(ctx, "/gone", -1); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if _, err := w.Set(ctx, "/p", []byte{byte(i)}, -1); err != nil {
			t.Fatal(err)
		}
	}
	mustCreate(t, w, "/r/deep", nil)
	want := []struct {
		typ  jute.EventType
		path string
	}{
		{jute.EventNodeDataChanged, "/one"},
		{jute.EventNodeChildrenChanged, "/kids"},
		{jute.EventNodeCreated, "/later"},
		{jute.EventNodeDeleted, "/gone"},
		{jute.EventNodeDataChanged, "/p"},
		{jute.EventNodeDataChanged, "/p"},
		{jute.EventNodeCreated, "/r/deep"},
	}
	for i, wt := range want {
		if got := ev.nextNode(t, 10*time.Second); got.Type != wt.typ || got.Path != wt.path {
			t.Fatalf("event %d after restart: %+v, want %v %s", i, got, wt.typ, wt.path)
		}
	}
}

// A change made while the client is disconnected reaches it on reconnect:
// SetWatches2 carries the last zxid the client saw, and the server fires
// the watches whose nodes changed after it.
func TestWatchEventForChangeWhileDisconnected(t *testing.T) {
	srv := sharedServer(t)
	proxy := zktest.NewProxy(t, srv.Addr())
	c := connect(t, Config{Servers: proxy.Addr(), SessionTimeout: 20 * time.Second})
	w := connectShared(t)
	ev := watchEvents(c)
	ctx := testCtx(t)
	base := testBase(t, c)
	for _, p := range []string{"/d", "/k", "/del", "/same", "/p"} {
		mustCreate(t, c, base+p, nil)
	}
	if _, _, err := c.GetW(ctx, base+"/d"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.ChildrenW(ctx, base+"/k"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.GetW(ctx, base+"/del"); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := c.ExistsW(ctx, base+"/born"); ok || err != nil {
		t.Fatal(ok, err)
	}
	if _, _, err := c.GetW(ctx, base+"/same"); err != nil {
		t.Fatal(err)
	}
	if err := c.AddWatch(ctx, base+"/p", jute.AddWatchPersistent); err != nil {
		t.Fatal(err)
	}
	sid := c.SessionID()

	proxy.SetTarget(deadAddr(t))
	proxy.CutAll()
	ev.waitState(t, 10*time.Second, jute.StateDisconnected)
	// Changes the client cannot see now.
	if _, err := w.Set(ctx, base+"/d", []byte("x"), -1); err != nil {
		t.Fatal(err)
	}
	mustCreate(t, w, base+"/k/kid", nil)
	if err := w.Delete(ctx, base+"/del", -1); err != nil {
		t.Fatal(err)
	}
	mustCreate(t, w, base+"/born", nil)
	proxy.SetTarget(srv.Addr())
	ev.waitState(t, 20*time.Second, jute.StateSyncConnected)
	if c.SessionID() != sid {
		t.Fatalf("new session %#x, was %#x", c.SessionID(), sid)
	}
	got := map[string]jute.EventType{}
	for range 4 {
		e := ev.nextNode(t, 10*time.Second)
		got[e.Path] = e.Type
	}
	want := map[string]jute.EventType{
		base + "/d":    jute.EventNodeDataChanged,
		base + "/k":    jute.EventNodeChildrenChanged,
		base + "/del":  jute.EventNodeDeleted,
		base + "/born": jute.EventNodeCreated,
	}
	for p, typ := range want {
		if got[p] != typ {
			t.Fatalf("after reconnect: events %v, want %v", got, want)
		}
	}
	// The unchanged node's watch is armed again, and so is the persistent one.
	if _, err := w.Set(ctx, base+"/same", []byte("x"), -1); err != nil {
		t.Fatal(err)
	}
	if e := ev.nextNode(t, 10*time.Second); e.Type != jute.EventNodeDataChanged || e.Path != base+"/same" {
		t.Fatalf("re-armed watch: %+v", e)
	}
	if _, err := w.Set(ctx, base+"/p", []byte("x"), -1); err != nil {
		t.Fatal(err)
	}
	if e := ev.nextNode(t, 10*time.Second); e.Type != jute.EventNodeDataChanged || e.Path != base+"/p" {
		t.Fatalf("persistent watch after reconnect: %+v", e)
	}
}
