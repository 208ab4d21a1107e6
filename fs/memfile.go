package fs

import (
	"context"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// In-memory files: regular files other than the data file (editors'
// temporary, backup and swap files, `sed -i`'s sedXXXXXX, vim's 4913 probe,
// `touch newfile`) may be created inside a znode directory. They live only
// in this daemon's memory, are never stored in ZooKeeper, are seen by no
// other client or mount, and are lost at unmount. Renaming one over a data
// file commits its bytes to that znode with ONE unconditional setData (a
// full overwrite) and the in-memory file is gone; renaming it elsewhere or
// unlinking it works in memory.

// firstMemIno is the first inode number of in-memory files: clear of the
// znode numbers (at most 2^63+3, see Inodes) and of go-fuse's automatic
// numbers (from 2^63).
const firstMemIno = 1<<63 + 1<<62

// memData is the content of one in-memory file. Its mu guards every field;
// it is held only briefly and never while calling ZooKeeper.
type memData struct {
	ino uint64

	mu    sync.Mutex
	data  []byte
	mode  uint32 // permission bits
	mtime time.Time
	// committed is set when the file was renamed over a data file: its
	// inode is stale from then on (the name now belongs to the data file)
	// and answers ESTALE, so that the kernel looks the name up again.
	committed bool
}

// memStore holds every in-memory file of one mount, by znode directory path
// and name. mu guards dirs; it is a leaf lock (nothing else is locked while
// it is held, except memData.mu in snapshot()).
type memStore struct {
	mu   sync.Mutex
	dirs map[string]map[string]*memData
	// fresh holds the znodes this mount created with mkdir whose data file
	// was not created yet (see dirNode.Mkdir).
	fresh   map[string]bool
	nextIno atomic.Uint64
}

func newMemStore() *memStore {
	s := &memStore{dirs: map[string]map[string]*memData{}, fresh: map[string]bool{}}
	s.nextIno.Store(firstMemIno)
	return s
}

func (s *memStore) get(dir, name string) *memData {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dirs[dir][name]
}

// add stores d as dir/name unless that name is taken; it reports success.
func (s *memStore) add(dir, name string, d *memData) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.dirs[dir]
	if m == nil {
		m = map[string]*memData{}
		s.dirs[dir] = m
	}
	if m[name] != nil {
		return false
	}
	m[name] = d
	return true
}

// remove drops dir/name and returns what was there.
func (s *memStore) remove(dir, name string) *memData {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.dirs[dir]
	d := m[name]
	if d != nil {
		delete(m, name)
		if len(m) == 0 {
			delete(s.dirs, dir)
		}
	}
	return d
}

// move renames dir/name to newDir/newName (replacing what is there).
func (s *memStore) move(dir, name, newDir, newName string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.dirs[dir][name]
	if d == nil {
		return false
	}
	delete(s.dirs[dir], name)
	if len(s.dirs[dir]) == 0 {
		delete(s.dirs, dir)
	}
	m := s.dirs[newDir]
	if m == nil {
		m = map[string]*memData{}
		s.dirs[newDir] = m
	}
	m[newName] = d
	return true
}

// has reports whether dir holds in-memory files.
func (s *memStore) has(dir string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.dirs[dir]) > 0
}

// list returns dir's in-memory files, sorted by name.
func (s *memStore) list(dir string) []fuse.DirEntry {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]fuse.DirEntry, 0, len(s.dirs[dir]))
	for name, d := range s.dirs[dir] {
		out = append(out, fuse.DirEntry{Name: name, Mode: syscall.S_IFREG, Ino: d.ino})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// dropTree forgets the in-memory files of dir and of every directory below
// it (the znode was deleted).
func (s *memStore) dropTree(dir string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	prefix := dir + "/"
	if dir == "/" {
		prefix = "/"
	}
	for p := range s.dirs {
		if p == dir || len(p) > len(prefix) && p[:len(prefix)] == prefix {
			delete(s.dirs, p)
		}
	}
	for p := range s.fresh {
		if p == dir || len(p) > len(prefix) && p[:len(prefix)] == prefix {
			delete(s.fresh, p)
		}
	}
}

// markFresh records that the znode dir was just made by mkdir.
func (s *memStore) markFresh(dir string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fresh[dir] = true
}

// isFresh reports whether dir's data file is not created yet.
func (s *memStore) isFresh(dir string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fresh[dir]
}

// clearFresh makes dir's data file appear.
func (s *memStore) clearFresh(dir string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.fresh, dir)
}

// memNode is the inode of one in-memory file. Reads and writes are served
// by the node itself (NodeReader/NodeWriter); opens return no handle.
type memNode struct {
	gofs.Inode
	fs *fsys
	d  *memData
}

var (
	_ gofs.NodeGetattrer     = (*memNode)(nil)
	_ gofs.NodeSetattrer     = (*memNode)(nil)
	_ gofs.NodeOpener        = (*memNode)(nil)
	_ gofs.NodeReader        = (*memNode)(nil)
	_ gofs.NodeWriter        = (*memNode)(nil)
	_ gofs.NodeFlusher       = (*memNode)(nil)
	_ gofs.NodeFsyncer       = (*memNode)(nil)
	_ gofs.NodeGetxattrer    = (*memNode)(nil)
	_ gofs.NodeSetxattrer    = (*memNode)(nil)
	_ gofs.NodeListxattrer   = (*memNode)(nil)
	_ gofs.NodeRemovexattrer = (*memNode)(nil)
)

// newMem returns the inode of the in-memory file d.
func (n *dirNode) newMem(ctx context.Context, d *memData) *gofs.Inode {
	return n.NewInode(ctx, &memNode{fs: n.fs, d: d},
		gofs.StableAttr{Mode: syscall.S_IFREG, Ino: d.ino})
}

// attr fills out with d's attributes. Requires d.mu.
func (f *fsys) memAttr(d *memData, out *fuse.Attr) {
	out.Ino = d.ino
	out.Mode = syscall.S_IFREG | d.mode
	out.Nlink = 1
	out.Size = uint64(len(d.data))
	out.SetTimes(&d.mtime, &d.mtime, &d.mtime)
	out.Uid, out.Gid = f.uid, f.gid
	out.Blksize = 4096
	out.Blocks = (out.Size + 511) / 512
}

func (n *memNode) Getattr(ctx context.Context, fh gofs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	n.d.mu.Lock()
	defer n.d.mu.Unlock()
	if n.d.committed {
		return syscall.ESTALE
	}
	n.fs.memAttr(n.d, &out.Attr)
	return 0
}

// Setattr truncates, and keeps the permission bits and mtime (ownership
// changes are accepted and ignored), so that editors and cp -a succeed.
func (n *memNode) Setattr(ctx context.Context, fh gofs.FileHandle, in *fuse.SetAttrIn, out *fuse.AttrOut) syscall.Errno {
	n.d.mu.Lock()
	defer n.d.mu.Unlock()
	if n.d.committed {
		return syscall.ESTALE
	}
	if size, ok := in.GetSize(); ok {
		if size > uint64(n.fs.src.DataLimit("/")) {
			return syscall.EFBIG
		}
		n.d.data = resize(n.d.data, int(size))
		n.d.mtime = time.Now()
	}
	if mode, ok := in.GetMode(); ok {
		n.d.mode = mode & 0o7777
	}
	if mtime, ok := in.GetMTime(); ok {
		n.d.mtime = mtime
	}
	n.fs.memAttr(n.d, &out.Attr)
	return 0
}

func resize(b []byte, size int) []byte {
	if size <= len(b) {
		return b[:size]
	}
	nb := make([]byte, size, max(size, 2*cap(b)))
	copy(nb, b)
	return nb
}

func (n *memNode) Open(ctx context.Context, flags uint32) (gofs.FileHandle, uint32, syscall.Errno) {
	n.d.mu.Lock()
	defer n.d.mu.Unlock()
	if n.d.committed {
		return nil, 0, syscall.ESTALE
	}
	if flags&syscall.O_TRUNC != 0 && flags&syscall.O_ACCMODE != syscall.O_RDONLY {
		n.d.data = n.d.data[:0]
		n.d.mtime = time.Now()
	}
	return nil, 0, 0
}

func (n *memNode) Read(ctx context.Context, fh gofs.FileHandle, dest []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	n.d.mu.Lock()
	defer n.d.mu.Unlock()
	return fuse.ReadResultData(append([]byte(nil), window(n.d.data, len(dest), off)...)), 0
}

// Write edits the file; it cannot grow beyond what a znode may hold (EFBIG),
// since its only way into ZooKeeper is a rename over a data file.
func (n *memNode) Write(ctx context.Context, fh gofs.FileHandle, data []byte, off int64) (uint32, syscall.Errno) {
	end := off + int64(len(data))
	if off < 0 || end > int64(n.fs.src.DataLimit("/")) {
		return 0, syscall.EFBIG
	}
	n.d.mu.Lock()
	defer n.d.mu.Unlock()
	if end > int64(len(n.d.data)) {
		n.d.data = resize(n.d.data, int(end))
	}
	copy(n.d.data[off:], data)
	n.d.mtime = time.Now()
	return uint32(len(data)), 0
}

func (n *memNode) Flush(ctx context.Context, fh gofs.FileHandle) syscall.Errno { return 0 }

func (n *memNode) Fsync(ctx context.Context, fh gofs.FileHandle, flags uint32) syscall.Errno {
	return 0
}

func (n *memNode) Getxattr(ctx context.Context, attr string, dest []byte) (uint32, syscall.Errno) {
	return 0, syscall.ENODATA
}

// Setxattr is refused (ENOTSUP): cp -a and tar treat that as "not
// supported here" and go on.
func (n *memNode) Setxattr(ctx context.Context, attr string, data []byte, flags uint32) syscall.Errno {
	return syscall.ENOTSUP
}

func (n *memNode) Listxattr(ctx context.Context, dest []byte) (uint32, syscall.Errno) {
	return 0, 0
}

func (n *memNode) Removexattr(ctx context.Context, attr string) syscall.Errno {
	return syscall.ENODATA
}

// createMem creates the in-memory file dir/name (see Create).
func (n *dirNode) createMem(ctx context.Context, name string, flags, mode uint32, out *fuse.EntryOut) (*gofs.Inode, gofs.FileHandle, uint32, syscall.Errno) {
	if d := n.fs.mem.get(n.path, name); d != nil {
		return nil, nil, 0, syscall.EEXIST
	}
	cctx, cancel := n.fs.ctx(ctx)
	_, err := n.fs.src.Stat(cctx, childPath(n.path, name))
	cancel()
	if err == nil {
		return nil, nil, 0, syscall.EEXIST // a znode directory
	}
	if errno := n.fs.errno("stat", childPath(n.path, name), err); errno != syscall.ENOENT && errno != syscall.EINVAL {
		return nil, nil, 0, errno
	}
	d := &memData{ino: n.fs.mem.nextIno.Add(1), mode: mode & 0o7777, mtime: time.Now()}
	if !n.fs.mem.add(n.path, name, d) {
		return nil, nil, 0, syscall.EEXIST
	}
	d.mu.Lock()
	n.fs.memAttr(d, &out.Attr)
	d.mu.Unlock()
	return n.newMem(ctx, d), nil, 0, 0
}
