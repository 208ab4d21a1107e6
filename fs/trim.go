package fs

import (
	"sync"

	gofs "github.com/hanwen/go-fuse/v2/fs"
)

// Bounding the inodes the kernel keeps. With entry timeouts of an hour the
// kernel keeps every directory and data file it has looked up until memory
// runs short, and go-fuse keeps a node for each (about 600 bytes): a walk of
// a million znodes would pin two million. So every node handed to the
// kernel by a lookup is recorded, oldest first, and once more than
// Options.MaxInodes records are held, the oldest are given to the notifier
// as entry invalidations: the kernel drops those names (unless in use) and
// forgets their inodes, and go-fuse frees its nodes. A name dropped this way
// is simply looked up again when next used. A record may outlive its node
// (the kernel forgot it first, or looked the name up twice); that only
// makes the trimming start a little early.

// trimBatch is how many records are dropped at once past the bound, so that
// trimming happens in bursts rather than on every lookup.
const trimBatch = 1024

// trimRef names one node handed to the kernel: name in the directory
// parent.
type trimRef struct {
	parent *gofs.Inode
	name   string
}

// trimQueue is the FIFO of trimRefs. mu guards q and head; handlers append,
// and the one that crosses the bound takes the oldest out (q[head:] is the
// live part, compacted when half of it is dead).
type trimQueue struct {
	mu   sync.Mutex
	q    []trimRef
	head int
}

// handed records that the kernel was given the node name in parent, and
// queues invalidations of the oldest names when more than MaxInodes are
// recorded.
func (f *fsys) handed(parent *gofs.Inode, name string) {
	max := f.opts.MaxInodes
	if max <= 0 {
		return
	}
	t := &f.trim
	t.mu.Lock()
	t.q = append(t.q, trimRef{parent, name})
	var old []trimRef
	if len(t.q)-t.head > max+trimBatch {
		n := len(t.q) - t.head - max
		old = append(old, t.q[t.head:t.head+n]...)
		clear(t.q[t.head : t.head+n])
		t.head += n
		if t.head > len(t.q)/2 {
			t.q = append(t.q[:0], t.q[t.head:]...)
			t.head = 0
		}
	}
	t.mu.Unlock()
	for _, r := range old {
		f.enqueueLocal(localInval{node: r.parent, name: r.name})
	}
	if len(old) > 0 {
		countTrimmed(len(old))
	}
}
