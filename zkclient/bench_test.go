package zkclient

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zkfs/zkfs/internal/zktest"
	"github.com/zkfs/zkfs/jute"
)

// The benchmarks in this file share one Netty server, started by the first of them
// that needs it and killed with the test binary (zktest gives every JVM a
// parent-death signal). Its directory is named after the binary's pid so that a
// later run can remove the ones left behind.

const (
	benchPath     = "/zkclient-bench"
	benchDataSize = 100
	benchDirGlob  = "zkclient-bench-*"
)

var benchShared struct {
	once sync.Once
	srv  *zktest.Server
	why  string // why it did not start: "skip: …" or the failure
	warm sync.Once
}

// benchTB lends zktest.Start a testing.TB that outlives the benchmark calling it:
// cleanups are dropped (the JVM dies with the binary) and the directory is not
// removed with that benchmark. A skip or failure is remembered for later callers.
type benchTB struct {
	testing.TB
	dir string
}

func (benchTB) Cleanup(func()) {}

func (tb benchTB) TempDir() string { return tb.dir }

func (tb benchTB) Skip(args ...any) {
	benchShared.why = "skip: " + fmt.Sprint(args...)
	tb.TB.Skip(args...)
}

func (tb benchTB) Fatal(args ...any) {
	benchShared.why = fmt.Sprint(args...)
	tb.TB.Fatal(args...)
}

func (tb benchTB) Fatalf(format string, args ...any) {
	benchShared.why = fmt.Sprintf(format, args...)
	tb.TB.Fatalf(format, args...)
}

// benchSweep removes the directories of earlier test binaries that are gone.
func benchSweep() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), benchDirGlob))
	for _, d := range dirs {
		pid, err := strconv.Atoi(strings.TrimPrefix(filepath.Base(d), "zkclient-bench-"))
		if err != nil || pid == os.Getpid() {
			continue
		}
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); os.IsNotExist(err) {
			os.RemoveAll(d)
		}
	}
}

// benchServer returns the shared Netty server, starting it on first use, with
// benchPath holding benchDataSize bytes.
func benchServer(tb testing.TB) *zktest.Server {
	tb.Helper()
	benchShared.once.Do(func() {
		benchShared.why = "the shared server did not start (see the first caller's log)"
		benchSweep()
		dir := filepath.Join(os.TempDir(), fmt.Sprintf("zkclient-bench-%d", os.Getpid()))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			benchShared.why = err.Error()
			tb.Fatal(err)
		}
		srv := zktest.Start(benchTB{TB: tb, dir: dir}, zktest.WithNetty())
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := Connect(ctx, Config{Servers: srv.Addr(), SessionTimeout: 10 * time.Second})
		if err != nil {
			benchShared.why = err.Error()
			tb.Fatal(err)
		}
		defer c.Close()
		if _, _, err := c.Create(ctx, benchPath, make([]byte, benchDataSize), jute.ModePersistent, nil); err != nil {
			benchShared.why = err.Error()
			tb.Fatal(err)
		}
		benchShared.srv, benchShared.why = srv, ""
	})
	if benchShared.srv == nil {
		if rest, ok := strings.CutPrefix(benchShared.why, "skip: "); ok {
			tb.Skip(rest)
		}
		tb.Fatal(benchShared.why)
	}
	return benchShared.srv
}

// benchClient connects a new session to the shared server; it is closed with tb.
func benchClient(tb testing.TB) *Client {
	tb.Helper()
	srv := benchServer(tb)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := Connect(ctx, Config{Servers: srv.Addr(), SessionTimeout: 10 * time.Second})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	if _, ok := tb.(*testing.B); ok {
		benchShared.warm.Do(func() { benchWarm(tb, c) })
	}
	// A few calls off the clock: the pools fill.
	for i := 0; i < 200; i++ {
		if _, _, err := c.Get(ctx, benchPath); err != nil {
			tb.Fatal(err)
		}
	}
	return c
}

func BenchmarkGet(b *testing.B) {
	c := benchClient(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		data, _, err := c.Get(ctx, benchPath)
		if err != nil || len(data) != benchDataSize {
			b.Fatalf("get: %d bytes, %v", len(data), err)
		}
	}
}

func BenchmarkSet(b *testing.B) {
	c := benchClient(b)
	ctx := context.Background()
	data := make([]byte, benchDataSize)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Set(ctx, benchPath, data, -1); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGetParallel runs 64 callers on one session, each with one Get in
// flight: the pipelined case.
func BenchmarkGetParallel(b *testing.B) {
	const callers = 64
	c := benchClient(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	var wg sync.WaitGroup
	var left atomic.Int64
	left.Store(int64(b.N))
	errs := make(chan error, callers)
	for g := 0; g < callers; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for left.Add(-1) >= 0 {
				if _, _, err := c.Get(ctx, benchPath); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	close(errs)
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
}

// TestGetAllocs bounds the allocations of one Get against a real server. The
// count includes the connection's reader and writer goroutines.
func TestGetAllocs(t *testing.T) {
	const limit = 4
	c := benchClient(t)
	ctx := context.Background()
	var err error
	allocs := testing.AllocsPerRun(1000, func() {
		var data []byte
		data, _, err = c.Get(ctx, benchPath)
		if err == nil && len(data) != benchDataSize {
			err = fmt.Errorf("%d bytes, want %d", len(data), benchDataSize)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%.2f allocations per Get", allocs)
	if allocs > limit {
		t.Errorf("%.2f allocations per Get, want at most %d", allocs, limit)
	}
}

// benchWarm warms the server's JIT before the first benchmark: 64 callers for
// about two seconds, off every clock.
func benchWarm(tb testing.TB, c *Client) {
	ctx := context.Background()
	var wg sync.WaitGroup
	var werr atomic.Value
	end := time.Now().Add(2 * time.Second)
	for g := 0; g < 64; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(end) {
				if _, _, err := c.Get(ctx, benchPath); err != nil {
					werr.Store(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err, _ := werr.Load().(error); err != nil {
		tb.Fatal(err)
	}
}
