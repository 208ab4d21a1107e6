package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// sample k of a latency run reads leaf pick(k) of a distinct dir each time,
// so that on a fresh mount every read is cold: nothing on its path (but the
// mount root) has been looked up before.
func (t *tree) pick(k int) (i, j int) {
	return k % t.dirs, (k*37 + 11) % t.leaves
}

func latencyFlags(name string, t *tree) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	t.flags(fs)
	return fs
}

func (t *tree) samples(n int) (int, error) {
	if t.flat > 0 || t.dirs < 1 || t.leaves < 1 {
		return 0, fmt.Errorf("needs a tree with dirs and leaves")
	}
	if n <= 0 || n > t.dirs {
		n = t.dirs
	}
	return n, nil
}

// runGet is the reference for one cold read: a getData per sample on one
// go-zookeeper session, one at a time.
func runGet(args []string) error {
	var t tree
	fs := latencyFlags("get", &t)
	servers := fs.String("servers", "127.0.0.1:2181", "ZooKeeper servers (host:port,...)")
	n := fs.Int("n", 0, "samples (default and at most: --dirs)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cnt, err := t.samples(*n)
	if err != nil {
		return err
	}
	conn, err := connectGoZK(*servers)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, _, err := conn.Exists("/"); err != nil { // first request off the clock
		return err
	}
	var d durations
	for k := 0; k < cnt; k++ {
		p := t.znode(rel(t.pick(k)))
		start := time.Now()
		_, _, err := conn.Get(p)
		d = append(d, time.Since(start))
		if err != nil {
			return fmt.Errorf("get %s: %w", p, err)
		}
	}
	d.report("")
	return nil
}

// runColdRead opens, reads and closes one data file per sample through a
// mount (what `cat FILE` does, without starting a process).
func runColdRead(args []string) error {
	var t tree
	fs := latencyFlags("coldread", &t)
	mnt := fs.String("mount", "", "mount point showing --root")
	dataName := fs.String("data-name", ".data", "name of the data file")
	n := fs.Int("n", 0, "samples (default and at most: --dirs)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *mnt == "" {
		return fmt.Errorf("--mount is required")
	}
	cnt, err := t.samples(*n)
	if err != nil {
		return err
	}
	var d durations
	for k := 0; k < cnt; k++ {
		i, j := t.pick(k)
		f := filepath.Join(*mnt, filepath.FromSlash(rel(i, j)), *dataName)
		start := time.Now()
		b, err := os.ReadFile(f)
		d = append(d, time.Since(start))
		if err != nil {
			return err
		}
		want := t.data(rel(i, j), t.needle && i == t.needleDir() && j == t.needleLeaf())
		if !bytes.Equal(b, want) {
			return fmt.Errorf("%s: read %q, want %q", f, b, want)
		}
	}
	d.report("")
	return nil
}
