package zkclient

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zkfs/zkfs/internal/zktest"
	"github.com/zkfs/zkfs/jute"
)

// load runs writers and readers on their own nodes until stopped. Every
// call must succeed or fail with ErrConnectionLoss (or be cut short by the
// stop); every success must carry the caller's own answer.
type load struct {
	ok, lost atomic.Int64
	stop     chan struct{}
	wg       sync.WaitGroup
	mu       sync.Mutex
	errs     []error
}

func startLoad(t *testing.T, c *Client, base string, workers int) *load {
	l := &load{stop: make(chan struct{})}
	for g := range workers {
		p := fmt.Sprintf("%s/load%d", base, g)
		mustCreate(t, c, p, nil)
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			last := "" // the last value known to be written
			for i := 0; ; i++ {
				select {
				case <-l.stop:
					return
				default:
				}
				ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
				val := fmt.Sprintf("%d-%d", g, i)
				_, err := c.Set(ctx, p, []byte(val), -1)
				if err == nil {
					last = val
					var data []byte
					data, _, err = c.Get(ctx, p)
					if err == nil && string(data) != last {
						l.fail(fmt.Errorf("%s: read %q after writing %q", p, data, last))
					}
				}
				cancel()
				switch {
				case err == nil:
					l.ok.Add(1)
				case errors.Is(err, ErrConnectionLoss):
					l.lost.Add(1)
					last = "" // unknown: the set may or may not have been applied
					time.Sleep(10 * time.Millisecond)
				default:
					l.fail(fmt.Errorf("%s: %v", p, err))
					return
				}
			}
		}()
	}
	return l
}

func (l *load) fail(err error) {
	l.mu.Lock()
	l.errs = append(l.errs, err)
	l.mu.Unlock()
}

// progress waits until n more calls succeeded.
func (l *load) progress(t *testing.T, n int64, what string) {
	t.Helper()
	target := l.ok.Load() + n
	eventually(t, 60*time.Second, what, func() bool { return l.ok.Load() >= target })
}

func (l *load) end(t *testing.T) {
	t.Helper()
	close(l.stop)
	l.wg.Wait()
	for _, err := range l.errs {
		t.Error(err)
	}
}

// Killing the server the client is connected to, and then the leader,
// under load: the session survives, calls in flight may fail with
// ErrConnectionLoss, later calls succeed, and watches keep firing.
func TestEnsembleFailover(t *testing.T) {
	ens := zktest.StartEnsemble(t)
	ctx := testCtx(t)
	c := connect(t, Config{Servers: ens.ConnectString(), SessionTimeout: 30 * time.Second})
	ev := watchEvents(c)
	w := connect(t, Config{Servers: ens.ConnectString(), SessionTimeout: 30 * time.Second})
	sid := c.SessionID()

	if cfg, _, err := c.GetConfig(ctx); err != nil || !strings.Contains(string(cfg), "server.1=") {
		t.Fatalf("getConfig on an ensemble: %q %v", cfg, err)
	}
	base := "/failover"
	mustCreate(t, c, base, nil)
	mustCreate(t, c, base+"/one", nil)
	mustCreate(t, c, base+"/p", nil)
	if _, _, err := c.Create(ctx, base+"/eph", nil, jute.ModeEphemeral, nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.GetW(ctx, base+"/one"); err != nil {
		t.Fatal(err)
	}
	if err := c.AddWatch(ctx, base+"/p", jute.AddWatchPersistent); err != nil {
		t.Fatal(err)
	}
	l := startLoad(t, c, base, 8)
	l.progress(t, 50, "load running")

	member := func(addr string) *zktest.Member {
		for _, m := range ens.Members() {
			if m.Addr() == addr {
				return m
			}
		}
		t.Fatalf("connected to %q, not a member", addr)
		return nil
	}
	// 1. The server the client is connected to.
	first := member(c.Server())
	t.Logf("killing member %s (connected, mode %s)", first.Addr(), first.Mode())
	first.Kill()
	eventually(t, 60*time.Second, "reconnected elsewhere", func() bool {
		s := c.Server()
		return s != "" && s != first.Addr() && c.State() == jute.StateSyncConnected
	})
	ens.WaitServing(t)
	l.progress(t, 50, "load after the first kill")
	first.Start(t)
	ens.WaitServing(t)

	// 2. The leader.
	leader := ens.Members()[ens.Leader()]
	t.Logf("killing the leader %s (client on %s)", leader.Addr(), c.Server())
	leader.Kill()
	ens.WaitServing(t)
	l.progress(t, 50, "load after the leader was killed")
	l.end(t)
	t.Logf("load: %d calls succeeded, %d lost", l.ok.Load(), l.lost.Load())

	if c.SessionID() != sid || c.State() != jute.StateSyncConnected {
		t.Fatalf("session %#x state %v, was %#x", c.SessionID(), c.State(), sid)
	}
	if st := c.Stats(); st.Reconnects < 1 {
		t.Fatalf("stats %+v", st)
	}
	if _, ok, err := w.Exists(ctx, base+"/eph"); !ok || err != nil {
		t.Fatalf("the session's ephemeral node: %v %v", ok, err)
	}
	// The watches set before both failures still fire.
	if _, err := w.Set(ctx, base+"/one", []byte("x"), -1); err != nil {
		t.Fatal(err)
	}
	ev.waitNode(t, 30*time.Second, jute.EventNodeDataChanged, base+"/one")
	for i := range 3 {
		if _, err := w.Set(ctx, base+"/p", []byte{byte(i)}, -1); err != nil {
			t.Fatal(err)
		}
		ev.waitNode(t, 30*time.Second, jute.EventNodeDataChanged, base+"/p")
	}
	// Writes after the failures are read back by the other session.
	if _, err := c.Set(ctx, base+"/one", []byte("final"), -1); err != nil {
		t.Fatal(err)
	}
	if err := w.Sync(ctx, base+"/one"); err != nil {
		t.Fatal(err)
	}
	if data, _, err := w.Get(ctx, base+"/one"); err != nil || string(data) != "final" {
		t.Fatalf("read back: %q %v", data, err)
	}
}
