package zkclient

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/zkfs/zkfs/internal/zktest"
	"github.com/zkfs/zkfs/jute"
)

func TestSmoke(t *testing.T) {
	srv := zktest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := Connect(ctx, Config{Servers: srv.Addr(), SessionTimeout: 6 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	p, st, err := c.Create(ctx, "/a", []byte("hello"), jute.ModePersistent, nil)
	if err != nil || p != "/a" || st.Czxid == 0 {
		t.Fatalf("create: %q %+v %v", p, st, err)
	}
	if err := c.AddWatch(ctx, "/", jute.AddWatchPersistentRecursive); err != nil {
		t.Fatal(err)
	}
	data, st, err := c.Get(ctx, "/a")
	if err != nil || string(data) != "hello" || st.DataLength != 5 {
		t.Fatalf("get: %q %+v %v", data, st, err)
	}
	if _, err := c.Set(ctx, "/a", []byte("x"), 7); !errors.Is(err, ErrBadVersion) {
		t.Fatalf("set bad version: %v", err)
	}
	if _, err := c.Set(ctx, "/a", []byte("x"), -1); err != nil {
		t.Fatal(err)
	}
	kids, _, err := c.Children(ctx, "/")
	if err != nil || len(kids) != 2 {
		t.Fatalf("children %v %v", kids, err)
	}
	if _, err := c.Multi(ctx, CreateOp("/b", nil, jute.ModePersistent, nil), DeleteOp("/a", 99)); !errors.Is(err, ErrBadVersion) {
		t.Fatalf("multi: %v", err)
	}
	if _, ok, err := c.Exists(ctx, "/b"); ok || err != nil {
		t.Fatalf("exists /b after failed multi: %v %v", ok, err)
	}
	var seen []Event
	for len(seen) < 2 {
		select {
		case ev := <-c.Events():
			seen = append(seen, ev)
		case <-ctx.Done():
			t.Fatalf("events: %v", seen)
		}
	}
	if seen[0].State != jute.StateSyncConnected || seen[1].Type != jute.EventNodeDataChanged || seen[1].Path != "/a" {
		t.Fatalf("events: %+v", seen)
	}
	t.Logf("events %+v", seen)
}
