package fs

import (
	"path"
	"slices"
	"sync"
	"syscall"
	"time"

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

// enqueueLocal queues inv for the notifier without blocking.
func (f *fsys) enqueueLocal(inv localInval) { f.local.put(inv) }

// notifier owns the goroutine that makes every kernel notification.
type notifier struct {
	root   *Root
	src    <-chan cache.Invalidation
	done   chan struct{} // closed by stop
	exited chan struct{} // closed when run returns
	once   sync.Once
	later  []pass // batches waiting for a re-pass, by due time; run's own
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
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		if len(nt.later) > 0 {
			timer.Reset(time.Until(nt.later[0].due))
		}
		select {
		case <-nt.done:
			return
		case <-timer.C:
			nt.repass(time.Now())
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
		timer.Stop()
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
			nt.schedule([]cache.Invalidation{inv})
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
	nt.schedule(uniq)
}

// repassDelays are when, after the first, the kernel invalidations of a
// batch are made again (raced.go): an answer that left its handler before
// a change was applied may reach the kernel after the first invalidation.
var repassDelays = [...]time.Duration{25 * time.Millisecond, 250 * time.Millisecond}

// pass is a batch waiting for its next re-pass. Owned by the notifier
// goroutine.
type pass struct {
	due   time.Time
	stage int // index into repassDelays
	invs  []cache.Invalidation
}

// schedule queues invs for their first re-pass.
func (nt *notifier) schedule(invs []cache.Invalidation) {
	nt.queue(pass{due: time.Now().Add(repassDelays[0]), invs: invs})
}

// queue inserts p into nt.later, which is kept sorted by due time.
func (nt *notifier) queue(p pass) {
	i := len(nt.later)
	for i > 0 && nt.later[i-1].due.After(p.due) {
		i--
	}
	nt.later = slices.Insert(nt.later, i, p)
}

// repass performs the re-passes due at now and queues their next stage.
func (nt *notifier) repass(now time.Time) {
	for len(nt.later) > 0 && !nt.later[0].due.After(now) {
		p := nt.later[0]
		nt.later = nt.later[1:]
		for _, inv := range p.invs {
			nt.kernel(inv, true)
		}
		if p.stage+1 < len(repassDelays) {
			nt.queue(pass{due: now.Add(repassDelays[p.stage+1] - repassDelays[p.stage]),
				stage: p.stage + 1, invs: p.invs})
		}
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
	switch inv.Kind {
	case cache.Deleted:
		fs.mem.dropTree(p)
	case cache.DataChanged:
		fs.mem.clearFresh(p)
	}
	var op echoOp
	ok := echo != nil && nt.echoOf(inv, &op)
	nt.kernel(inv, false)
	if ok {
		// After the invalidations.
		echo.enqueue(op)
	}
}

// echoOf describes the inotify echo of inv in op, taken before the kernel
// forgets the inode of a deleted znode; false when there is nothing the
// kernel holds to echo it on.
func (nt *notifier) echoOf(inv cache.Invalidation, op *echoOp) bool {
	p := inv.Path
	fs := nt.root.fs
	*op = echoOp{kind: inv.Kind, path: p}
	switch inv.Kind {
	case cache.Created, cache.Deleted:
		if p == "/" || p == "" {
			return false
		}
		parent := nt.find(path.Dir(p))
		name := path.Base(p)
		if parent == nil || name == fs.opts.DataName {
			return false
		}
		if inv.Kind == cache.Deleted {
			if child := parent.GetChild(name); child != nil {
				op.ino = child.StableAttr().Ino
			} else {
				op.ino = fs.mem.nextIno.Add(1)
			}
		}
		return true
	case cache.DataChanged, cache.ACLChanged:
		return nt.find(p) != nil
	}
	return false
}

// kernel performs the kernel invalidations of inv. It is repeated by the
// re-passes (again), so it changes nothing but the kernel's caches (and the
// page marks, which only make the next open drop pages). A re-pass of a
// deletion only drops the entry: by then the name may stand for a new
// znode, whose inode must not be marked deleted.
func (nt *notifier) kernel(inv cache.Invalidation, again bool) {
	p := inv.Path
	dataName := nt.root.fs.opts.DataName
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
		if inv.Kind == cache.Deleted && name != dataName && !again {
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
		} else if !again || inv.Kind == cache.Deleted {
			// A re-pass of a creation need not drop the entry: no
			// negative entry is ever cached, and the name may now
			// stand for an inode an inotify watch is on.
			nt.notifyErr("entry", p, parent.NotifyEntry(name))
		}
		nt.notifyErr("content", path.Dir(p), parent.NotifyContent(0, 0))
	case cache.DataChanged:
		d := nt.find(p)
		if d == nil {
			return
		}
		if f := d.GetChild(dataName); f != nil {
			if fn, ok := f.Operations().(*fileNode); ok {
				fn.mu.Lock()
				fn.pageMzxid = 0
				fn.mu.Unlock()
			} else {
				// A memory file renamed over the data file: let
				// the kernel look the data file up again.
				nt.notifyErr("entry", p, d.NotifyEntry(dataName))
			}
			nt.notifyErr("content", p, f.NotifyContent(0, 0))
		}
		nt.notifyErr("content", p, d.NotifyContent(0, 0))
	case cache.ACLChanged:
		// With --allow-other the modes show the ACL (modes.go): drop
		// the attributes, not the pages. Xattrs are not cached.
		if d := nt.find(p); d != nil {
			if f := d.GetChild(nt.root.fs.opts.DataName); f != nil {
				nt.notifyErr("content", p, f.NotifyContent(-1, 0))
			}
			nt.notifyErr("content", p, d.NotifyContent(-1, 0))
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
