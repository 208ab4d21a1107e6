package cache

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/zkfs/zkfs/jute"
	"github.com/zkfs/zkfs/zkclient"
)

// Fills racing events never leave stale content behind. A second session changes data and
// children in a loop while readers read through the cache; once the cache has applied the last
// event, no later event would correct a stale entry, so what the cache returns (and what it
// holds) must equal the server's state.
func TestFillRacingEventsNeverStale(t *testing.T) {
	srv := startServer(t)
	h := openCache(t, srv.Addr())
	other := remote(t, srv.Addr())
	ctx := testCtx(t)

	mustCreate(t, other, "/s", "start")
	mustCreate(t, other, "/c", "")
	h.rec.waitSeq(t, 0, inv(Created, "/s"), inv(Created, "/c"))

	const sets = 400
	const toggles = 150
	var stop atomic.Bool
	var wg sync.WaitGroup
	errc := make(chan error, 8)

	wg.Add(1)
	go func() { // data writer (second session)
		defer wg.Done()
		for i := range sets {
			if _, err := other.Set(ctx, "/s", []byte("value-"+itoa(i)), -1); err != nil {
				errc <- err
				return
			}
		}
	}()
	created, deleted := 0, 0
	wg.Add(1)
	go func() { // child writer (second session): creates and deletes children of /c
		defer wg.Done()
		for i := range toggles {
			p := "/c/k" + itoa(i%7)
			_, _, err := other.Create(ctx, p, nil, jute.ModePersistent, nil)
			if err == nil {
				created++
				continue
			}
			if !errors.Is(err, zkclient.ErrNodeExists) {
				errc <- err
				return
			}
			if err := other.Delete(ctx, p, -1); err != nil {
				errc <- err
				return
			}
			deleted++
		}
	}()
	var readers sync.WaitGroup
	for r := range 3 {
		readers.Add(1)
		go func() { // reader through the cache
			defer readers.Done()
			for !stop.Load() {
				var err error
				switch r {
				case 0:
					_, _, err = h.Data(ctx, "/s")
				case 1:
					_, err = h.Stat(ctx, "/s")
					if err == nil {
						_, err = h.Stat(ctx, "/c")
					}
				case 2:
					_, _, err = h.Children(ctx, "/c")
					if err == nil {
						_, err = h.Stat(ctx, "/c/k3")
						if errors.Is(err, zkclient.ErrNoNode) {
							err = nil
						}
					}
				}
				if err != nil {
					errc <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	stop.Store(true)
	readers.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}

	// Wait until every event was applied.
	eventually(t, "all events applied", func() error {
		if n := h.rec.count(inv(DataChanged, "/s")); n < sets {
			return errors.New("DataChanged /s: " + itoa(n) + " of " + itoa(sets))
		}
		nc, nd := 0, 0
		for _, got := range h.rec.snapshot() {
			if parentPath(got.Path) == "/c" {
				switch got.Kind {
				case Created:
					nc++
				case Deleted:
					nd++
				}
			}
		}
		if nc < created || nd < deleted {
			return errors.New("children events not all applied yet")
		}
		return nil
	})

	wantData, wantStat, err := other.Get(ctx, "/s")
	if err != nil {
		t.Fatal(err)
	}
	if e := h.cached("/s"); e.hasData && !slices.Equal(e.data, wantData) {
		t.Fatalf("cache holds stale data for /s: %q, server has %q", e.data, wantData)
	}
	if e := h.cached("/s"); e.hasStat && e.stat != wantStat {
		t.Fatalf("cache holds a stale stat for /s: %+v, server has %+v", e.stat, wantStat)
	}
	h.wantData(t, "/s", string(wantData))
	if st, err := h.Stat(ctx, "/s"); err != nil || st != wantStat {
		t.Fatalf("Stat(/s) = %+v, %v; server has %+v", st, err, wantStat)
	}

	wantKids, _, err := other.Children(ctx, "/c")
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(wantKids)
	if e := h.cached("/c"); e.hasChildren && !slices.Equal(e.children, wantKids) {
		t.Fatalf("cache holds a stale child list for /c: %v, server has %v", e.children, wantKids)
	}
	h.wantChildren(t, "/c", wantKids...)
	for i := range 7 {
		p := "/c/k" + itoa(i)
		_, exists, err := other.Exists(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		_, cerr := h.Stat(ctx, p)
		if exists != (cerr == nil) {
			t.Fatalf("%s: server exists=%v, cache err=%v", p, exists, cerr)
		}
	}
}

// Many goroutines reading the same uncached paths at once all get correct answers.
func TestConcurrentFills(t *testing.T) {
	srv := startServer(t)
	h := openCache(t, srv.Addr())
	other := remote(t, srv.Addr())
	mustCreate(t, other, "/f", "")
	for i := range 30 {
		mustCreate(t, other, "/f/"+itoa(i), "d"+itoa(i))
	}
	h.rec.waitSeq(t, 0, inv(Created, "/f/29"))
	ctx, cancel := context.WithCancel(testCtx(t))
	defer cancel()
	var wg sync.WaitGroup
	errc := make(chan error, 16)
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 30 {
				j := (i + g) % 30
				data, _, err := h.Data(ctx, "/f/"+itoa(j))
				if err != nil || string(data) != "d"+itoa(j) {
					errc <- errors.New("Data(/f/" + itoa(j) + ") = " + string(data))
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	h.mu.Lock()
	leaked := len(h.fills)
	h.mu.Unlock()
	if leaked != 0 {
		t.Fatalf("%d fill tracks left after all fills ended", leaked)
	}
}
