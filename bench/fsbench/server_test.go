package main

import (
	"bytes"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/go-zookeeper/zk"
	"github.com/zkfs/zkfs/internal/zktest"
)

// These tests run the subcommands against a real server; the mount is played
// by mirror, which copies one znode's data into a local file on every change.
func TestSubcommandsAgainstServer(t *testing.T) {
	srv := zktest.Start(t, zktest.WithNetty())
	addr := srv.Addr()
	small := []string{"--servers", addr, "--root", "/fsbench", "--dirs", "5", "--leaves", "4"}

	if err := runLoad(append(small, "--needle", "--batch", "3", "--inflight", "2")); err != nil {
		t.Fatal(err)
	}
	if err := runLoad([]string{"--servers", addr, "--root", "/flat", "--flat", "250", "--size", "0"}); err != nil {
		t.Fatal(err)
	}
	conn, err := connectGoZK(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	nodes, n, err := walk(conn, "/fsbench", 3)
	if err != nil || nodes != 1+5+20 || n != 26*100 {
		t.Fatalf("walk: %d nodes, %d bytes, %v; want 26 nodes, 2600 bytes", nodes, n, err)
	}
	tr := tree{root: "/fsbench", dirs: 5, leaves: 4, size: 100, needle: true}
	d, _, err := conn.Get(tr.znode(rel(2, 2)))
	if err != nil || !bytes.Equal(d, tr.data(rel(2, 2), true)) {
		t.Fatalf("needle leaf holds %q (%v)", d, err)
	}
	if err := runWalk([]string{"--servers", addr, "--root", "/fsbench", "--want", "27"}); err == nil {
		t.Fatal("walk --want 27 of a 26-znode tree did not fail")
	}
	for name, args := range map[string][]string{
		"walk":     {"--servers", addr, "--root", "/fsbench", "--want", "26"},
		"children": {"--servers", addr, "--path", "/flat"},
		"get":      small,
		"watchlat": {"--servers", addr, "--path", "/fsbench/d000/l000", "--n", "20"},
	} {
		if err := commands[name].run(args); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}

	file := filepath.Join(t.TempDir(), ".data")
	stop := mirror(t, addr, "/fsbench/d000/l000", file)
	err = runPropagate([]string{"--servers", addr, "--path", "/fsbench/d000/l000", "--file", file, "--n", "20"})
	stop()
	if err != nil {
		t.Fatal(err)
	}
	if d, _, err := conn.Get("/fsbench/d000/l000"); err != nil || !bytes.Equal(d, tr.data(rel(0, 0), false)) {
		t.Fatalf("propagate left %q (%v), want the original data back", d, err)
	}
}

// mirror keeps file equal to the data of znode path through a data watch,
// from a goroutine that stop ends (and waits for).
func mirror(t *testing.T, addr, path, file string) (stop func()) {
	t.Helper()
	conn, err := connectGoZK(addr)
	if err != nil {
		t.Fatal(err)
	}
	write := func() <-chan zk.Event {
		d, _, ch, err := conn.GetW(path)
		if err != nil {
			t.Errorf("mirror: %v", err)
			return nil
		}
		if err := os.WriteFile(file, d, 0o644); err != nil {
			t.Errorf("mirror: %v", err)
		}
		return ch
	}
	ch := write()
	if ch == nil {
		t.FailNow()
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for ch != nil {
			select {
			case <-ch:
				ch = write()
			case <-done:
				return
			}
		}
	}()
	return func() {
		close(done)
		wg.Wait()
		conn.Close()
	}
}
