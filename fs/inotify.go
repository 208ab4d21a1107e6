package fs

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
	"golang.org/x/sys/unix"

	"github.com/zkfs/zkfs/cache"
)

// inotify for changes made elsewhere.
//
// The kernel emits no inotify event for FUSE invalidations. So for every
// change another client makes (a znode created or deleted, data changed),
// after the notifier has invalidated the kernel's caches, zkfs performs the
// matching operation on its OWN mount point from one dedicated OS thread,
// the echo thread:
//
//	Created(p)     → mkdir p            IN_CREATE|IN_ISDIR on the parent
//	Deleted(p)     → rmdir p            IN_DELETE|IN_ISDIR on the parent
//	DataChanged(p) → open p/.data for writing, write the current value,
//	                 close              IN_MODIFY, then IN_CLOSE_WRITE
//
// The FUSE handlers recognise requests from the echo thread (a FUSE
// request's caller pid is the calling thread's id) and answer them without
// touching ZooKeeper: mkdir returns the existing znode, rmdir succeeds,
// the data file opens with a handle that discards what is written
// (FOPEN_DIRECT_IO, so that the page cache never keeps those bytes). To let
// the kernel go through with the operation, a lookup from the echo thread of
// a name being "created" answers ENOENT, and of a name being "deleted"
// answers the old directory (with a zero entry timeout).
//
// Only changes under directories the kernel holds are echoed (nobody can
// watch the others). Changes this mount made itself are not echoed: the
// kernel already emitted their events. ZooKeeper sends no watch event for
// setACL; ACL changes made elsewhere are found by polling (aclpoll.go) and
// echoed as
//
//	ACLChanged(p)  → setxattr user.zk.acl on p   IN_ATTRIB on p (and on
//	                                             the parent, with the name)
//
// Ownership: the echo goroutine, locked to its OS thread for its whole life
// (the thread exits with it), owns the queue's contents once taken and does
// every operation. The notifier goroutine only appends to the queue; no
// handler ever waits for the echo thread. Server.Unmount stops the echo
// goroutine before unmounting.

// echoOp is one operation to echo.
type echoOp struct {
	kind cache.InvalKind
	path string
	ino  uint64 // Deleted: the inode number the old directory answers with
}

// echoer owns the echo goroutine.
type echoer struct {
	fs         *fsys
	mountpoint string
	dev        uint64 // device of the mount's root, to never act beside it

	tid atomic.Int32 // the echo thread's id, 0 before it started

	ops *mailbox[echoOp] // from the notifier

	// pmu guards the pending maps: the operation the echo thread is doing
	// right now, read by the handlers it causes.
	pmu           sync.Mutex
	pendingCreate string
	pendingDelete string
	pendingIno    uint64

	done   chan struct{} // closed by stop
	exited chan struct{} // closed when run returns
	once   sync.Once
}

func startEchoer(f *fsys, mountpoint string) (*echoer, error) {
	var st unix.Stat_t
	if err := unix.Stat(mountpoint, &st); err != nil {
		return nil, err
	}
	e := &echoer{fs: f, mountpoint: mountpoint, dev: st.Dev,
		ops: newMailbox[echoOp](), done: make(chan struct{}), exited: make(chan struct{})}
	started := make(chan struct{})
	go e.run(started)
	<-started
	return e, nil
}

// stop ends the echo goroutine (after the operation in progress) and waits
// for it. Idempotent.
func (e *echoer) stop() {
	e.once.Do(func() { close(e.done) })
	<-e.exited
}

// enqueue queues op without blocking (called by the notifier).
func (e *echoer) enqueue(op echoOp) { e.ops.put(op) }

func (e *echoer) run(started chan<- struct{}) {
	defer close(e.exited)
	// A thread id is reused once the thread is gone: forget it first.
	defer e.tid.Store(0)
	// Never unlocked: the thread ends with the goroutine, so no other
	// goroutine ever runs on a thread whose id the handlers trust.
	runtime.LockOSThread()
	e.tid.Store(int32(unix.Gettid()))
	close(started)
	for {
		select {
		case <-e.done:
			return
		case <-e.ops.kick:
		}
		for _, op := range e.ops.take() {
			select {
			case <-e.done:
				return
			default:
			}
			e.do(op)
		}
	}
}

// do performs one operation relative to a descriptor of the mount's root,
// opened for this operation only (a descriptor held for long would make
// `umount` fail with EBUSY) and checked to be the mount, not the directory
// under it.
func (e *echoer) do(op echoOp) {
	root, err := unix.Open(e.mountpoint, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return
	}
	defer unix.Close(root)
	var st unix.Stat_t
	if unix.Fstat(root, &st) != nil || st.Dev != e.dev {
		return // unmounted meanwhile
	}
	rel := strings.TrimPrefix(op.path, "/")
	if rel == "" && (op.kind == cache.Created || op.kind == cache.Deleted) {
		return // the root is neither created nor deleted
	}
	switch op.kind {
	case cache.Created:
		e.setPending(op.path, "", 0)
		err = unix.Mkdirat(root, rel, 0o755)
	case cache.Deleted:
		e.setPending("", op.path, op.ino)
		err = unix.Unlinkat(root, rel, unix.AT_REMOVEDIR)
	case cache.DataChanged:
		err = e.modify(root, rel, op.path)
	case cache.ACLChanged:
		// No setxattrat: the path goes through the descriptor's
		// magic link, so it is still resolved inside the mount.
		err = unix.Setxattr(fmt.Sprintf("/proc/self/fd/%d/%s", root, rel), xattrACL, []byte("echo"), 0)
	}
	e.setPending("", "", 0)
	if err == nil {
		switch op.kind {
		case cache.Created:
			countInotify(InotifyCreate)
		case cache.Deleted:
			countInotify(InotifyDelete)
		case cache.ACLChanged:
			countInotify(InotifyAttrib)
		default:
			countInotify(InotifyModify)
		}
	}
	if err != nil && err != unix.ENOENT && err != unix.EEXIST {
		e.fs.log.Debug("inotify echo failed", "op", op.kind.String(), "path", op.path, "err", err)
	}
}

// modify opens the data file for writing, writes the current value (one
// byte when it is empty: an empty write makes no event) and closes it.
func (e *echoer) modify(root int, rel, p string) error {
	ctx, cancel := e.fs.ctx(context.Background())
	data, _, err := e.fs.src.Data(ctx, p)
	cancel()
	if err != nil {
		return err
	}
	if len(data) == 0 {
		data = []byte{'\n'}
	}
	name := e.fs.opts.DataName
	if rel != "" {
		name = rel + "/" + name
	}
	fd, err := unix.Openat(root, name, unix.O_WRONLY|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
	if err != nil {
		return err
	}
	_, err = unix.Pwrite(fd, data, 0)
	if cerr := unix.Close(fd); err == nil {
		err = cerr
	}
	return err
}

func (e *echoer) setPending(create, del string, ino uint64) {
	e.pmu.Lock()
	e.pendingCreate, e.pendingDelete, e.pendingIno = create, del, ino
	e.pmu.Unlock()
}

// pending returns what the echo thread is creating or deleting now.
func (e *echoer) pending() (create, del string, ino uint64) {
	e.pmu.Lock()
	defer e.pmu.Unlock()
	return e.pendingCreate, e.pendingDelete, e.pendingIno
}

// isSelf reports whether the kernel request in ctx comes from the echo
// thread.
func (f *fsys) isSelf(ctx context.Context) bool {
	e := f.echo.Load()
	if e == nil {
		return false
	}
	c, ok := fuse.FromContext(ctx)
	return ok && c.Pid != 0 && int32(c.Pid) == e.tid.Load()
}

// selfLookup answers a lookup from the echo thread of the directory p:
// handled reports whether it did.
func (n *dirNode) selfLookup(ctx context.Context, p string, out *fuse.EntryOut) (ino *gofs.Inode, errno syscall.Errno, handled bool) {
	e := n.fs.echo.Load()
	create, del, delIno := e.pending()
	switch p {
	case create:
		return nil, syscall.ENOENT, true
	case del:
		out.Attr.Ino = delIno
		out.Attr.Mode = syscall.S_IFDIR | 0o755
		out.Attr.Nlink = 2
		out.Attr.Uid, out.Attr.Gid = n.fs.uid, n.fs.gid
		// Nobody else may use this entry: it stands for a znode
		// that is gone, only until the rmdir in progress.
		out.SetEntryTimeout(time.Nanosecond)
		out.SetAttrTimeout(time.Nanosecond)
		return n.NewInode(ctx, &dirNode{fs: n.fs, path: p},
			gofs.StableAttr{Mode: syscall.S_IFDIR, Ino: delIno}), 0, true
	}
	return nil, 0, false
}

// echoHandle is the handle the echo thread's open of a data file gets: it
// accepts and discards writes.
type echoHandle struct{}

var (
	_ gofs.FileWriter   = echoHandle{}
	_ gofs.FileFlusher  = echoHandle{}
	_ gofs.FileReleaser = echoHandle{}
)

func (echoHandle) Write(ctx context.Context, data []byte, off int64) (uint32, syscall.Errno) {
	return uint32(len(data)), 0
}
func (echoHandle) Flush(ctx context.Context) syscall.Errno   { return 0 }
func (echoHandle) Release(ctx context.Context) syscall.Errno { return 0 }

// ownChanges remembers the changes this mount made, so that their watch
// events are not echoed (the kernel already emitted inotify events for
// them). Entries expire: a change whose event never comes (a reconnect
// coalesces events) must not hide a later one for long. mu guards m.
type ownChanges struct {
	mu sync.Mutex
	m  map[echoKey][]time.Time
}

type echoKey struct {
	kind cache.InvalKind
	path string
}

const ownChangeTTL = 30 * time.Second

// note records a change made through this mount.
func (o *ownChanges) note(kind cache.InvalKind, p string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.m == nil {
		o.m = map[echoKey][]time.Time{}
	}
	k := echoKey{kind, p}
	now := time.Now()
	o.m[k] = append(o.m[k], now)
	if len(o.m) > 4096 {
		for k, ts := range o.m {
			if now.Sub(ts[len(ts)-1]) > ownChangeTTL {
				delete(o.m, k)
			}
		}
	}
}

// consume reports whether a change was made through this mount, and
// forgets one record of it.
func (o *ownChanges) consume(kind cache.InvalKind, p string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	k := echoKey{kind, p}
	ts := o.m[k]
	now := time.Now()
	for len(ts) > 0 && now.Sub(ts[0]) > ownChangeTTL {
		ts = ts[1:]
	}
	if len(ts) == 0 {
		delete(o.m, k)
		return false
	}
	if len(ts) == 1 {
		delete(o.m, k)
	} else {
		o.m[k] = ts[1:]
	}
	return true
}

// retract forgets the newest record of a change (it failed).
func (o *ownChanges) retract(kind cache.InvalKind, p string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	k := echoKey{kind, p}
	if ts := o.m[k]; len(ts) > 1 {
		o.m[k] = ts[:len(ts)-1]
	} else {
		delete(o.m, k)
	}
}

// ownChange records a change about to be made through this mount (see
// ownChanges): before the request, since its watch event may reach the
// notifier before the reply reaches the handler. Call the returned function
// with the request's error: a failed change is forgotten again.
func (f *fsys) ownChange(kind cache.InvalKind, p string) func(error) {
	if f.echo.Load() == nil {
		return func(error) {}
	}
	f.own.note(kind, p)
	return func(err error) {
		if err != nil {
			f.own.retract(kind, p)
		}
	}
}
