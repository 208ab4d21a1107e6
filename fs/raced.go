package fs

import (
	"context"
	"time"

	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/zkfs/zkfs/jute"
)

// Answers that race a change. The kernel keeps entries, attributes and
// directory listings for an hour and relies on the notifier to drop them
// when anything changes. A handler whose answer was read from the cache
// before a change was applied, but reaches the kernel after the notifier
// invalidated the kernel's copy, would otherwise be kept for that hour: a
// LOOKUP of a data file in flight while another client sets its data can
// leave the old size cached. Two measures close that window:
//
//   - a handler takes a mark (Source.Mark) before it reads and asks
//     Source.Changed afterwards; when a change that may touch its path was
//     applied meanwhile, its entry and attributes go out with a timeout the
//     kernel will not keep (racedEntry, racedAttr), and a listing is read
//     again (dirNode.children);
//   - the notifier invalidates everything a second and a third time, a
//     little later (notify.go), for answers that passed the check but were
//     still on their way to the kernel when the first invalidation went.

// racedTimeout is the timeout of an answer that may be stale: not zero
// (go-fuse would replace zero by the mount's timeout), and over by the next
// request.
const racedTimeout = time.Nanosecond

// racedEntry shortens out's timeouts when a change that may touch p was
// applied since mark.
func (f *fsys) racedEntry(p string, mark uint64, out *fuse.EntryOut) {
	if f.src.Changed(p, mark) {
		out.SetEntryTimeout(racedTimeout)
		out.SetAttrTimeout(racedTimeout)
	}
}

// racedAttr shortens out's timeout when a change that may touch p was
// applied since mark.
func (f *fsys) racedAttr(p string, mark uint64, out *fuse.AttrOut) {
	if f.src.Changed(p, mark) {
		out.SetTimeout(racedTimeout)
	}
}

// maxListingReads bounds how often a listing raced by changes is read
// again; past it the listing is answered as read (the notifier's later
// invalidations still drop it from the kernel).
const maxListingReads = 4

// children reads n's child list, again when a change to the directory was
// applied while it was being read, so that the kernel never caches a
// listing older than an invalidation it already received.
func (n *dirNode) children(ctx context.Context) ([]string, jute.Stat, error) {
	for i := 1; ; i++ {
		mark := n.fs.src.Mark()
		names, st, err := n.fs.src.Children(ctx, n.path)
		if err != nil || i == maxListingReads || !n.fs.src.Changed(n.path, mark) {
			return names, st, err
		}
	}
}
