package fs

import (
	"context"
	"errors"
	"sync"
	"syscall"

	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/zkfs/zkfs/cache"
	"github.com/zkfs/zkfs/jute"
	"github.com/zkfs/zkfs/zkclient"
)

// fileNode is the data file of one znode incarnation (czxid).
type fileNode struct {
	gofs.Inode
	fs    *fsys
	path  string
	czxid int64

	// mu guards the fields below. Handlers hold it briefly and never while
	// calling ZooKeeper or another node's lock; a handle's lock may be taken
	// after it, never the other way round.
	mu sync.Mutex
	// writers are the open writable handles, in opening order.
	writers []*handle
	// pageMzxid is the mzxid of the value the kernel's page cache was
	// filled from, 0 when unknown (takePages). Open keeps the page cache
	// (FOPEN_KEEP_CACHE) only when the value has not changed since, so a
	// read never serves stale pages even if an invalidation is late.
	pageMzxid int64
}

var (
	_ gofs.NodeGetattrer  = (*fileNode)(nil)
	_ gofs.NodeSetattrer  = (*fileNode)(nil)
	_ gofs.NodeOpener     = (*fileNode)(nil)
	_ gofs.NodeGetxattrer = (*fileNode)(nil)
	_ gofs.NodeReader     = (*fileNode)(nil)
	_ gofs.NodeFsyncer    = (*fileNode)(nil)
)

// sameZnode reports whether st belongs to this node's incarnation.
func (n *fileNode) sameZnode(st *jute.Stat) bool {
	return n.czxid == st.Czxid
}

// Getattr answers from the znode's Stat; while a writable handle holds
// uncommitted data, the size is that of the buffer.
func (n *fileNode) Getattr(ctx context.Context, fh gofs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	ctx, cancel := n.fs.ctx(ctx)
	defer cancel()
	mark := n.fs.src.Mark()
	st, err := n.fs.src.Stat(ctx, n.path)
	if err != nil {
		return n.fs.errno("stat", n.path, err)
	}
	n.fs.fileAttr(ctx, n.path, &st, &out.Attr)
	n.fs.racedAttr(n.path, mark, out)
	if size, ok := n.dirtySize(); ok {
		out.Size = uint64(size)
		out.Blocks = (out.Size + 511) / 512
	}
	return 0
}

// dirtySize returns the buffer size of the most recent writable handle
// holding uncommitted data.
func (n *fileNode) dirtySize() (int, bool) {
	n.mu.Lock()
	ws := append([]*handle(nil), n.writers...)
	n.mu.Unlock()
	for i := len(ws) - 1; i >= 0; i-- {
		if size, dirty := ws[i].size(); dirty {
			return size, true
		}
	}
	return 0, false
}

// Open snapshots the value (and, for writing, its version) into a handle;
// a read-only open of a value up to a page needs none (see below). Read-only
// opens also put the value into the kernel's page cache (storePages).
func (n *fileNode) Open(ctx context.Context, flags uint32) (gofs.FileHandle, uint32, syscall.Errno) {
	write := flags&syscall.O_ACCMODE != syscall.O_RDONLY
	if write && n.fs.opts.ReadOnly {
		return nil, 0, syscall.EROFS
	}
	if write && n.fs.isSelf(ctx) {
		// The echo of a data change made elsewhere (inotify.go):
		// writes are discarded and bypass the page cache.
		return echoHandle{}, fuse.FOPEN_DIRECT_IO, 0
	}
	ctx, cancel := n.fs.ctx(ctx)
	defer cancel()
	mark := n.fs.src.Mark()
	data, st, err := n.fs.src.Data(ctx, n.path)
	if err != nil {
		return nil, 0, n.fs.errno("get", n.path, err)
	}
	if !n.sameZnode(&st) {
		// The znode was deleted and created again: this inode is
		// stale; the kernel looks the name up again on ESTALE.
		return nil, 0, syscall.ESTALE
	}
	var fuseFlags uint32
	if n.takePages(st.Mzxid) || (!write && n.storePages(data, mark)) {
		fuseFlags |= fuse.FOPEN_KEEP_CACHE
	}
	if !write {
		// Nothing to commit at close: spare the kernel the FLUSH.
		fuseFlags |= fuse.FOPEN_NOFLUSH
		if len(data) <= pageSize {
			// One page is read with one READ at most, never torn
			// (fileNode.Read serves it from the cache): no
			// snapshot to keep, so no handle, which spares go-fuse
			// its bookkeeping at OPEN and RELEASE.
			return nil, fuseFlags, 0
		}
		return &handle{node: n, data: data, version: st.Version, mzxid: st.Mzxid}, fuseFlags, 0
	}
	h := &handle{node: n, write: true, append: flags&syscall.O_APPEND != 0,
		version: st.Version, mzxid: st.Mzxid, data: append([]byte(nil), data...)}
	if flags&syscall.O_TRUNC != 0 {
		h.data, h.full, h.dirty = h.data[:0], true, true
	}
	n.mu.Lock()
	n.writers = append(n.writers, h)
	n.mu.Unlock()
	return h, fuseFlags, 0
}

// Read serves READ. An open with a handle is served by it; a read-only
// open of a small value has none (see Open) and is served from the cache,
// current at the time of the read. Its znode deleted, the read fails with
// ESTALE, as NFS does for a file removed on the server.
func (n *fileNode) Read(ctx context.Context, fh gofs.FileHandle, dest []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	if r, ok := fh.(gofs.FileReader); ok {
		return r.Read(ctx, dest, off)
	}
	stats.reads.Add(1)
	ctx, cancel := n.fs.ctx(ctx)
	defer cancel()
	data, st, err := n.fs.src.Data(ctx, n.path)
	if errors.Is(err, zkclient.ErrNoNode) || (err == nil && !n.sameZnode(&st)) {
		return nil, syscall.ESTALE
	}
	if err != nil {
		return nil, n.fs.errno("get", n.path, err)
	}
	return fuse.ReadResultData(window(data, len(dest), off)), 0
}

// Fsync commits through the handle; an open without one has nothing to
// commit.
func (n *fileNode) Fsync(ctx context.Context, fh gofs.FileHandle, flags uint32) syscall.Errno {
	if f, ok := fh.(gofs.FileFsyncer); ok {
		return f.Fsync(ctx, flags)
	}
	return 0
}

// takePages reports whether the kernel's pages of this file hold the value
// with mzxid, and records that they do from now on: the caller either
// keeps them (they did, or storePages put the value there) or has the
// kernel drop them (an open without FOPEN_KEEP_CACHE), so that what is read
// into them next is this value or a newer one, whose event resets the record.
func (n *fileNode) takePages(mzxid int64) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	held := n.pageMzxid != 0 && n.pageMzxid == mzxid
	n.pageMzxid = mzxid
	return held
}

const (
	// maxStored bounds the values Open pushes into the kernel's page cache.
	maxStored = 128 << 10
	// pageSize bounds the values read-only opens serve without a handle.
	pageSize = 4096
)

// storePages puts data into the kernel's page cache before a read-only
// open is answered (FUSE_NOTIFY_STORE), so that the reads that follow are
// served by the kernel: one write to /dev/fuse instead of a READ request
// and its reply, which matters for tools that read many small files one at
// a time (grep -r, cat of every file). It does not when the value is large
// (the kernel reads ahead what it needs), empty (nothing to read), or when
// a change that may touch the path was applied since mark: the value may
// be older than an invalidation already sent. It reports whether the pages
// hold data, so that Open tells the kernel to keep them.
func (n *fileNode) storePages(data []byte, mark uint64) bool {
	if len(data) == 0 || len(data) > maxStored || n.fs.src.Changed(n.path, mark) {
		return false
	}
	if n.WriteCache(0, data) != 0 {
		return false
	}
	stats.stored.Add(1)
	return true
}

// primeData puts the value of the directory's data file into the kernel's
// page cache, if the kernel holds that file and the value is small: on a
// read-only mount, where no OPEN comes to do it (file.go), a listing
// followed by a read (grep -r, cat */.data) then costs no READ. Called once
// the listing has reached the kernel (dirHandle.Readdirent): the data
// file's entry must have been taken in for its pages to be stored.
func (n *dirNode) primeData(ctx context.Context) {
	c := n.GetChild(n.fs.opts.DataName)
	if c == nil {
		return
	}
	fn, ok := c.Operations().(*fileNode)
	if !ok {
		return
	}
	ctx, cancel := n.fs.ctx(ctx)
	defer cancel()
	mark := n.fs.src.Mark()
	data, st, err := n.fs.src.Data(ctx, fn.path)
	if err != nil || len(data) > pageSize || !fn.sameZnode(&st) {
		return
	}
	if !fn.takePages(st.Mzxid) {
		fn.storePages(data, mark)
	}
}

// forget removes h from the open writers.
func (n *fileNode) forget(h *handle) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for i, w := range n.writers {
		if w == h {
			n.writers = append(n.writers[:i], n.writers[i+1:]...)
			return
		}
	}
}

// dropPages makes the next open drop the kernel's page cache, and asks the
// notifier to invalidate the cached pages and attributes now (the kernel
// may hold data that was written but never committed).
func (n *fileNode) dropPages() {
	n.mu.Lock()
	n.pageMzxid = 0
	n.mu.Unlock()
	n.fs.enqueueLocal(localInval{node: &n.Inode})
}

// Setattr handles truncation; mode, owner and time changes are accepted
// and ignored (ZooKeeper stores none of them).
//
// A truncate with an open writable handle is buffered in that handle and
// committed with its data (so `echo x > f`, which arrives as SETATTR(size=0)
// then WRITE, never publishes an empty value). A truncate with no open
// writable handle (truncate(1)) commits at once: to 0 unconditionally,
// to another size as a compare-and-set.
func (n *fileNode) Setattr(ctx context.Context, fh gofs.FileHandle, in *fuse.SetAttrIn, out *fuse.AttrOut) syscall.Errno {
	if n.fs.opts.ReadOnly {
		return syscall.EROFS
	}
	size, hasSize := in.GetSize()
	if hasSize && n.fs.isSelf(ctx) {
		hasSize = false
	}
	if hasSize {
		h, _ := fh.(*handle)
		if h == nil || !h.write {
			h = nil
			n.mu.Lock()
			if len(n.writers) > 0 {
				h = n.writers[len(n.writers)-1]
			}
			n.mu.Unlock()
		}
		var errno syscall.Errno
		if h != nil {
			errno = h.truncate(size)
		} else {
			errno = n.truncateNow(ctx, size)
		}
		if errno != 0 {
			return errno
		}
	}
	return n.Getattr(ctx, fh, out)
}

// truncateNow commits a truncate made without an open writable handle.
func (n *fileNode) truncateNow(ctx context.Context, size uint64) syscall.Errno {
	if size > uint64(n.fs.src.DataLimit(n.path)) {
		return syscall.EFBIG
	}
	ctx, cancel := n.fs.ctx(ctx)
	defer cancel()
	var err error
	if size == 0 {
		err = n.set(ctx, []byte{}, -1)
	} else {
		var data []byte
		var st jute.Stat
		data, st, err = n.fs.src.Data(ctx, n.path)
		if err == nil {
			if int(size) == len(data) {
				return 0
			}
			nd := make([]byte, size)
			copy(nd, data)
			err = n.set(ctx, nd, st.Version)
		}
	}
	if err != nil {
		return n.fs.errno("set", n.path, err)
	}
	n.mu.Lock()
	n.pageMzxid = 0
	n.mu.Unlock()
	return 0
}

// set commits data with one setData, recorded as this mount's own change.
func (n *fileNode) set(ctx context.Context, data []byte, version int32) error {
	own := n.fs.ownChange(cache.DataChanged, n.path)
	_, err := n.fs.src.Set(ctx, n.path, data, version)
	own(err)
	return err
}
