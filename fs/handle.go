package fs

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"sync"
	"syscall"

	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/zkfs/zkfs/cache"
	"github.com/zkfs/zkfs/jute"
	"github.com/zkfs/zkfs/zkclient"
)

// handle is one open data file. A read-only handle holds a snapshot of the
// value; a writable one holds the buffer that is committed with ONE setData
// at flush, fsync or release when dirty, never per write().
//
// Commit rule: when the buffer depends on the value read at open (append,
// partial overwrite), the setData is a compare-and-set against the version
// read at open; BadVersion gives ESTALE (and a log line naming the path and
// both versions) and nothing is overwritten. When the buffer was truncated
// to 0 (O_TRUNC, `>`, truncate to 0) it no longer depends on the old value
// and the setData is unconditional.
type handle struct {
	node   *fileNode
	write  bool
	append bool

	// mu guards the fields below; it is held across the commit's setData
	// so that writes and commits on one handle are ordered. Lock order:
	// fileNode.mu before handle.mu (in practice never both).
	mu      sync.Mutex
	data    []byte // snapshot (read-only) or buffer (writable)
	version int32  // version the buffer is based on
	mzxid   int64  // mzxid of the value read at open / last commit
	dirty   bool   // buffer differs from what was committed
	full    bool   // buffer does not depend on the old value
	// failed is set when a write failed for good (EFBIG): the buffer was
	// discarded, nothing is committed, and flush reports the errno.
	failed syscall.Errno
}

var (
	_ gofs.FileReader   = (*handle)(nil)
	_ gofs.FileWriter   = (*handle)(nil)
	_ gofs.FileFlusher  = (*handle)(nil)
	_ gofs.FileFsyncer  = (*handle)(nil)
	_ gofs.FileReleaser = (*handle)(nil)
)

// size returns the buffer size and whether it holds uncommitted data.
func (h *handle) size() (int, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.data), h.dirty
}

// Read serves from the handle. A read-only handle refreshes its snapshot
// when a read starts at offset 0 (a new pass over the file), so that a
// long-lived descriptor re-read from the start sees the current value; the
// reads of one pass come from one snapshot and are never torn.
func (h *handle) Read(ctx context.Context, dest []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	stats.reads.Add(1)
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.write && off == 0 {
		n := h.node
		cctx, cancel := n.fs.ctx(ctx)
		data, st, err := n.fs.src.Data(cctx, n.path)
		cancel()
		if err == nil && n.sameZnode(&st) {
			h.data, h.version, h.mzxid = data, st.Version, st.Mzxid
		}
	}
	return fuse.ReadResultData(window(h.data, len(dest), off)), 0
}

// window returns what a read of size bytes at off gets from data: the
// part of data there, empty at or past its end.
func window(data []byte, size int, off int64) []byte {
	if off < 0 || off >= int64(len(data)) {
		return nil
	}
	return data[off:min(off+int64(size), int64(len(data)))]
}

// Write edits the buffer. With O_APPEND the data always goes at the end of
// the buffer, whatever size the kernel believes the file has. A buffer
// larger than the server accepts fails here with EFBIG; the committed value
// stays as it was.
func (h *handle) Write(ctx context.Context, data []byte, off int64) (uint32, syscall.Errno) {
	if !h.write {
		return 0, syscall.EBADF
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.failed != 0 {
		return 0, h.failed
	}
	if h.append {
		off = int64(len(h.data))
	}
	end := off + int64(len(data))
	if off < 0 || end > int64(h.node.fs.src.DataLimit(h.node.path)) {
		// The value would be larger than the server accepts: drop the
		// whole buffer so that close commits nothing and the old
		// value stays; the kernel's view (size, pages) is refreshed.
		h.failed, h.dirty, h.data = syscall.EFBIG, false, nil
		h.node.dropPages()
		return 0, syscall.EFBIG
	}
	if end > int64(len(h.data)) {
		if end > int64(cap(h.data)) {
			nd := make([]byte, end, max(end, 2*int64(cap(h.data))))
			copy(nd, h.data)
			h.data = nd
		} else {
			old := len(h.data)
			h.data = h.data[:end]
			if off > int64(old) {
				clear(h.data[old:off]) // a hole: zeros
			}
		}
	}
	copy(h.data[off:], data)
	h.dirty = true
	return uint32(len(data)), 0
}

// truncate resizes the buffer (see fileNode.Setattr).
func (h *handle) truncate(size uint64) syscall.Errno {
	if size > uint64(h.node.fs.src.DataLimit(h.node.path)) {
		return syscall.EFBIG
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.failed != 0 {
		return h.failed
	}
	switch {
	case size == 0:
		h.data = h.data[:0]
		h.full = true
	case size <= uint64(len(h.data)):
		h.data = h.data[:size]
	default:
		nd := make([]byte, size)
		copy(nd, h.data)
		h.data = nd
	}
	h.dirty = true
	return 0
}

// Flush commits (close(2) reports its result). FLUSH comes with every
// close(2) of every descriptor of the open file, including the one a shell
// closes after dup2 for `echo x > f`, before anything is written: a buffer
// that is only a truncation to 0 is therefore not committed here but at
// release (or fsync), so that no intermediate empty value is ever
// published.
func (h *handle) Flush(ctx context.Context) syscall.Errno {
	h.mu.Lock()
	onlyTruncated := h.dirty && h.full && len(h.data) == 0
	h.mu.Unlock()
	if onlyTruncated {
		return 0
	}
	return h.commit(ctx)
}

// Fsync commits.
func (h *handle) Fsync(ctx context.Context, flags uint32) syscall.Errno {
	return h.commit(ctx)
}

// Release commits what is still dirty (its result is lost: the kernel
// ignores it; failures are logged) and forgets the handle.
func (h *handle) Release(ctx context.Context) syscall.Errno {
	errno := h.commit(ctx)
	if h.write {
		h.node.forget(h)
	}
	return errno
}

// commit publishes a dirty buffer with one setData.
func (h *handle) commit(ctx context.Context) syscall.Errno {
	if !h.write {
		return 0
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.failed != 0 {
		return h.failed
	}
	if !h.dirty {
		return 0
	}
	n := h.node
	version := h.version
	if h.full {
		version = -1
	}
	// A copy: the cache may keep the slice it was given (write-through),
	// and this handle may go on writing into its buffer.
	data := append([]byte{}, h.data...)
	cctx, cancel := n.fs.ctx(context.WithoutCancel(ctx))
	defer cancel()
	own := n.fs.ownChange(cache.DataChanged, n.path)
	st, err := n.fs.src.Set(cctx, n.path, data, version)
	if errors.Is(err, zkclient.ErrConnectionLoss) {
		st, err = settleUnknown(cctx, n.fs.src, n.path, data, h.version, err)
		if errors.Is(err, zkclient.ErrConnectionLoss) {
			// Still unknown: a later flush or the release must not
			// send it again blindly (it may have been applied).
			h.dirty = false
			n.dropPages()
		}
	}
	own(err)
	if err == nil {
		h.version, h.mzxid, h.dirty, h.full = st.Version, st.Mzxid, false, false
		// The page cache holds what was written; the watch event for
		// this change invalidates it anyway. Make the next open drop
		// it rather than trust it.
		n.mu.Lock()
		n.pageMzxid = 0
		n.mu.Unlock()
		return 0
	}
	if errors.Is(err, zkclient.ErrBadVersion) {
		cur := "unknown"
		if cst, serr := n.fs.src.Stat(cctx, n.path); serr == nil {
			cur = strconv.Itoa(int(cst.Version))
		}
		n.fs.log.Warn("write conflict: the value changed since the file was opened; nothing written",
			"path", n.path, "openVersion", version, "currentVersion", cur)
		// The conflict is final for this buffer: later flushes and
		// the release must not try again.
		h.dirty = false
		h.data = nil
		n.dropPages()
		return syscall.ESTALE
	}
	if errors.Is(err, zkclient.ErrNoNode) {
		h.dirty = false
		n.dropPages()
	}
	return n.fs.errno("set", n.path, err)
}

// settleUnknown decides what became of a setData of data that met a
// connection loss (lossErr) with the request in flight, based on base, the
// version the buffer was written against. It reads the znode again (reads
// retry on connection loss):
//
//   - it holds exactly data at version base+1: the write was applied; its
//     Stat is returned;
//   - it is still at version base: the write was not applied, and it is
//     sent again as a compare-and-set against base, which can neither
//     apply twice nor overwrite a change made meanwhile (a BadVersion or a
//     new loss is settled the same way: the server that answered has
//     applied everything before its answer);
//   - anything else (another writer came in between): the outcome stays
//     unknown and lossErr is returned.
func settleUnknown(ctx context.Context, src Source, path string, data []byte, base int32, lossErr error) (jute.Stat, error) {
	for attempt := 0; attempt < 3; attempt++ {
		cur, st, err := src.Data(ctx, path)
		if err != nil {
			if errors.Is(err, zkclient.ErrNoNode) {
				return jute.Stat{}, err
			}
			return jute.Stat{}, lossErr
		}
		switch {
		case st.Version == base+1 && bytes.Equal(cur, data):
			return st, nil
		case st.Version != base:
			return jute.Stat{}, lossErr
		}
		st, err = src.Set(ctx, path, data, base)
		if err == nil {
			return st, nil
		}
		if !errors.Is(err, zkclient.ErrConnectionLoss) && !errors.Is(err, zkclient.ErrBadVersion) {
			return st, err
		}
	}
	return jute.Stat{}, lossErr
}
