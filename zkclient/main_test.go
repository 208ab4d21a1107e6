package zkclient

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zkfs/zkfs/internal/zktest"
	"github.com/zkfs/zkfs/jute"
)

// The standalone server most tests share. It is started by the first test
// that asks for it and stopped by TestMain after every test ran. Tests that
// stop, restart or reconfigure a server start their own.
var shared struct {
	once sync.Once
	tb   *mainTB
	srv  *zktest.Server
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.tb != nil {
		shared.tb.runCleanups()
		if msg := shared.tb.errors(); msg != "" {
			fmt.Fprintln(os.Stderr, "shared server:", msg)
			if code == 0 {
				code = 1
			}
		}
	}
	os.Exit(code)
}

// sharedServer returns the shared standalone server, starting it on first
// use. A missing ZooKeeper skips t (fails it when CI is set), as zktest does.
func sharedServer(t *testing.T) *zktest.Server {
	t.Helper()
	shared.once.Do(func() {
		shared.tb = &mainTB{}
		done := make(chan struct{})
		go func() { // zktest may end this goroutine with Fatal or Skip
			defer close(done)
			shared.srv = zktest.Start(shared.tb, zktest.WithConfig("extendedTypesEnabled", "true"))
		}()
		<-done
	})
	shared.tb.mu.Lock()
	fatal, skip := shared.tb.fatal, shared.tb.skip
	shared.tb.mu.Unlock()
	switch {
	case fatal != "":
		t.Fatal(fatal)
	case skip != "":
		t.Skip(skip)
	case shared.srv == nil:
		t.Fatal("shared server did not start")
	}
	return shared.srv
}

// mainTB is the testing.TB the shared server is started with: it outlives
// every test. Only the methods zktest uses are implemented; the embedded
// nil TB makes any other call panic loudly.
type mainTB struct {
	testing.TB
	mu       sync.Mutex
	cleanups []func()
	fatal    string
	skip     string
	errs     []string
}

func (m *mainTB) Helper()      {}
func (m *mainTB) Name() string { return "TestMain" }
func (m *mainTB) Cleanup(f func()) {
	m.mu.Lock()
	m.cleanups = append(m.cleanups, f)
	m.mu.Unlock()
}

func (m *mainTB) TempDir() string {
	d, err := os.MkdirTemp("", "zkclient-test-")
	if err != nil {
		m.Fatal(err)
	}
	m.Cleanup(func() { os.RemoveAll(d) })
	return d
}

func (m *mainTB) Log(args ...any)                 {}
func (m *mainTB) Logf(format string, args ...any) {}
func (m *mainTB) Error(args ...any)               { m.Errorf("%s", fmt.Sprint(args...)) }
func (m *mainTB) Errorf(format string, args ...any) {
	m.mu.Lock()
	m.errs = append(m.errs, fmt.Sprintf(format, args...))
	m.mu.Unlock()
}
func (m *mainTB) Fatal(args ...any) { m.Fatalf("%s", fmt.Sprint(args...)) }
func (m *mainTB) Fatalf(format string, args ...any) {
	m.mu.Lock()
	m.fatal = fmt.Sprintf(format, args...)
	m.mu.Unlock()
	runtime.Goexit()
}
func (m *mainTB) Skip(args ...any) { m.Skipf("%s", fmt.Sprint(args...)) }
func (m *mainTB) Skipf(format string, args ...any) {
	m.mu.Lock()
	m.skip = fmt.Sprintf(format, args...)
	m.mu.Unlock()
	runtime.Goexit()
}

func (m *mainTB) runCleanups() {
	m.mu.Lock()
	cs := m.cleanups
	m.cleanups = nil
	m.mu.Unlock()
	for i := len(cs) - 1; i >= 0; i-- {
		cs[i]()
	}
}

func (m *mainTB) errors() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return strings.Join(m.errs, "; ")
}

// testCtx returns a context that ends with the test, or after a generous
// minute.
func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// connect starts a session with cfg and closes it when t ends.
func connect(t testing.TB, cfg Config) *Client {
	t.Helper()
	if cfg.SessionTimeout == 0 {
		cfg.SessionTimeout = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := Connect(ctx, cfg)
	if err != nil {
		t.Fatalf("connect to %s: %v", cfg.Servers, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// connectShared connects to the shared server.
func connectShared(t *testing.T) *Client {
	t.Helper()
	return connect(t, Config{Servers: sharedServer(t).Addr()})
}

var baseSeq atomic.Int64

// testBase creates a fresh persistent node for t's data on the shared
// server and returns its path: tests never see each other's nodes.
func testBase(t *testing.T, c *Client) string {
	t.Helper()
	name := strings.NewReplacer("/", "_", " ", "_").Replace(t.Name())
	p := fmt.Sprintf("/%s-%d", name, baseSeq.Add(1))
	if _, _, err := c.Create(testCtx(t), p, nil, jute.ModePersistent, nil); err != nil {
		t.Fatalf("create test base %s: %v", p, err)
	}
	return p
}

// mustCreate creates a persistent node or fails t.
func mustCreate(t testing.TB, c *Client, path string, data []byte) jute.Stat {
	t.Helper()
	_, st, err := c.Create(testCtx(t), path, data, jute.ModePersistent, nil)
	if err != nil {
		t.Fatalf("create %s: %v", path, err)
	}
	return st
}

// eventually polls cond every 20 ms until it holds, failing t after d.
func eventually(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: still not %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// eventLog reads a client's Events channel continuously (as clients must)
// and lets a test consume the events in order.
type eventLog struct {
	mu     sync.Mutex
	evs    []Event
	closed bool
	change chan struct{} // closed and replaced on every append
	next   int           // the first event not yet consumed
}

func watchEvents(c *Client) *eventLog {
	l := &eventLog{change: make(chan struct{})}
	go func() { // ends when the client's Events channel closes
		for ev := range c.Events() {
			l.mu.Lock()
			l.evs = append(l.evs, ev)
			close(l.change)
			l.change = make(chan struct{})
			l.mu.Unlock()
		}
		l.mu.Lock()
		l.closed = true
		close(l.change)
		l.change = make(chan struct{})
		l.mu.Unlock()
	}()
	return l
}

// nextMatch consumes events until one satisfies match and returns it; it
// fails t after d, or when the channel closed first.
func (l *eventLog) nextMatch(t testing.TB, d time.Duration, what string, match func(Event) bool) Event {
	t.Helper()
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		l.mu.Lock()
		for l.next < len(l.evs) {
			ev := l.evs[l.next]
			l.next++
			if match(ev) {
				l.mu.Unlock()
				return ev
			}
		}
		closed, change := l.closed, l.change
		l.mu.Unlock()
		if closed {
			t.Fatalf("events closed while waiting for %s; all events: %v", what, l.all())
		}
		select {
		case <-change:
		case <-timer.C:
			t.Fatalf("no %s within %v; all events: %v", what, d, l.all())
		}
	}
}

// nextNode consumes events until the next watch event (skipping state
// changes) and returns it.
func (l *eventLog) nextNode(t testing.TB, d time.Duration) Event {
	t.Helper()
	return l.nextMatch(t, d, "watch event", func(ev Event) bool { return ev.Type != jute.EventNone })
}

// waitState consumes events until a state change to st.
func (l *eventLog) waitState(t testing.TB, d time.Duration, st jute.KeeperState) Event {
	t.Helper()
	return l.nextMatch(t, d, "state "+st.String(), func(ev Event) bool { return ev.Type == jute.EventNone && ev.State == st })
}

// waitNode consumes events until a watch event of type typ on path.
func (l *eventLog) waitNode(t testing.TB, d time.Duration, typ jute.EventType, path string) Event {
	t.Helper()
	return l.nextMatch(t, d, typ.String()+" "+path, func(ev Event) bool { return ev.Type == typ && ev.Path == path })
}

// waitClosed waits until the Events channel is closed and returns every
// event it carried.
func (l *eventLog) waitClosed(t testing.TB, d time.Duration) []Event {
	t.Helper()
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		l.mu.Lock()
		closed, change := l.closed, l.change
		l.mu.Unlock()
		if closed {
			return l.all()
		}
		select {
		case <-change:
		case <-timer.C:
			t.Fatalf("Events not closed within %v; events: %v", d, l.all())
		}
	}
}

func (l *eventLog) all() []Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Event(nil), l.evs...)
}

// clientGoroutines counts the goroutines running this package's non-test
// code (session, reader, writer, event dispatcher).
func clientGoroutines() (int, string) {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	count := 0
	var found []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if !strings.Contains(g, "zkclient.") {
			continue
		}
		// Frames of test code (this file's helpers) do not count.
		lines := strings.Split(g, "\n")
		ours := false
		for _, ln := range lines {
			if strings.Contains(ln, "/zkclient.") && !strings.Contains(ln, "_test.go") &&
				(strings.Contains(ln, "(*Client)") || strings.Contains(ln, "(*conn)") || strings.Contains(ln, "(*eventQueue)") || strings.Contains(ln, "zkclient.Connect")) {
				ours = true
				break
			}
		}
		if ours {
			count++
			found = append(found, g)
		}
	}
	return count, strings.Join(found, "\n\n")
}

// checkNoLeak fails t unless the package's goroutines fall back to at most
// before within a generous time.
func checkNoLeak(t testing.TB, before int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		n, stacks := clientGoroutines()
		if n <= before {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d client goroutines remain (%d before):\n%s", n, before, stacks)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// inFlight returns how many requests the current connection has queued or
// written and not yet seen answered.
func inFlight(c *Client) int {
	c.mu.Lock()
	cn := c.cur
	c.mu.Unlock()
	if cn == nil {
		return 0
	}
	cn.mu.Lock()
	defer cn.mu.Unlock()
	return len(cn.pending) - cn.head
}

// waitInFlight waits until at least n requests are in flight on c.
func waitInFlight(t testing.TB, c *Client, n int) {
	t.Helper()
	eventually(t, 10*time.Second, fmt.Sprintf("%d requests in flight", n), func() bool { return inFlight(c) >= n })
}
