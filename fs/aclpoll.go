package fs

import (
	"context"
	"slices"
	"time"

	gofs "github.com/hanwen/go-fuse/v2/fs"
)

// Remote ACL changes for inotify. ZooKeeper 3.8 sends no watch event for
// setACL, so the echo thread cannot learn of one from the cache's event
// stream. Instead, while inotify echo is on, the ACL poller asks the server
// every Options.ACLPoll for the stat of up to aclPollBatch of the znode
// directories the kernel holds (round robin over all of them), through
// Source.PollACLs; a changed ACL version comes back through the cache's
// invalidation stream as ACLChanged, which the echo thread turns into an
// IN_ATTRIB on the directory (a setxattr from the echo thread, answered
// without touching ZooKeeper), as a local `setfattr -n user.zk.acl` makes.
//
// Ownership: one goroutine per echoer, started by startEchoer and stopped by
// echoer.stop; it owns the cursor.

// aclPollBatch bounds the znodes asked about per poll.
const aclPollBatch = 256

// maxPolledDirs bounds the kernel-held directories one round considers.
const maxPolledDirs = 1 << 20

// pollACLs is the ACL poller goroutine.
func (e *echoer) pollACLs(every time.Duration) {
	defer close(e.pollExited)
	t := time.NewTicker(every)
	defer t.Stop()
	cursor := 0
	for {
		select {
		case <-e.done:
			return
		case <-t.C:
		}
		dirs := kernelDirs(e.root)
		if cursor >= len(dirs) {
			cursor = 0
		}
		end := min(cursor+aclPollBatch, len(dirs))
		ctx, cancel := e.fs.ctx(context.Background())
		e.fs.src.PollACLs(ctx, dirs[cursor:end], end == len(dirs))
		cancel()
		cursor = end
	}
}

// kernelDirs returns the paths of the znode directories below (and
// including) root that the kernel holds, sorted.
func kernelDirs(root *gofs.Inode) []string {
	var out []string
	var walk func(n *gofs.Inode)
	walk = func(n *gofs.Inode) {
		if len(out) >= maxPolledDirs {
			return
		}
		var d *dirNode
		switch ops := n.Operations().(type) {
		case *dirNode:
			d = ops
		case *Root:
			d = &ops.dirNode
		default:
			return
		}
		if d.moved.Load() {
			return
		}
		out = append(out, d.path)
		for _, ch := range n.Children() {
			walk(ch)
		}
	}
	walk(root)
	slices.Sort(out)
	return out
}
