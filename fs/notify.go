package fs

import (
	"path"
	"sync"
	"syscall"

	gofs "github.com/hanwen/go-fuse/v2/fs"

	"github.com/zkfs/zkfs/cache"
)

// The notifier turns the cache's invalidation stream (every change made by
// any client, this mount included) into kernel cache invalidations, so that
// the kernel may cache entries, attributes and pages for long:
//
//	Created(p)     → NotifyEntry(parent, name) and the parent's attributes
//	Deleted(p)     → NotifyDelete(parent, name, child), or NotifyEntry when
//	                 the kernel holds no inode for p; the parent's attributes
//	DataChanged(p) → NotifyContent(data file, 0, 0) (drops its pages and
//	                 attributes) and the directory's attributes
//	All            → every known inode and entry
//
// Kernel notifications are only ever made from the notifier goroutine,
// never from a request handler and never while holding a lock a handler
// needs: a notification can block until a request on the same inode or
// directory completes. ENOENT from a notification means the kernel had
// nothing cached and is normal.

// localInval asks for an INVAL_INODE of node, or with a name for an
// INVAL_ENTRY of name in the directory node, queued by a handler (for
// example after a rejected commit left written pages in the kernel, or a
// rename left the kernel with a stale inode for a name).
type localInval struct {
	node *gofs.Inode
	name string
}

// localQueue is the unbounded queue from handlers to the notifier. mu guards
// items; kick (capacity 1) wakes the notifier.
type localQueue struct {
	mu    sync.Mutex
	items []localInval
	kick  chan struct{}
}

func newLocalQueue() *localQueue {
	return &localQueue{kick: make(chan struct{}, 1)}
}

// enqueueLocal queues inv without blocking.
func (f *fsys) enqueueLocal(inv localInval) {
	q := f.local
	q.mu.Lock()
	q.items = append(q.items, inv)
	q.mu.Unlock()
	select {
	case q.kick <- struct{}{}:
	default:
	}
}

func (q *localQueue) take() []localInval {
	q.mu.Lock()
	defer q.mu.Unlock()
	items := q.items
	q.items = nil
	return items
}

// notifier owns the goroutine that makes every kernel notification.
type notifier struct {
	root   *Root
	src    <-chan cache.Invalidation
	done   chan struct{} // closed by stop
	exited chan struct{} // closed when run returns
	once   sync.Once
}

// maxBatch bounds how many queued invalidations are coalesced at once.
const maxBatch = 4096

func startNotifier(root *Root, src <-chan cache.Invalidation) *notifier {
	nt := &notifier{root: root, src: src, done: make(chan struct{}), exited: make(chan struct{})}
	go nt.run()
	return nt
}

// stop ends the goroutine and waits for it. Idempotent.
func (nt *notifier) stop() {
	nt.once.Do(func() { close(nt.done) })
	<-nt.exited
}

func (nt *notifier) run() {
	defer close(nt.exited)
	src := nt.src
	kick := nt.root.fs.local.kick
	for {
		select {
		case <-nt.done:
			return
		case <-kick:
			for _, inv := range nt.root.fs.local.take() {
				if inv.name != "" {
					nt.notifyErr("entry", inv.name, inv.node.NotifyEntry(inv.name))
				} else {
					nt.notifyErr("content", "", inv.node.NotifyContent(0, 0))
				}
			}
		case inv, ok := <-src:
			if !ok {
				src = nil // cache closed; local work may still come
				continue
			}
			batch := []cache.Invalidation{inv}
		drain:
			for len(batch) < maxBatch {
				select {
				case inv, ok := <-src:
					if !ok {
						src = nil
						break drain
					}
					batch = append(batch, inv)
				default:
					break drain
				}
			}
			nt.apply(batch)
		}
	}
}

// apply coalesces a batch (identical invalidations once, in order of first
// appearance; an All replaces everything) and performs it.
func (nt *notifier) apply(batch []cache.Invalidation) {
	seen := make(map[cache.Invalidation]bool, len(batch))
	uniq := batch[:0:0]
	for _, inv := range batch {
		if inv.Kind == cache.All {
			nt.all()
			return
		}
		if !seen[inv] {
			seen[inv] = true
			uniq = append(uniq, inv)
		}
	}
	for _, inv := range uniq {
		nt.one(inv)
	}
}

// find returns the inode the kernel may know for the znode directory at p,
// or nil.
func (nt *notifier) find(p string) *gofs.Inode {
	n := &nt.root.Inode
	if p == "/" || p == "" {
		return n
	}
	start := 1
	for i := 1; i <= len(p); i++ {
		if i == len(p) || p[i] == '/' {
			name := p[start:i]
			start = i + 1
			if name == nt.root.fs.opts.DataName {
				return nil // shadowed by the data file
			}
			if n = n.GetChild(name); n == nil {
				return nil
			}
		}
	}
	return n
}

func (nt *notifier) one(inv cache.Invalidation) {
	p := inv.Path
	fs := nt.root.fs
	// echo: whether to echo this change to inotify watchers (inotify.go):
	// only changes made elsewhere.
	echo := fs.echo.Load()
	if echo != nil && inv.Kind != cache.All && fs.own.consume(inv.Kind, p) {
		echo = nil
	}
	if inv.Kind == cache.Deleted {
		fs.mem.dropTree(p)
	}
	switch inv.Kind {
	case cache.Created, cache.Deleted:
		if p == "/" || p == "" {
			nt.all()
			return
		}
		parent := nt.find(path.Dir(p))
		if parent == nil {
			return
		}
		name := path.Base(p)
		if echo != nil && name != fs.opts.DataName {
			op := echoOp{kind: inv.Kind, path: p}
			if inv.Kind == cache.Deleted {
				if child := parent.GetChild(name); child != nil {
					op.ino = child.StableAttr().Ino
				} else {
					op.ino = fs.mem.nextIno.Add(1)
				}
			}
			// After the invalidations below.
			defer echo.enqueue(op)
		}
		if inv.Kind == cache.Deleted && name != nt.root.fs.opts.DataName {
			if child := parent.GetChild(name); child != nil {
				errno := parent.NotifyDelete(name, child)
				if errno == syscall.ENOTEMPTY {
					nt.subtree(child)
					errno = parent.NotifyDelete(name, child)
				}
				if errno != 0 && errno != syscall.ENOENT {
					errno = parent.NotifyEntry(name)
				}
				nt.notifyErr("delete", p, errno)
			} else {
				nt.notifyErr("entry", p, parent.NotifyEntry(name))
			}
		} else {
			nt.notifyErr("entry", p, parent.NotifyEntry(name))
		}
		nt.notifyErr("content", path.Dir(p), parent.NotifyContent(0, 0))
	case cache.DataChanged:
		fs.mem.clearFresh(p)
		d := nt.find(p)
		if d == nil {
			return
		}
		if f := d.GetChild(nt.root.fs.opts.DataName); f != nil {
			if fn, ok := f.Operations().(*fileNode); ok {
				fn.mu.Lock()
				fn.pageMzxid = 0
				fn.mu.Unlock()
			} else {
				// A memory file renamed over the data file: let
				// the kernel look the data file up again.
				nt.notifyErr("entry", p, d.NotifyEntry(nt.root.fs.opts.DataName))
			}
			nt.notifyErr("content", p, f.NotifyContent(0, 0))
		}
		nt.notifyErr("content", p, d.NotifyContent(0, 0))
		if echo != nil {
			echo.enqueue(echoOp{kind: cache.DataChanged, path: p})
		}
	default:
		nt.all()
	}
}

// subtree invalidates every entry below n (deepest first).
func (nt *notifier) subtree(n *gofs.Inode) {
	for name, ch := range n.Children() {
		nt.subtree(ch)
		nt.notifyErr("entry", name, n.NotifyEntry(name))
	}
	if fn, ok := n.Operations().(*fileNode); ok {
		fn.mu.Lock()
		fn.pageMzxid = 0
		fn.mu.Unlock()
	}
	nt.notifyErr("content", "", n.NotifyContent(0, 0))
}

// all invalidates every inode and entry the kernel may hold.
func (nt *notifier) all() {
	nt.subtree(&nt.root.Inode)
}

func (nt *notifier) notifyErr(what, p string, errno syscall.Errno) {
	countInval(what, errno)
	if errno == 0 || errno == syscall.ENOENT {
		return
	}
	nt.root.fs.log.Debug("kernel notification failed", "op", what, "path", p, "errno", errno.Error())
}
