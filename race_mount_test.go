package main

import (
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	zkfs "github.com/zkfs/zkfs/fs"
)

// TestRacingRemoteChanges: lookups, stats, reads and listings racing
// remote changes never leave the kernel with a view older than the last
// change (entries and attributes are cached for an hour, so a stale reply
// that lands after its invalidation would stay).
func TestRacingRemoteChanges(t *testing.T) {
	e := newMountEnv(t, nil, zkfs.Options{NoInotify: true})
	ctx := testCtx(t)
	e.create(t, "/race", nil)
	const rounds = 150
	for i := range rounds {
		dir := fmt.Sprintf("/race/n%d", i)
		e.create(t, dir, nil)
		// Readers hammer the directory while the change lands.
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					os.ReadFile(e.p(dir + "/.data"))
					os.ReadDir(e.p("/race"))
					os.Stat(e.p(dir + "/kid"))
				}
			}()
		}
		time.Sleep(time.Millisecond)
		want := fmt.Sprintf("value %d", i)
		if _, err := e.cl.Set(ctx, dir, []byte(want), -1); err != nil {
			t.Fatal(err)
		}
		e.create(t, dir+"/kid", nil)
		time.Sleep(time.Millisecond)
		close(stop)
		wg.Wait()
		deadline := time.Now().Add(10 * time.Second)
		for {
			got, err := os.ReadFile(e.p(dir + "/.data"))
			_, kerr := os.Stat(e.p(dir + "/kid"))
			if err == nil && string(got) == want && kerr == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("round %d: read %q (%v), kid: %v", i, got, err, kerr)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}
