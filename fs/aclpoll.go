package fs

import (
	"context"
	"slices"
	"sync"
	"time"

	gofs "github.com/hanwen/go-fuse/v2/fs"
)

// Remote ACL changes. ZooKeeper 3.8 sends no watch event for setACL, so
// neither the inotify echo nor the modes derived from ACLs (modes.go) can
// learn of one from the cache's event stream. Instead, while either is on,
// the ACL poller asks the server every Options.ACLPoll for the stat of up to
// aclPollBatch of the znode directories the kernel holds (round robin over
// all of them), through Source.PollACLs; a changed ACL version comes back
// through the cache's invalidation stream as ACLChanged, which the notifier
// turns into an attribute invalidation (the modes may change) and the echo
// thread into an IN_ATTRIB on the directory (a setxattr from the echo
// thread, answered without touching ZooKeeper), as a local
// `setfattr -n user.zk.acl` makes.

// aclPollBatch bounds the znodes asked about per poll.
const aclPollBatch = 256

// maxPolledDirs bounds the kernel-held directories one round considers.
const maxPolledDirs = 1 << 20

// aclPoller owns one goroutine (run), started by startACLPoller and ended by
// stop; it alone uses cursor.
type aclPoller struct {
	fs     *fsys
	root   *gofs.Inode
	every  time.Duration
	cursor int
	done   chan struct{} // closed by stop
	exited chan struct{} // closed when run returns
	once   sync.Once
}

func startACLPoller(f *fsys, root *gofs.Inode, every time.Duration) *aclPoller {
	p := &aclPoller{fs: f, root: root, every: every, done: make(chan struct{}), exited: make(chan struct{})}
	go p.run()
	return p
}

// stop ends the poller and waits for it. Idempotent; nil is a poller that
// never ran.
func (p *aclPoller) stop() {
	if p == nil {
		return
	}
	p.once.Do(func() { close(p.done) })
	<-p.exited
}

func (p *aclPoller) run() {
	defer close(p.exited)
	t := time.NewTicker(p.every)
	defer t.Stop()
	for {
		select {
		case <-p.done:
			return
		case <-t.C:
		}
		dirs := kernelDirs(p.root)
		if p.cursor >= len(dirs) {
			p.cursor = 0
		}
		end := min(p.cursor+aclPollBatch, len(dirs))
		ctx, cancel := p.fs.ctx(context.Background())
		p.fs.src.PollACLs(ctx, dirs[p.cursor:end], end == len(dirs))
		cancel()
		p.cursor = end
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
