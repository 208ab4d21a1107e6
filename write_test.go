package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/zkfs/zkfs/jute"
)

// seenValue is one value observed by the watching session.
type seenValue struct {
	version int32
	data    []byte
}

// watchValues records the value of zpath after every NodeDataChanged seen
// through a persistent watch of the independent session. Each event is
// followed by a getData, so every version published long enough to be read
// is observed. seen returns what was recorded so far; stop ends the
// recording goroutine.
func (e *mountEnv) watchValues(t *testing.T, zpath string) (seen func() []seenValue, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	if err := e.cl.AddWatch(testCtx(t), zpath, jute.AddWatchPersistent); err != nil {
		t.Fatalf("addWatch: %v", err)
	}
	var mu sync.Mutex // guards values
	var values []seenValue
	done := make(chan struct{})
	// Owned by watchValues: reads the session's event stream until stop.
	go func() {
		defer close(done)
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-e.cl.Events():
				if !ok {
					return
				}
				if ev.Path != zpath || ev.Type != jute.EventNodeDataChanged {
					continue
				}
				data, st, err := e.cl.Get(ctx, zpath)
				if err != nil {
					continue
				}
				mu.Lock()
				values = append(values, seenValue{st.Version, data})
				mu.Unlock()
			}
		}
	}()
	seen = func() []seenValue {
		mu.Lock()
		defer mu.Unlock()
		return append([]seenValue(nil), values...)
	}
	stop = func() {
		cancel()
		<-done
		rctx, rcancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer rcancel()
		_ = e.cl.RemoveWatches(rctx, zpath, jute.WatcherAny)
	}
	t.Cleanup(stop)
	return seen, stop
}

func (e *mountEnv) testOverwrite(t *testing.T) {
	e.create(t, "/ow", []byte("initial value"))
	_, st0 := e.get(t, "/ow")
	seenValues, stop := e.watchValues(t, "/ow")
	const n = 10
	for i := 0; i < n; i++ {
		mustSh(t, "echo value-%d > %s", i, q(e.p("/ow/.data")))
	}
	data, st := e.get(t, "/ow")
	if string(data) != "value-9\n" {
		t.Fatalf("server value %q", data)
	}
	// One setData per `echo >`: no intermediate (empty) version.
	if st.Version-st0.Version != n {
		t.Fatalf("%d versions for %d writes", st.Version-st0.Version, n)
	}
	// Wait until the watcher saw the last version, then check them all.
	eventually(t, "last version at the watcher", func() bool {
		s := seenValues()
		return len(s) > 0 && s[len(s)-1].version == st.Version
	})
	stop()
	seen := seenValues()
	for _, s := range seen {
		if len(s.data) == 0 || !strings.HasPrefix(string(s.data), "value-") {
			t.Fatalf("watcher saw version %d = %q", s.version, s.data)
		}
	}
	// The write is visible to the next read through the mount.
	if got := readVia(t, e.p("/ow/.data")); got != "value-9\n" {
		t.Fatalf("read back %q", got)
	}
	// `: >` publishes an empty value (that is what was asked for). A
	// buffer that is only a truncation is committed at release, which
	// the kernel sends after close(2) returns: poll.
	mustSh(t, ": > %s", q(e.p("/ow/.data")))
	eventually(t, "empty value after `: >`", func() bool {
		data, _ := e.get(t, "/ow")
		return len(data) == 0
	})
	// A partial overwrite keeps the rest (compare-and-set).
	e.create(t, "/ow/p", []byte("0123456789"))
	mustSh(t, "printf AB | dd of=%s bs=1 seek=3 conv=notrunc status=none", q(e.p("/ow/p/.data")))
	if data, _ := e.get(t, "/ow/p"); string(data) != "012AB56789" {
		t.Fatalf("partial overwrite: %q", data)
	}
}

func (e *mountEnv) testAppend(t *testing.T) {
	e.create(t, "/ap", []byte("line1\n"))
	mustSh(t, "echo line2 >> %s", q(e.p("/ap/.data")))
	mustSh(t, "echo line3 >> %s", q(e.p("/ap/.data")))
	if data, _ := e.get(t, "/ap"); string(data) != "line1\nline2\nline3\n" {
		t.Fatalf("after appends: %q", data)
	}
	if got := readVia(t, e.p("/ap/.data")); got != "line1\nline2\nline3\n" {
		t.Fatalf("read back %q", got)
	}
}

func (e *mountEnv) testConflict(t *testing.T) {
	e.create(t, "/cf", []byte("base\n"))
	f1, err := os.OpenFile(e.p("/cf/.data"), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f1.Close()
	f2, err := os.OpenFile(e.p("/cf/.data"), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f2.Close()
	if _, err := f1.WriteString("one\n"); err != nil {
		t.Fatal(err)
	}
	if _, err := f2.WriteString("two\n"); err != nil {
		t.Fatal(err)
	}
	if err := f1.Close(); err != nil {
		t.Fatalf("first close: %v", err)
	}
	err = f2.Close()
	if errnoOf(err) != syscall.ESTALE {
		t.Fatalf("second close: %v, want ESTALE", err)
	}
	data, st := e.get(t, "/cf")
	if string(data) != "base\none\n" || st.Version != 1 {
		t.Fatalf("server value %q v%d, want the first writer's", data, st.Version)
	}
	if logs := e.logs.String(); !strings.Contains(logs, "path=/cf") || !strings.Contains(logs, "openVersion=0") || !strings.Contains(logs, "currentVersion=1") {
		t.Fatalf("no conflict log line naming the path and both versions:\n%s", logs)
	}
	// The mount shows the committed value, not the rejected one.
	eventually(t, "committed value after a conflict", func() bool {
		return readVia(t, e.p("/cf/.data")) == "base\none\n"
	})
	// A remote change between open and close conflicts the same way.
	f3, err := os.OpenFile(e.p("/cf/.data"), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f3.Close()
	if _, err := f3.WriteString("three\n"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.cl.Set(testCtx(t), "/cf", []byte("remote\n"), -1); err != nil {
		t.Fatal(err)
	}
	if err := f3.Close(); errnoOf(err) != syscall.ESTALE {
		t.Fatalf("close after remote change: %v, want ESTALE", err)
	}
	if data, _ := e.get(t, "/cf"); string(data) != "remote\n" {
		t.Fatalf("server value %q, want the remote one", data)
	}
}

func (e *mountEnv) testTooLarge(t *testing.T) {
	e.create(t, "/big", []byte("old value"))
	limit := e.c.DataLimit("/big")
	if limit <= 0 || limit > 1<<20 {
		t.Fatalf("DataLimit = %d", limit)
	}
	// Exactly the limit fits (checked by kazoo, and read back through
	// the mount).
	mustSh(t, "head -c %d /dev/zero | tr '\\0' x > %s", limit, q(e.p("/big/.data")))
	if data := mustZkcli(t, e.zk.Addr(), "get", "/big"); len(data) != limit || data[0] != 'x' {
		t.Fatalf("value at the limit: %d bytes", len(data))
	}
	if got, err := os.ReadFile(e.p("/big/.data")); err != nil || len(got) != limit {
		t.Fatalf("read back at the limit: %d bytes, %v", len(got), err)
	}
	st, _, err := e.cl.Exists(testCtx(t), "/big")
	if err != nil {
		t.Fatal(err)
	}
	// One byte more: EFBIG from write(), and the old value stays.
	out, err := sh(t, "head -c %d /dev/zero > %s", limit+1, q(e.p("/big/.data")))
	if err == nil || !strings.Contains(out, "File too large") {
		t.Fatalf("over the limit: %v %q", err, out)
	}
	data := []byte(mustZkcli(t, e.zk.Addr(), "get", "/big"))
	st2, _, err := e.cl.Exists(testCtx(t), "/big")
	if err != nil {
		t.Fatal(err)
	}
	if len(data) != limit || st2.Version != st.Version {
		t.Fatalf("old value changed: %d bytes, v%d→v%d", len(data), st.Version, st2.Version)
	}
	eventually(t, "old size after EFBIG", func() bool {
		return statSize(t, e.p("/big/.data")) == int64(limit)
	})
	got, err := os.ReadFile(e.p("/big/.data"))
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read after EFBIG: %d bytes, %v", len(got), err)
	}
}
