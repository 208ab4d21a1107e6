package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Needle is the string that exactly one data file of a tree holds (when the
// tree is made with a needle), for `grep -r` to find.
const Needle = "zkfs-needle"

// tree describes the benchmark tree: a root znode with dirs children, each
// with leaves children; or, when flat > 0, a root with flat children and no
// grandchildren. Every znode carries size bytes of data.
type tree struct {
	root   string
	dirs   int
	leaves int
	flat   int
	size   int
	needle bool
}

func (t *tree) flags(fs *flag.FlagSet) {
	fs.StringVar(&t.root, "root", "/fsbench", "root znode of the tree")
	fs.IntVar(&t.dirs, "dirs", 100, "children of the root")
	fs.IntVar(&t.leaves, "leaves", 100, "children of each child of the root")
	fs.IntVar(&t.flat, "flat", 0, "instead: this many children of the root, named %05d, no grandchildren")
	fs.IntVar(&t.size, "size", 100, "bytes of data per znode")
	fs.BoolVar(&t.needle, "needle", false, "put "+Needle+" into the data of one leaf")
}

func (t *tree) validate() error {
	if !strings.HasPrefix(t.root, "/") || t.root == "/" || strings.HasSuffix(t.root, "/") {
		return fmt.Errorf("--root %q: want an absolute znode path other than /", t.root)
	}
	if t.dirs < 0 || t.leaves < 0 || t.flat < 0 || t.size < 0 {
		return fmt.Errorf("negative tree dimension")
	}
	if t.flat > 100000 || t.dirs > 1000 || t.leaves > 1000 {
		return fmt.Errorf("at most 1000 dirs/leaves and 100000 flat children")
	}
	return nil
}

// count is the number of znodes, root included.
func (t *tree) count() int {
	if t.flat > 0 {
		return 1 + t.flat
	}
	return 1 + t.dirs + t.dirs*t.leaves
}

func dirName(i int) string      { return fmt.Sprintf("d%03d", i) }
func leafName(j int) string     { return fmt.Sprintf("l%03d", j) }
func flatName(i int) string     { return fmt.Sprintf("%05d", i) }
func (t *tree) needleDir() int  { return t.dirs / 2 }
func (t *tree) needleLeaf() int { return t.leaves / 2 }

// rel is the path of leaf j of dir i relative to the root ("" for the root;
// j < 0 means the dir itself).
func rel(i, j int) string {
	if i < 0 {
		return ""
	}
	if j < 0 {
		return dirName(i)
	}
	return dirName(i) + "/" + leafName(j)
}

// data is the content of the znode at relative path r: the path, a space,
// filler, and a newline, exactly t.size bytes.
func (t *tree) data(r string, needle bool) []byte {
	if t.size == 0 {
		return nil
	}
	b := make([]byte, 0, t.size)
	b = append(b, '/')
	b = append(b, r...)
	b = append(b, ' ')
	if needle {
		b = append(b, Needle...)
		b = append(b, ' ')
	}
	if len(b) > t.size-1 {
		b = b[:t.size-1]
	}
	b = append(b, bytes.Repeat([]byte{'x'}, t.size-1-len(b))...)
	return append(b, '\n')
}

// node is one znode of the tree in creation order (parents first).
type node struct {
	rel  string
	data []byte
}

// levels returns the tree's znodes level by level: each level only needs the
// previous ones to exist.
func (t *tree) levels() [][]node {
	out := [][]node{{{rel: "", data: t.data("", false)}}}
	if t.flat > 0 {
		l := make([]node, t.flat)
		for i := range l {
			l[i] = node{rel: flatName(i), data: t.data(flatName(i), false)}
		}
		return append(out, l)
	}
	ds := make([]node, t.dirs)
	for i := range ds {
		ds[i] = node{rel: rel(i, -1), data: t.data(rel(i, -1), false)}
	}
	ls := make([]node, 0, t.dirs*t.leaves)
	for i := 0; i < t.dirs; i++ {
		for j := 0; j < t.leaves; j++ {
			n := t.needle && i == t.needleDir() && j == t.needleLeaf()
			ls = append(ls, node{rel: rel(i, j), data: t.data(rel(i, j), n)})
		}
	}
	return append(out, ds, ls)
}

// znode is the absolute znode path of a relative path.
func (t *tree) znode(r string) string {
	if r == "" {
		return t.root
	}
	return t.root + "/" + r
}

// runMktree writes the tree under a directory the way zkfs shows it: every
// znode a directory, its data in a file named by --data-name.
func runMktree(args []string) error {
	fs := flag.NewFlagSet("mktree", flag.ContinueOnError)
	var t tree
	t.flags(fs)
	dir := fs.String("dir", "", "directory to write into (the root znode's directory)")
	dataName := fs.String("data-name", ".data", "name of the data file in each directory")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := t.validate(); err != nil {
		return err
	}
	if *dir == "" {
		return fmt.Errorf("--dir is required")
	}
	n := 0
	for _, level := range t.levels() {
		for _, nd := range level {
			d := filepath.Join(*dir, filepath.FromSlash(nd.rel))
			if err := os.MkdirAll(d, 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(d, *dataName), nd.data, 0o644); err != nil {
				return err
			}
			n++
		}
	}
	fmt.Printf("nodes=%d\n", n)
	return nil
}
