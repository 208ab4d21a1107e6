package zkclient

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/zkfs/zkfs/internal/zktest"
	"github.com/zkfs/zkfs/jute"
)

// closeWithin closes c and fails t if that takes longer than d.
func closeWithin(t *testing.T, c *Client, d time.Duration) {
	t.Helper()
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- c.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Close: %v", err)
		}
		t.Logf("Close took %v", time.Since(start))
	case <-time.After(d):
		t.Fatalf("Close did not return within %v", d)
	}
}

func TestCloseEndsEverything(t *testing.T) {
	srv := sharedServer(t)
	w := connectShared(t)
	ctx := testCtx(t)
	base := testBase(t, w)
	if _, ok, err := w.ExistsW(ctx, base+"/eph"); ok || err != nil {
		t.Fatal(ok, err)
	}
	wev := watchEvents(w)

	before, _ := clientGoroutines()
	c := connect(t, Config{Servers: srv.Addr()})
	ev := watchEvents(c)
	if n, _ := clientGoroutines(); n < before+3 {
		t.Fatalf("the leak check sees %d client goroutines with a session open, %d before", n, before)
	}
	if _, _, err := c.Create(ctx, base+"/eph", nil, jute.ModeEphemeral, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.AddWatch(ctx, base, jute.AddWatchPersistentRecursive); err != nil {
		t.Fatal(err)
	}
	wev.waitNode(t, 10*time.Second, jute.EventNodeCreated, base+"/eph")
	if _, ok, err := w.ExistsW(ctx, base+"/eph"); !ok || err != nil {
		t.Fatal(ok, err)
	}
	// Calls in flight while closing end one way or another.
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				_, _, err := c.Get(ctx, base)
				if err == nil {
					continue
				}
				if !errors.Is(err, ErrClosed) && !errors.Is(err, ErrConnectionLoss) {
					t.Errorf("get while closing: %v", err)
				}
				return
			}
		}()
	}
	time.Sleep(50 * time.Millisecond)
	// Close from several goroutines at once: all return.
	var cw sync.WaitGroup
	for range 3 {
		cw.Add(1)
		go func() { defer cw.Done(); closeWithin(t, c, 10*time.Second) }()
	}
	cw.Wait()
	wg.Wait()
	closeWithin(t, c, 10*time.Second) // again: idempotent

	if c.State() != jute.StateClosed {
		t.Fatalf("state %v after Close", c.State())
	}
	_, _, err := c.Get(ctx, base)
	wantErr(t, err, ErrClosed, "get", base)
	ev.waitClosed(t, 10*time.Second)
	// closeSession: the ephemeral node goes at once, not after the timeout.
	wev.waitNode(t, 5*time.Second, jute.EventNodeDeleted, base+"/eph")
	checkNoLeak(t, before)
}

// Close returns even when the server does not answer: the closeSession
// request waits a second at most.
func TestCloseBlackholed(t *testing.T) {
	srv := sharedServer(t)
	proxy := zktest.NewProxy(t, srv.Addr())
	before, _ := clientGoroutines()
	c := connect(t, Config{Servers: proxy.Addr(), SessionTimeout: 20 * time.Second})
	watchEvents(c)
	if _, _, err := c.Get(testCtx(t), "/"); err != nil {
		t.Fatal(err)
	}
	proxy.Blackhole(true)
	waiting := make(chan error, 1)
	go func() { _, _, err := c.Get(context.Background(), "/"); waiting <- err }()
	waitInFlight(t, c, 1)
	closeWithin(t, c, 10*time.Second)
	select {
	case err := <-waiting:
		if !errors.Is(err, ErrConnectionLoss) && !errors.Is(err, ErrClosed) {
			t.Fatalf("call in flight at Close: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the call in flight did not return after Close")
	}
	checkNoLeak(t, before)
}

// Close while reconnecting, with a dial stuck in a black hole.
func TestCloseWhileReconnecting(t *testing.T) {
	srv := sharedServer(t)
	proxy := zktest.NewProxy(t, srv.Addr())
	before, _ := clientGoroutines()
	c := connect(t, Config{Servers: proxy.Addr(), SessionTimeout: 20 * time.Second, DialTimeout: time.Minute})
	ev := watchEvents(c)
	proxy.Blackhole(true)
	proxy.CutAll()
	ev.waitState(t, 10*time.Second, jute.StateDisconnected)
	waiting := make(chan error, 1)
	go func() { _, _, err := c.Get(context.Background(), "/"); waiting <- err }()
	time.Sleep(200 * time.Millisecond) // the reconnect is now stuck in its handshake
	closeWithin(t, c, 10*time.Second)
	select {
	case err := <-waiting:
		if !errors.Is(err, ErrClosed) {
			t.Fatalf("call waiting for a connection at Close: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the waiting call did not return after Close")
	}
	checkNoLeak(t, before)
}

// Connect gives up with its context, leaving nothing behind.
func TestConnectGivesUp(t *testing.T) {
	before, _ := clientGoroutines()
	// Nobody listens.
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := Connect(ctx, Config{Servers: deadAddr(t)})
	if !errors.Is(err, ErrNoServer) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("connect to nobody: %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("connect returned after %v", d)
	}
	// A server that accepts and never answers.
	proxy := zktest.NewProxy(t, sharedServer(t).Addr())
	proxy.Blackhole(true)
	ctx2, cancel2 := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel2()
	if _, err := Connect(ctx2, Config{Servers: proxy.Addr(), DialTimeout: time.Minute}); !errors.Is(err, ErrNoServer) {
		t.Fatalf("connect to a black hole: %v", err)
	}
	// Bad connect strings fail at once.
	if _, err := Connect(context.Background(), Config{Servers: "[::1"}); err == nil {
		t.Fatal("connect with a bad connect string")
	}
	// A name that does not resolve: retried until the context ends.
	ctx3, cancel3 := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel3()
	if _, err := Connect(ctx3, Config{Servers: "no-such-host.invalid:2181"}); !errors.Is(err, ErrNoServer) {
		t.Fatalf("connect to an unknown host: %v", err)
	}
	checkNoLeak(t, before)
}

// A fake server that never answers closeSession.
func TestCloseFakeSilent(t *testing.T) {
	before, _ := clientGoroutines()
	f := newFakeZK(t)
	c, fc := connectFake(t, f, f.config(10*time.Second), 5, 10*time.Second)
	go func() { // read, never answer
		for {
			if _, err := fc.fr.Next(); err != nil {
				return
			}
		}
	}()
	start := time.Now()
	closeWithin(t, c, 10*time.Second)
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("Close took %v", d)
	}
	checkNoLeak(t, before)
}
