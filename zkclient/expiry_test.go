package zkclient

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zkfs/zkfs/internal/zktest"
	"github.com/zkfs/zkfs/jute"
)

// logBuffer is a slog destination tests can read.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// checkExpired checks the end of an expired session: StateExpired is the
// last event, Events is closed, every call fails with ErrSessionExpired.
func checkExpired(t *testing.T, c *Client, ev *eventLog, d time.Duration) {
	t.Helper()
	evs := ev.waitClosed(t, d)
	last := evs[len(evs)-1]
	if last.Type != jute.EventNone || last.State != jute.StateExpired {
		t.Fatalf("last event %+v; all: %v", last, evs)
	}
	for _, e := range evs[:len(evs)-1] {
		if e.State == jute.StateExpired {
			t.Fatalf("StateExpired before the end: %v", evs)
		}
	}
	if c.State() != jute.StateExpired {
		t.Fatalf("state %v", c.State())
	}
	ctx := testCtx(t)
	_, _, err := c.Get(ctx, "/")
	wantErr(t, err, ErrSessionExpired, "get", "/")
	_, _, err = c.Create(ctx, "/x", nil, jute.ModePersistent, nil)
	wantErr(t, err, ErrSessionExpired, "create", "/x")
	if _, ok := <-c.Events(); ok {
		t.Fatal("Events still open")
	}
}

// No server answers for longer than the session timeout: the client itself
// declares the session expired (4/3 of the timeout without a word).
func TestExpiryDeclaredByClient(t *testing.T) {
	srv := sharedServer(t)
	proxy := zktest.NewProxy(t, srv.Addr())
	var log logBuffer
	before, _ := clientGoroutines()
	c := connect(t, Config{Servers: proxy.Addr(), SessionTimeout: 4 * time.Second, Logger: log.logger()})
	ev := watchEvents(c)
	ctx := testCtx(t)
	timeout := c.SessionTimeout()
	if timeout != 4*time.Second {
		t.Fatalf("negotiated %v", timeout)
	}
	base := testBase(t, c)
	if _, _, err := c.Create(ctx, base+"/eph", nil, jute.ModeEphemeral, nil); err != nil {
		t.Fatal(err)
	}
	// A call made before the black hole, still waiting at expiry.
	proxy.Blackhole(true)
	start := time.Now()
	waiting := make(chan error, 1)
	go func() { _, _, err := c.Get(ctx, "/"); waiting <- err }()
	waitInFlight(t, c, 1)

	ev.waitState(t, 2*timeout, jute.StateDisconnected)
	checkExpired(t, c, ev, 4*timeout)
	took := time.Since(start)
	if took < timeout || took > 4*timeout {
		t.Fatalf("expiry declared after %v with a %v timeout", took, timeout)
	}
	select {
	case err := <-waiting:
		// In flight when the connection dropped.
		wantErr(t, err, ErrConnectionLoss, "get", "/")
	case <-time.After(10 * time.Second):
		t.Fatal("the waiting call did not return")
	}
	if !strings.Contains(log.String(), "no server answered") {
		t.Fatalf("the log does not say why the session ended:\n%s", log.String())
	}
	done := make(chan struct{})
	go func() { c.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Close hangs after expiry")
	}
	checkNoLeak(t, before)
	t.Logf("declared expired after %v (timeout %v)", took, timeout)
}

// The server expired the session while the client could not reach it; on
// reconnect it says so (timeout 0 in the ConnectResponse).
func TestExpiryReportedByServer(t *testing.T) {
	srv := sharedServer(t)
	proxy := zktest.NewProxy(t, srv.Addr())
	var log logBuffer
	// A long dial timeout: the reconnect attempt stays in the black hole
	// (its ConnectRequest held back) until the test lets it through.
	c := connect(t, Config{Servers: proxy.Addr(), SessionTimeout: 4 * time.Second, DialTimeout: 60 * time.Second, Logger: log.logger()})
	ev := watchEvents(c)
	ctx := testCtx(t)
	w := connectShared(t)
	base := testBase(t, w)
	if _, _, err := c.Create(ctx, base+"/eph", nil, jute.ModeEphemeral, nil); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := w.ExistsW(ctx, base+"/eph"); !ok || err != nil {
		t.Fatal(ok, err)
	}
	wev := watchEvents(w)

	proxy.Blackhole(true)
	ev.waitState(t, 20*time.Second, jute.StateDisconnected)
	// The ephemeral node goes when the server expires the session.
	wev.waitNode(t, 30*time.Second, jute.EventNodeDeleted, base+"/eph")
	if c.State() == jute.StateExpired {
		t.Fatal("the client declared expiry before its reconnect attempt could reach the server")
	}
	proxy.Blackhole(false)
	checkExpired(t, c, ev, 30*time.Second)
	if l := log.String(); !strings.Contains(l, "server reports the session expired") {
		t.Fatalf("expiry not reported by the server:\n%s", l)
	}
}

// Expiry wakes calls that wait for a connection.
func TestExpiryFailsWaitingCalls(t *testing.T) {
	f := newFakeZK(t)
	c, fc := connectFake(t, f, f.config(2*time.Second), 0x99, 2*time.Second)
	ev := watchEvents(c)
	fc.nc.Close()
	ev.waitState(t, 10*time.Second, jute.StateDisconnected)
	eventually(t, 10*time.Second, "disconnected", func() bool { return c.State() == jute.StateDisconnected })
	// Nobody answers the reconnects: the fake never accepts again.
	waiting := make(chan error, 4)
	for range 4 {
		go func() {
			_, err := c.Set(context.Background(), "/a", nil, -1)
			waiting <- err
		}()
	}
	checkExpired(t, c, ev, 30*time.Second)
	for range 4 {
		select {
		case err := <-waiting:
			if !errors.Is(err, ErrSessionExpired) {
				t.Fatalf("waiting call: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("a waiting call did not return at expiry")
		}
	}
}
