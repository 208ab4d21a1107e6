package zkclient

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/zkfs/zkfs/internal/zktest"
	"github.com/zkfs/zkfs/jute"
)

// Many goroutines share one session; each checks that every reply it gets
// is the answer to its own request.
func TestFIFOManyGoroutines(t *testing.T) {
	c := connectShared(t)
	ctx := testCtx(t)
	base := testBase(t, c)
	const workers, rounds = 64, 25
	for g := range workers {
		mustCreate(t, c, fmt.Sprintf("%s/g%d", base, g), nil)
	}
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for g := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := fmt.Sprintf("%s/g%d", base, g)
			for i := range rounds {
				val := fmt.Sprintf("g%d-i%d", g, i)
				st, err := c.Set(ctx, p, []byte(val), int32(i))
				if err != nil || st.Version != int32(i+1) {
					errs <- fmt.Errorf("%s: set %d: %+v %v", p, i, st, err)
					return
				}
				data, gst, err := c.Get(ctx, p)
				if err != nil || string(data) != val || gst != st {
					errs <- fmt.Errorf("%s: get %d: %q %+v %v, want %q %+v", p, i, data, gst, err, val, st)
					return
				}
				kids, cst, err := c.Children(ctx, p)
				if err != nil || len(kids) != 0 || cst.Czxid != st.Czxid {
					errs <- fmt.Errorf("%s: children %d: %v %+v %v", p, i, kids, cst, err)
					return
				}
				if _, ok, err := c.Exists(ctx, p+"/none"); ok || err != nil {
					errs <- fmt.Errorf("%s: exists %d: %v %v", p, i, ok, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if c.Stats().Reconnects != 0 {
		t.Fatalf("reconnected: %+v", c.Stats())
	}
}

// Cancelled calls return at once and their replies, when they come, do not
// go to anybody else.
func TestCancelDoesNotDesync(t *testing.T) {
	c := connectShared(t)
	ctx := testCtx(t)
	base := testBase(t, c)
	const nodes = 16
	for i := range nodes {
		mustCreate(t, c, fmt.Sprintf("%s/n%d", base, i), []byte(fmt.Sprint(i)))
	}
	if _, _, err := c.Get(context.Background(), base); err != nil {
		t.Fatalf("a call without a deadline: %v", err)
	}
	// An already cancelled context sends nothing.
	dead, cancel := context.WithCancel(ctx)
	cancel()
	if _, _, err := c.Get(dead, base); !errors.Is(err, context.Canceled) {
		t.Fatalf("get with a cancelled context: %v", err)
	}

	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for g := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 100 {
				n := (g + i) % nodes
				p := fmt.Sprintf("%s/n%d", base, n)
				cctx, cancel := context.WithTimeout(ctx, time.Duration(rand.IntN(300))*time.Microsecond)
				data, _, err := c.Get(cctx, p)
				cancel()
				switch {
				case err == nil:
					if string(data) != fmt.Sprint(n) {
						errs <- fmt.Errorf("%s: got %q", p, data)
						return
					}
				case errors.Is(err, context.DeadlineExceeded):
				default:
					errs <- fmt.Errorf("%s: %v", p, err)
					return
				}
				// A call that is not cancelled must get its own answer.
				if data, _, err := c.Get(ctx, p); err != nil || string(data) != fmt.Sprint(n) {
					errs <- fmt.Errorf("%s after a cancel: %q %v", p, data, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// A call whose context ends while the server does not answer returns
// promptly; the session carries on, and the abandoned reply is discarded.
func TestCancelWhileBlackholed(t *testing.T) {
	srv := sharedServer(t)
	proxy := zktest.NewProxy(t, srv.Addr())
	c := connect(t, Config{Servers: proxy.Addr(), SessionTimeout: 20 * time.Second})
	ctx := testCtx(t)
	base := testBase(t, c)
	mustCreate(t, c, base+"/a", []byte("A"))
	mustCreate(t, c, base+"/b", []byte("B"))

	proxy.Blackhole(true)
	start := time.Now()
	cctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	_, _, err := c.Get(cctx, base+"/a")
	cancel()
	var ze *Error
	if !errors.Is(err, context.DeadlineExceeded) || !errors.As(err, &ze) || ze.Op != "get" {
		t.Fatalf("get while blackholed: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("cancelled get returned after %v", d)
	}
	// Another call, cancelled explicitly, while the first is still on the wire.
	cctx, cancel = context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { _, err := c.Set(cctx, base+"/b", []byte("B2"), -1); done <- err }()
	waitInFlight(t, c, 2) // the abandoned get and this set
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled set: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("cancelled set did not return")
	}
	proxy.Blackhole(false)
	for range 3 {
		if data, _, err := c.Get(ctx, base+"/b"); err != nil || string(data) != "B2" {
			t.Fatalf("get /b after the black hole: %q %v (the abandoned set is applied all the same)", data, err)
		}
		if data, _, err := c.Get(ctx, base+"/a"); err != nil || string(data) != "A" {
			t.Fatalf("get /a after the black hole: %q %v", data, err)
		}
	}
	if c.Stats().Reconnects != 0 {
		t.Fatalf("the short black hole cost a reconnect: %+v", c.Stats())
	}
}

// deadAddr returns a loopback address nobody listens on.
func deadAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// Calls made while disconnected wait for the next connection and succeed;
// calls in flight when the connection drops fail with ErrConnectionLoss.
func TestCallsWhileDisconnected(t *testing.T) {
	srv := sharedServer(t)
	proxy := zktest.NewProxy(t, srv.Addr())
	c := connect(t, Config{Servers: proxy.Addr(), SessionTimeout: 20 * time.Second})
	ev := watchEvents(c)
	ctx := testCtx(t)
	base := testBase(t, c)
	mustCreate(t, c, base+"/a", []byte("A"))
	sid := c.SessionID()

	// In flight: blackholed, then cut.
	proxy.Blackhole(true)
	inflight := make(chan error, 1)
	go func() { _, _, err := c.Get(ctx, base+"/a"); inflight <- err }()
	waitInFlight(t, c, 1)
	proxy.SetTarget(deadAddr(t))
	proxy.CutAll()
	proxy.Blackhole(false)
	select {
	case err := <-inflight:
		wantErr(t, err, ErrConnectionLoss, "get", base+"/a")
	case <-time.After(10 * time.Second):
		t.Fatal("the call in flight did not fail")
	}
	ev.waitState(t, 10*time.Second, jute.StateDisconnected)
	eventually(t, 10*time.Second, "disconnected", func() bool { return c.State() == jute.StateDisconnected })
	if c.Server() != "" {
		t.Fatalf("Server() = %q while disconnected", c.Server())
	}

	// Made while disconnected: they wait.
	type result struct {
		data []byte
		err  error
	}
	waiting := make(chan result, 8)
	for range 8 {
		go func() { data, _, err := c.Get(ctx, base+"/a"); waiting <- result{data, err} }()
	}
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	if _, err := c.Set(short, base+"/a", []byte("never"), -1); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("set with a short deadline while disconnected: %v", err)
	}
	cancel()
	select {
	case r := <-waiting:
		t.Fatalf("a call returned while disconnected: %q %v", r.data, r.err)
	case <-time.After(500 * time.Millisecond):
	}
	proxy.SetTarget(srv.Addr())
	for range 8 {
		select {
		case r := <-waiting:
			if r.err != nil || string(r.data) != "A" {
				t.Fatalf("waiting call: %q %v", r.data, r.err)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("waiting calls did not complete after the reconnect")
		}
	}
	ev.waitState(t, 10*time.Second, jute.StateSyncConnected)
	if c.SessionID() != sid || c.State() != jute.StateSyncConnected || c.Server() != proxy.Addr() {
		t.Fatalf("after reconnect: session %#x (was %#x), state %v, server %q", c.SessionID(), sid, c.State(), c.Server())
	}
	if st := c.Stats(); st.Reconnects != 1 || st.SessionID != sid {
		t.Fatalf("stats: %+v", st)
	}
	// The set whose context ended while waiting was never sent.
	if data, _, err := c.Get(ctx, base+"/a"); err != nil || string(data) != "A" {
		t.Fatalf("after reconnect: %q %v", data, err)
	}
}
