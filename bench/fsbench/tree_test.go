package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestTreeShape(t *testing.T) {
	tr := tree{root: "/fsbench", dirs: 7, leaves: 5, size: 100, needle: true}
	if err := tr.validate(); err != nil {
		t.Fatal(err)
	}
	total, needles := 0, 0
	seen := map[string]bool{}
	for _, level := range tr.levels() {
		for _, nd := range level {
			total++
			if seen[nd.rel] {
				t.Fatalf("duplicate node %q", nd.rel)
			}
			seen[nd.rel] = true
			if len(nd.data) != 100 || nd.data[99] != '\n' {
				t.Fatalf("%q: data %q is not 100 bytes ending in a newline", nd.rel, nd.data)
			}
			if bytes.Contains(nd.data, []byte(Needle)) {
				needles++
			}
		}
	}
	if total != tr.count() || total != 1+7+35 {
		t.Fatalf("levels gave %d nodes, count() %d, want 43", total, tr.count())
	}
	if needles != 1 {
		t.Fatalf("%d nodes hold the needle, want 1", needles)
	}
	if got := tr.znode(rel(3, 4)); got != "/fsbench/d003/l004" {
		t.Fatalf("znode = %q", got)
	}
	flat := tree{root: "/f", flat: 12, size: 0}
	if n := len(flat.levels()[1]); n != 12 || flat.count() != 13 {
		t.Fatalf("flat tree: %d children, count %d", n, flat.count())
	}
	for _, bad := range []tree{{root: "/"}, {root: "x"}, {root: "/a/"}, {root: "/a", flat: 100001}} {
		if bad.validate() == nil {
			t.Errorf("validate(%+v) accepted a bad tree", bad)
		}
	}
}

func TestMktree(t *testing.T) {
	dir := t.TempDir()
	if err := runMktree([]string{"--dir", dir, "--dirs", "3", "--leaves", "2", "--needle"}); err != nil {
		t.Fatal(err)
	}
	var files []string
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			files = append(files, strings.TrimPrefix(p, dir))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 1+3+6 {
		t.Fatalf("mktree wrote %d files, want 10: %v", len(files), files)
	}
	b, err := os.ReadFile(filepath.Join(dir, "d001", "l001", ".data"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("/d001/l001 "+Needle+" ")) || len(b) != 100 {
		t.Fatalf("needle leaf holds %q", b)
	}
}

func TestPercentile(t *testing.T) {
	var d durations
	for i := 100; i >= 1; i-- {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	for p, want := range map[float64]time.Duration{50: 50 * time.Millisecond, 99: 99 * time.Millisecond, 100: 100 * time.Millisecond, 1: time.Millisecond} {
		if got := d.percentile(p); got != want {
			t.Errorf("p%v = %v, want %v", p, got, want)
		}
	}
	if d[0] != 100*time.Millisecond {
		t.Error("percentile reordered its receiver")
	}
	if (durations{}).percentile(50) != 0 {
		t.Error("empty sample: want 0")
	}
}

func TestValueKeepsSize(t *testing.T) {
	for _, size := range []int{100, 30} {
		a, b := value(1, size), value(2, size)
		if len(a) != size || len(b) != size || bytes.Equal(a, b) {
			t.Fatalf("value(_, %d): %q %q", size, a, b)
		}
	}
}
