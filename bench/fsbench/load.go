package main

import (
	"errors"
	"flag"
	"fmt"
	"sync"
	"time"

	"github.com/go-zookeeper/zk"
)

// batchCreator creates a batch of znodes whose parents exist, in one or more
// pipelined requests. Implementations are safe for concurrent use.
type batchCreator interface {
	createBatch(paths []string, data [][]byte) error
	close()
}

// creators maps --client values to constructors; load_zkclient.go adds zkfs's
// own client.
var creators = map[string]func(servers string) (batchCreator, error){
	"gozk": newGoZKCreator,
}

type goZKCreator struct{ conn *zk.Conn }

func newGoZKCreator(servers string) (batchCreator, error) {
	c, err := connectGoZK(servers)
	if err != nil {
		return nil, err
	}
	return &goZKCreator{conn: c}, nil
}

// createBatch sends one multi of creates: one request, one transaction.
func (g *goZKCreator) createBatch(paths []string, data [][]byte) error {
	ops := make([]interface{}, len(paths))
	acl := zk.WorldACL(zk.PermAll)
	for i := range paths {
		ops[i] = &zk.CreateRequest{Path: paths[i], Data: data[i], Acl: acl}
	}
	res, err := g.conn.Multi(ops...)
	if err != nil {
		for i, r := range res {
			if r.Error != nil {
				return fmt.Errorf("create %s: %w", paths[i], r.Error)
			}
		}
		return err
	}
	return nil
}

func (g *goZKCreator) close() { g.conn.Close() }

// runLoad creates the tree level by level; within a level, batches of
// --batch creates go out as multis with --inflight of them outstanding on
// one session, so the loader is bound by the server, not by round trips.
func runLoad(args []string) error {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	var t tree
	t.flags(fs)
	servers := fs.String("servers", "127.0.0.1:2181", "ZooKeeper servers (host:port,...)")
	client := fs.String("client", "gozk", "client library: gozk, or zkclient (zkfs's own, when built in)")
	batch := fs.Int("batch", 100, "creates per multi request")
	inflight := fs.Int("inflight", 16, "multi requests outstanding at once")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := t.validate(); err != nil {
		return err
	}
	if *batch < 1 || *inflight < 1 {
		return errors.New("--batch and --inflight must be positive")
	}
	mk, ok := creators[*client]
	if !ok {
		return fmt.Errorf("--client %q not built in (have: %v)", *client, keys(creators))
	}
	c, err := mk(*servers)
	if err != nil {
		return err
	}
	defer c.close()

	start := time.Now()
	n := 0
	for _, level := range t.levels() {
		if err := loadLevel(c, &t, level, *batch, *inflight); err != nil {
			return err
		}
		n += len(level)
	}
	el := time.Since(start)
	fmt.Printf("client=%s\nnodes=%d\nseconds=%.3f\nrate_per_s=%.0f\n", *client, n, el.Seconds(), float64(n)/el.Seconds())
	return nil
}

// loadLevel creates one level; its goroutines end before it returns.
func loadLevel(c batchCreator, t *tree, level []node, batch, inflight int) error {
	sem := make(chan struct{}, inflight)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex // guards first
		first error
	)
	for lo := 0; lo < len(level); lo += batch {
		hi := min(lo+batch, len(level))
		paths := make([]string, 0, hi-lo)
		data := make([][]byte, 0, hi-lo)
		for _, nd := range level[lo:hi] {
			paths = append(paths, t.znode(nd.rel))
			data = append(data, nd.data)
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := c.createBatch(paths, data); err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return first
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
