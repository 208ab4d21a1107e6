package zkclient

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zkfs/zkfs/jute"
)

func TestChroot(t *testing.T) {
	srv := sharedServer(t)
	plain := connect(t, Config{Servers: srv.Addr()})
	ctx := testCtx(t)
	root := testBase(t, plain)

	c := connect(t, Config{Servers: srv.Addr() + root})
	ev := watchEvents(c)

	// The chroot node is "/".
	if _, st, err := c.Get(ctx, "/"); err != nil || st.Czxid == 0 {
		t.Fatalf("get /: %+v %v", st, err)
	}
	if err := c.AddWatch(ctx, "/", jute.AddWatchPersistentRecursive); err != nil {
		t.Fatal(err)
	}
	p, _, err := c.Create(ctx, "/a", []byte("A"), jute.ModePersistent, nil)
	if err != nil || p != "/a" {
		t.Fatalf("create: %q %v", p, err)
	}
	if data, _, err := plain.Get(ctx, root+"/a"); err != nil || string(data) != "A" {
		t.Fatalf("the prefix was not applied: %q %v", data, err)
	}
	seq, _, err := c.Create(ctx, "/a/s-", nil, jute.ModeEphemeralSequential, nil)
	if err != nil || !strings.HasPrefix(seq, "/a/s-") || !seqSuffix.MatchString(strings.TrimPrefix(seq, "/a/s-")) {
		t.Fatalf("sequential create: %q %v", seq, err)
	}
	if _, _, err := c.Create(ctx, "/e", nil, jute.ModeEphemeral, nil); err != nil {
		t.Fatal(err)
	}
	if eph, err := c.GetEphemerals(ctx, "/"); err != nil || !slices.Equal(eph, []string{"/a/s-" + strings.TrimPrefix(seq, "/a/s-"), "/e"}) {
		t.Fatalf("getEphemerals: %q %v", eph, err)
	}
	if eph, err := c.GetEphemerals(ctx, "/a"); err != nil || !slices.Equal(eph, []string{seq}) {
		t.Fatalf("getEphemerals(/a): %q %v", eph, err)
	}
	res, err := c.Multi(ctx, CreateOp("/m-", nil, jute.ModePersistentSequential, nil), SetOp("/a", []byte("B"), -1))
	if err != nil || !strings.HasPrefix(res[0].Path, "/m-") || res[1].Path != "/a" {
		t.Fatalf("multi: %+v %v", res, err)
	}
	if _, err := c.Multi(ctx, CheckOp("/a", 42)); !errors.Is(err, ErrBadVersion) || !strings.Contains(err.Error(), " /a:") {
		t.Fatalf("failed multi names the path without the chroot: %v", err)
	}
	kids, _, err := c.Children(ctx, "/")
	slices.Sort(kids)
	if err != nil || len(kids) != 3 || kids[0] != "a" || kids[1] != "e" || !strings.HasPrefix(kids[2], "m-") {
		t.Fatalf("children of /: %q %v", kids, err)
	}
	if err := c.Sync(ctx, "/a"); err != nil {
		t.Fatal(err)
	}
	if n, err := c.GetAllChildrenNumber(ctx, "/"); err != nil || n != 4 {
		t.Fatalf("getAllChildrenNumber: %d %v", n, err)
	}
	res2, err := c.MultiRead(ctx, GetDataOp("/a"), GetChildrenOp("/a"))
	if err != nil || string(res2[0].Data) != "B" || len(res2[1].Children) != 1 {
		t.Fatalf("multiRead: %+v %v", res2, err)
	}
	// GetConfig is outside the chroot.
	if _, _, err := c.GetConfig(ctx); err != nil {
		t.Fatalf("getConfig under a chroot: %v", err)
	}

	// Events name paths without the chroot, in the order of the changes.
	want := []Event{
		{Type: jute.EventNodeCreated, Path: "/a"},
		{Type: jute.EventNodeCreated, Path: seq},
		{Type: jute.EventNodeCreated, Path: "/e"},
		{Type: jute.EventNodeCreated, Path: res[0].Path},
		{Type: jute.EventNodeDataChanged, Path: "/a"},
	}
	for _, w := range want {
		if got := ev.nextNode(t, 10*time.Second); got.Type != w.Type || got.Path != w.Path {
			t.Fatalf("event %+v, want %v %s", got, w.Type, w.Path)
		}
	}
	// A change of the chroot node itself is an event on "/".
	if _, err := plain.Set(ctx, root, []byte("r"), -1); err != nil {
		t.Fatal(err)
	}
	if got := ev.nextNode(t, 10*time.Second); got.Type != jute.EventNodeDataChanged || got.Path != "/" {
		t.Fatalf("event on the chroot node: %+v", got)
	}
	// One-shot watches too.
	if _, _, err := c.GetW(ctx, "/a"); err != nil {
		t.Fatal(err)
	}
	if _, err := plain.Set(ctx, root+"/a", nil, -1); err != nil {
		t.Fatal(err)
	}
	if got := ev.nextNode(t, 10*time.Second); got.Type != jute.EventNodeDataChanged || got.Path != "/a" {
		t.Fatalf("one-shot event: %+v", got)
	}

	// A chroot that does not exist: the session works, nodes do not.
	missing := connect(t, Config{Servers: srv.Addr() + root + "/nope"})
	_, _, err = missing.Create(ctx, "/x", nil, jute.ModePersistent, nil)
	wantErr(t, err, ErrNoNode, "create", "/x")
	if _, ok, err := missing.Exists(ctx, "/"); ok || err != nil {
		t.Fatalf("exists / under a missing chroot: %v %v", ok, err)
	}
}
