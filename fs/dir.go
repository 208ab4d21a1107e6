package fs

import (
	"context"
	"path"
	"sync/atomic"
	"syscall"

	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/zkfs/zkfs/cache"
	"github.com/zkfs/zkfs/jute"
)

// dirNode is the directory of one znode. path never changes: a znode cannot
// move in ZooKeeper, and a re-created znode gets a new czxid, hence a new
// inode.
type dirNode struct {
	gofs.Inode
	fs   *fsys
	path string
	// moved is set when this directory was renamed (rename.go): the inode
	// stands for a path that is gone and answers ESTALE, so that the
	// kernel looks the new name up again.
	moved atomic.Bool
}

var (
	_ gofs.NodeLookuper   = (*dirNode)(nil)
	_ gofs.NodeReaddirer  = (*dirNode)(nil)
	_ gofs.NodeGetattrer  = (*dirNode)(nil)
	_ gofs.NodeSetattrer  = (*dirNode)(nil)
	_ gofs.NodeMkdirer    = (*dirNode)(nil)
	_ gofs.NodeRmdirer    = (*dirNode)(nil)
	_ gofs.NodeUnlinker   = (*dirNode)(nil)
	_ gofs.NodeCreater    = (*dirNode)(nil)
	_ gofs.NodeMknoder    = (*dirNode)(nil)
	_ gofs.NodeSymlinker  = (*dirNode)(nil)
	_ gofs.NodeLinker     = (*dirNode)(nil)
	_ gofs.NodeRenamer    = (*dirNode)(nil)
	_ gofs.NodeStatfser   = (*dirNode)(nil)
	_ gofs.NodeOpendirer  = (*dirNode)(nil)
	_ gofs.NodeGetxattrer = (*dirNode)(nil)
)

// dirAttr fills out with the attributes of a znode directory (the modes
// from its ACL with --allow-other, see modes.go).
func (f *fsys) dirAttr(ctx context.Context, p string, st *jute.Stat, out *fuse.Attr) {
	ino, _ := Inodes(p, st.Czxid)
	out.Ino = ino
	out.Mode = syscall.S_IFDIR | 0o755
	if st.EphemeralOwner != 0 {
		out.Mode |= syscall.S_ISVTX
	}
	out.Nlink = 2 + uint32(max(st.NumChildren, 0))
	out.Size = uint64(max(st.NumChildren, 0)) + 1
	f.setTimes(st, out)
	f.aclMode(ctx, p, true, out)
}

// fileAttr fills out with the attributes of a znode's data file (the modes
// from its ACL with --allow-other, see modes.go).
func (f *fsys) fileAttr(ctx context.Context, p string, st *jute.Stat, out *fuse.Attr) {
	_, ino := Inodes(p, st.Czxid)
	out.Ino = ino
	out.Mode = syscall.S_IFREG | 0o644
	out.Nlink = 1
	out.Size = uint64(max(st.DataLength, 0))
	f.setTimes(st, out)
	f.aclMode(ctx, p, false, out)
}

func (f *fsys) setTimes(st *jute.Stat, out *fuse.Attr) {
	sec, nsec := uint64(st.Mtime/1000), uint32(st.Mtime%1000)*1_000_000
	if st.Mtime < 0 {
		sec, nsec = 0, 0
	}
	out.Mtime, out.Mtimensec = sec, nsec
	out.Atime, out.Atimensec = sec, nsec
	out.Ctime, out.Ctimensec = sec, nsec
	out.Uid, out.Gid = f.uid, f.gid
	out.Blksize = 4096
	out.Blocks = (out.Size + 511) / 512
}

// newDir returns the inode for the znode directory at p with stat st: the
// known one if the kernel still holds this incarnation, else a new one.
func (n *dirNode) newDir(ctx context.Context, p string, st *jute.Stat) *gofs.Inode {
	ino, _ := Inodes(p, st.Czxid)
	n.fs.handed(&n.Inode, path.Base(p))
	return n.NewInode(ctx, &dirNode{fs: n.fs, path: p},
		gofs.StableAttr{Mode: syscall.S_IFDIR, Ino: ino})
}

// newData returns the inode of this znode's data file.
func (n *dirNode) newData(ctx context.Context, st *jute.Stat) *gofs.Inode {
	_, ino := Inodes(n.path, st.Czxid)
	n.fs.handed(&n.Inode, n.fs.opts.DataName)
	return n.NewInode(ctx, &fileNode{fs: n.fs, path: n.path, czxid: st.Czxid},
		gofs.StableAttr{Mode: syscall.S_IFREG, Ino: ino})
}

// maxNameLen is NAME_MAX. The kernel passes FUSE names of up to 1024 bytes,
// so the limit local file systems have is enforced here.
const maxNameLen = 255

// Lookup resolves the data file or a child znode.
func (n *dirNode) Lookup(ctx context.Context, name string, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	if len(name) > maxNameLen {
		return nil, syscall.ENAMETOOLONG
	}
	if n.moved.Load() {
		return nil, syscall.ESTALE
	}
	ctx, cancel := n.fs.ctx(ctx)
	defer cancel()
	if name == n.fs.opts.DataName {
		if n.fs.mem.isFresh(n.path) {
			return nil, syscall.ENOENT
		}
		mark := n.fs.src.Mark()
		st, err := n.fs.src.Stat(ctx, n.path)
		if err != nil {
			return nil, n.fs.errno("stat", n.path, err)
		}
		n.fs.fileAttr(ctx, n.path, &st, &out.Attr)
		n.fs.racedEntry(n.path, mark, out)
		return n.newData(ctx, &st), 0
	}
	if d := n.fs.mem.get(n.path, name); d != nil {
		d.mu.Lock()
		n.fs.memAttr(d, &out.Attr)
		d.mu.Unlock()
		return n.newMem(ctx, d), 0
	}
	p := childPath(n.path, name)
	if jute.ValidatePath(p) != nil {
		return nil, syscall.ENOENT
	}
	if n.fs.isSelf(ctx) {
		if ino, errno, ok := n.selfLookup(ctx, p, out); ok {
			return ino, errno
		}
	}
	mark := n.fs.src.Mark()
	st, err := n.fs.src.Stat(ctx, p)
	if err != nil {
		return nil, n.fs.errno("stat", p, err)
	}
	n.fs.dirAttr(ctx, p, &st, &out.Attr)
	n.fs.racedEntry(p, mark, out)
	return n.newDir(ctx, p, &st), 0
}

// Opendir checks that the znode still exists, so that a directory removed
// by another client gives ENOENT rather than an empty listing.
func (n *dirNode) Opendir(ctx context.Context) syscall.Errno {
	if n.moved.Load() {
		return syscall.ESTALE
	}
	ctx, cancel := n.fs.ctx(ctx)
	defer cancel()
	if _, err := n.fs.src.Stat(ctx, n.path); err != nil {
		return n.fs.errno("stat", n.path, err)
	}
	return 0
}

// plusMaxKids is the largest directory whose entries READDIRPLUS looks up
// (after loading their stats pipelined): `ls` of a bigger one gets the
// names only, and the kernel looks up those it needs (dirHandle.Lookup).
const plusMaxKids = 10000

// Readdir lists ".", "..", the data file and the children (sorted).
func (n *dirNode) Readdir(ctx context.Context) (gofs.DirStream, syscall.Errno) {
	list, _, errno := n.listing(ctx)
	if errno != 0 {
		return nil, errno
	}
	return gofs.NewListDirStream(list), 0
}

// listing returns the entries of Readdir, and whether there are too many
// for READDIRPLUS to look each one up (plusMaxKids).
func (n *dirNode) listing(ctx context.Context) ([]fuse.DirEntry, bool, syscall.Errno) {
	if n.moved.Load() {
		return nil, false, syscall.ESTALE
	}
	ctx, cancel := n.fs.ctx(ctx)
	defer cancel()
	names, st, err := n.children(ctx)
	if err != nil {
		return nil, false, n.fs.errno("children", n.path, err)
	}
	big := len(names) > plusMaxKids
	if !big {
		// READDIRPLUS looks every entry up next, one at a time:
		// have them cached.
		n.fs.src.Prefetch(ctx, n.path, names)
	}
	dirIno, dataIno := Inodes(n.path, st.Czxid)
	parentIno := uint64(1)
	if _, parent := n.Parent(); parent != nil {
		parentIno = parent.StableAttr().Ino
	}
	list := make([]fuse.DirEntry, 0, len(names)+3)
	list = append(list,
		fuse.DirEntry{Name: ".", Mode: syscall.S_IFDIR, Ino: dirIno},
		fuse.DirEntry{Name: "..", Mode: syscall.S_IFDIR, Ino: parentIno})
	if !n.fs.mem.isFresh(n.path) {
		list = append(list, fuse.DirEntry{Name: n.fs.opts.DataName, Mode: syscall.S_IFREG, Ino: dataIno})
	}
	for _, name := range names {
		if name == n.fs.opts.DataName {
			continue // shadowed by the data file
		}
		// The inode number (what readdir's d_ino shows: ls -i, find
		// -inum, pwd walking up) from the stat the prefetch loaded;
		// unknown (0) in a listing of names only.
		var ino uint64
		if !big {
			p := childPath(n.path, name)
			if cst, err := n.fs.src.Stat(ctx, p); err == nil {
				ino, _ = Inodes(p, cst.Czxid)
			}
		}
		list = append(list, fuse.DirEntry{Name: name, Mode: syscall.S_IFDIR, Ino: ino})
	}
	list = append(list, n.fs.mem.list(n.path)...)
	return list, big, 0
}

// Getattr answers from the znode's Stat.
func (n *dirNode) Getattr(ctx context.Context, fh gofs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	if n.moved.Load() {
		return syscall.ESTALE
	}
	ctx, cancel := n.fs.ctx(ctx)
	defer cancel()
	mark := n.fs.src.Mark()
	st, err := n.fs.src.Stat(ctx, n.path)
	if err != nil {
		return n.fs.errno("stat", n.path, err)
	}
	n.fs.dirAttr(ctx, n.path, &st, &out.Attr)
	n.fs.racedAttr(n.path, mark, out)
	return 0
}

// Setattr accepts and ignores time and mode changes on directories (so that
// `touch dir`, `cp -a` and `tar x` do not fail); nothing is stored.
func (n *dirNode) Setattr(ctx context.Context, fh gofs.FileHandle, in *fuse.SetAttrIn, out *fuse.AttrOut) syscall.Errno {
	if n.fs.opts.ReadOnly {
		return syscall.EROFS
	}
	if _, ok := in.GetSize(); ok {
		return syscall.EISDIR
	}
	return n.Getattr(ctx, fh, out)
}

// Mkdir creates a znode with null data: persistent, or ephemeral (owned by
// the mount's session, gone when it ends) when mode has the sticky bit
// (`mkdir -m 1755 DIR`).
//
// The new directory shows no data file until one is created in it (open
// with O_CREAT, `echo x > d/.data`), or its data is set some other way:
// cp -r and tar create the data file with O_EXCL in the directory they just
// made, which must not fail with EEXIST.
func (n *dirNode) Mkdir(ctx context.Context, name string, mode uint32, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	if n.fs.opts.ReadOnly {
		return nil, syscall.EROFS
	}
	if len(name) > maxNameLen {
		return nil, syscall.ENAMETOOLONG
	}
	if name == n.fs.opts.DataName || n.fs.mem.get(n.path, name) != nil {
		return nil, syscall.EEXIST
	}
	p := childPath(n.path, name)
	if err := jute.ValidatePath(p); err != nil {
		return nil, syscall.EINVAL
	}
	self := n.fs.isSelf(ctx)
	ctx, cancel := n.fs.ctx(ctx)
	defer cancel()
	if self {
		// The echo of a znode created elsewhere: it exists already.
		st, err := n.fs.src.Stat(ctx, p)
		if err != nil {
			return nil, n.fs.errno("stat", p, err)
		}
		n.fs.dirAttr(ctx, p, &st, &out.Attr)
		return n.existing(ctx, name, out.Attr.Ino, func() *gofs.Inode { return n.newDir(ctx, p, &st) }), 0
	}
	zmode := jute.ModePersistent
	if mode&syscall.S_ISVTX != 0 {
		zmode = jute.ModeEphemeral
	}
	own := n.fs.ownChange(cache.Created, p)
	st, err := n.fs.src.CreateMode(ctx, p, nil, zmode)
	own(err)
	if err != nil {
		return nil, n.fs.errno("create", p, err)
	}
	n.fs.mem.markFresh(p)
	n.fs.dirAttr(ctx, p, &st, &out.Attr)
	return n.newDir(ctx, p, &st), 0
}

// Rmdir deletes a znode whatever its version; never recursive (ENOTEMPTY
// when it has children).
func (n *dirNode) Rmdir(ctx context.Context, name string) syscall.Errno {
	if n.fs.opts.ReadOnly {
		return syscall.EROFS
	}
	if name == n.fs.opts.DataName {
		return syscall.ENOTDIR
	}
	if n.fs.mem.get(n.path, name) != nil {
		return syscall.ENOTDIR
	}
	p := childPath(n.path, name)
	if jute.ValidatePath(p) != nil {
		return syscall.ENOENT
	}
	if n.fs.isSelf(ctx) {
		return 0 // the echo of a znode deleted elsewhere
	}
	if n.fs.mem.has(p) {
		return syscall.ENOTEMPTY // in-memory files inside
	}
	ctx, cancel := n.fs.ctx(ctx)
	defer cancel()
	own := n.fs.ownChange(cache.Deleted, p)
	err := n.fs.src.Delete(ctx, p, -1)
	own(err)
	if err != nil {
		return n.fs.errno("delete", p, err)
	}
	return 0
}

// Unlink of the data file succeeds without touching ZooKeeper (the data
// goes when the znode is removed), so that `rm -rf` removes a subtree with
// deletes only. An in-memory file is forgotten. Anything else is a
// directory.
func (n *dirNode) Unlink(ctx context.Context, name string) syscall.Errno {
	if n.fs.opts.ReadOnly {
		return syscall.EROFS
	}
	if name == n.fs.opts.DataName {
		return 0
	}
	if n.fs.mem.remove(n.path, name) != nil {
		return 0
	}
	return syscall.EISDIR
}

// Create of the data file (in a directory just made by mkdir, or after it
// was unlinked, which removes nothing) opens it, even with O_EXCL: every
// znode has one. Any other name creates
// an in-memory file (memfile.go).
func (n *dirNode) Create(ctx context.Context, name string, flags uint32, mode uint32, out *fuse.EntryOut) (*gofs.Inode, gofs.FileHandle, uint32, syscall.Errno) {
	if n.fs.opts.ReadOnly {
		return nil, nil, 0, syscall.EROFS
	}
	if len(name) > maxNameLen {
		return nil, nil, 0, syscall.ENAMETOOLONG
	}
	if name != n.fs.opts.DataName {
		return n.createMem(ctx, name, flags, mode, out)
	}
	n.fs.mem.clearFresh(n.path)
	ino, errno := n.Lookup(ctx, name, out)
	if errno != 0 {
		return nil, nil, 0, errno
	}
	ino = n.existing(ctx, name, out.Attr.Ino, func() *gofs.Inode { return ino })
	fn, ok := ino.Operations().(*fileNode)
	if !ok {
		return nil, nil, 0, syscall.EIO
	}
	fh, fflags, errno := fn.Open(ctx, flags&^syscall.O_EXCL)
	if errno != 0 {
		return nil, nil, 0, errno
	}
	return ino, fh, fflags, 0
}

// Mknod is refused like Create.
func (n *dirNode) Mknod(ctx context.Context, name string, mode uint32, dev uint32, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	if n.fs.opts.ReadOnly {
		return nil, syscall.EROFS
	}
	return nil, syscall.EPERM
}

// Symlink is refused: ZooKeeper has no links.
func (n *dirNode) Symlink(ctx context.Context, target, name string, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	if n.fs.opts.ReadOnly {
		return nil, syscall.EROFS
	}
	return nil, syscall.EPERM
}

// Link is refused: ZooKeeper has no links.
func (n *dirNode) Link(ctx context.Context, target gofs.InodeEmbedder, name string, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	if n.fs.opts.ReadOnly {
		return nil, syscall.EROFS
	}
	return nil, syscall.EPERM
}

// Statfs answers with block and name sizes only: ZooKeeper has no notion of
// capacity or free space, so `df` shows a size of 0.
func (n *dirNode) Statfs(ctx context.Context, out *fuse.StatfsOut) syscall.Errno {
	out.Bsize = 4096
	out.Frsize = 4096
	out.NameLen = 255
	return 0
}

// existing returns the inode the kernel already holds for name when it has
// inode number ino, else mk(). Mkdir and Create must not hand go-fuse a
// new node for a known identity: it registers those as new (O_EXCL) and
// the kernel would get a second inode for the same file, one that inotify
// watches on the first never see.
func (n *dirNode) existing(ctx context.Context, name string, ino uint64, mk func() *gofs.Inode) *gofs.Inode {
	if ch := n.GetChild(name); ch != nil && ch.StableAttr().Ino == ino {
		return ch
	}
	return mk()
}
