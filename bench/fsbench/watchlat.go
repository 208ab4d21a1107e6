package main

import (
	"flag"
	"fmt"
	"time"
)

// runWatchLat is the reference for propagation: session A sets the data,
// session B holds a one-shot data watch on the znode; the latency is from
// A's setData reply to B's watch event (0 when the event came first).
func runWatchLat(args []string) error {
	fs := flag.NewFlagSet("watchlat", flag.ContinueOnError)
	servers := fs.String("servers", "127.0.0.1:2181", "ZooKeeper servers (host:port,...)")
	path := fs.String("path", "/fsbench/d000/l000", "znode to set")
	n := fs.Int("n", 1000, "setData calls")
	size := fs.Int("size", 100, "bytes per value")
	timeout := fs.Duration("timeout", 5*time.Second, "give up on one event after this long")
	if err := fs.Parse(args); err != nil {
		return err
	}
	setter, err := connectGoZK(*servers)
	if err != nil {
		return err
	}
	defer setter.Close()
	watcher, err := connectGoZK(*servers)
	if err != nil {
		return err
	}
	defer watcher.Close()
	orig, _, err := setter.Get(*path)
	if err != nil {
		return fmt.Errorf("get %s: %w", *path, err)
	}
	defer setter.Set(*path, orig, -1) //nolint:errcheck // best effort restore

	var d durations
	missed := 0
	for i := 0; i < *n; i++ {
		_, _, ch, err := watcher.GetW(*path)
		if err != nil {
			return fmt.Errorf("getw %s: %w", *path, err)
		}
		if _, err := setter.Set(*path, value(i, *size), -1); err != nil {
			return fmt.Errorf("set %s: %w", *path, err)
		}
		reply := time.Now()
		select {
		case <-ch:
			d = append(d, max(time.Since(reply), 0))
		case <-time.After(*timeout):
			missed++
			d = append(d, *timeout)
		}
	}
	d.report("watch_")
	fmt.Printf("watch_missed=%d\n", missed)
	return nil
}
