package fs

import (
	"testing"

	gofs "github.com/hanwen/go-fuse/v2/fs"
)

// TestTrimBound: past MaxInodes (plus one batch), the oldest names handed to
// the kernel are queued for invalidation, oldest first, and the record
// shrinks back to the bound.
func TestTrimBound(t *testing.T) {
	f := &fsys{opts: Options{MaxInodes: 100}, local: newMailbox[localInval]()}
	parent := &gofs.Inode{}
	names := func(n int) []string {
		var out []string
		for i := range n {
			out = append(out, string(rune('a'+i%26))+string(rune('a'+i/26%26))+string(rune('a'+i/676)))
		}
		return out
	}(3000)
	for i, name := range names[:100+trimBatch] {
		f.handed(parent, name)
		if got := len(f.local.take()); got != 0 {
			t.Fatalf("after %d names, %d invalidations queued; want none up to the bound plus a batch", i+1, got)
		}
	}
	f.handed(parent, names[100+trimBatch])
	got := f.local.take()
	if len(got) != trimBatch+1 {
		t.Fatalf("%d invalidations queued past the bound, want %d", len(got), trimBatch+1)
	}
	for i, inv := range got {
		if inv.node != parent || inv.name != names[i] {
			t.Fatalf("invalidation %d: %q, want %q (oldest first)", i, inv.name, names[i])
		}
	}
	if live := len(f.trim.q) - f.trim.head; live != 100 {
		t.Fatalf("%d names recorded after trimming, want 100", live)
	}
	for _, name := range names[101+trimBatch:] {
		f.handed(parent, name)
	}
	if live := len(f.trim.q) - f.trim.head; live > 100+trimBatch {
		t.Fatalf("%d names recorded, more than the bound plus a batch", live)
	}
	if cap(f.trim.q) > 4*(100+trimBatch) {
		t.Fatalf("record capacity %d keeps growing", cap(f.trim.q))
	}
	// No bound: nothing recorded.
	g := &fsys{opts: Options{MaxInodes: -1}, local: newMailbox[localInval]()}
	for _, name := range names {
		g.handed(parent, name)
	}
	if len(g.trim.q) != 0 || len(g.local.take()) != 0 {
		t.Fatal("names recorded without a bound")
	}
}
