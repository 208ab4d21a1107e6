package main

import (
	"flag"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-zookeeper/zk"
)

// runWalk is the reference for a cold recursive read of a mount: a fresh
// go-zookeeper session does getChildren + getData of every znode under
// --root with at most --inflight znodes being read at once.
func runWalk(args []string) error {
	fs := flag.NewFlagSet("walk", flag.ContinueOnError)
	servers := fs.String("servers", "127.0.0.1:2181", "ZooKeeper servers (host:port,...)")
	root := fs.String("root", "/fsbench", "znode to walk")
	inflight := fs.Int("inflight", 64, "znodes read concurrently")
	want := fs.Int("want", 0, "fail unless exactly this many znodes are seen (0: no check)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *inflight < 1 {
		return fmt.Errorf("--inflight must be positive")
	}
	conn, err := connectGoZK(*servers)
	if err != nil {
		return err
	}
	defer conn.Close()

	start := time.Now()
	nodes, bytes, err := walk(conn, *root, *inflight)
	el := time.Since(start)
	if err != nil {
		return err
	}
	if *want > 0 && int(nodes) != *want {
		return fmt.Errorf("walk saw %d znodes, want %d", nodes, *want)
	}
	fmt.Printf("nodes=%d\nbytes=%d\nseconds=%.4f\n", nodes, bytes, el.Seconds())
	return nil
}

// walk reads the subtree at root. One goroutine per znode, gated by a
// semaphore of size inflight; all of them have ended when walk returns.
func walk(conn *zk.Conn, root string, inflight int) (nodes, bytes int64, err error) {
	sem := make(chan struct{}, inflight)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex // guards first
		first error
	)
	fail := func(e error) {
		mu.Lock()
		if first == nil {
			first = e
		}
		mu.Unlock()
	}
	var visit func(p string)
	visit = func(p string) {
		defer wg.Done()
		sem <- struct{}{}
		kids, _, err := conn.Children(p)
		if err == nil {
			var d []byte
			d, _, err = conn.Get(p)
			atomic.AddInt64(&bytes, int64(len(d)))
		}
		<-sem
		if err != nil {
			fail(fmt.Errorf("%s: %w", p, err))
			return
		}
		atomic.AddInt64(&nodes, 1)
		for _, k := range kids {
			c := p + "/" + k
			if p == "/" {
				c = "/" + k
			}
			wg.Add(1)
			go visit(c)
		}
	}
	wg.Add(1)
	go visit(root)
	wg.Wait()
	return nodes, bytes, first
}

// runChildren times one getChildren of a znode on a fresh session: the
// reference for `ls` of a big directory.
func runChildren(args []string) error {
	fs := flag.NewFlagSet("children", flag.ContinueOnError)
	servers := fs.String("servers", "127.0.0.1:2181", "ZooKeeper servers (host:port,...)")
	path := fs.String("path", "/fsbench", "znode whose children to list")
	if err := fs.Parse(args); err != nil {
		return err
	}
	conn, err := connectGoZK(*servers)
	if err != nil {
		return err
	}
	defer conn.Close()
	start := time.Now()
	kids, _, err := conn.Children(*path)
	el := time.Since(start)
	if err != nil {
		return err
	}
	fmt.Printf("children=%d\nseconds=%.4f\n", len(kids), el.Seconds())
	return nil
}
