package fs

import (
	"context"
	"errors"
	"strings"
	"syscall"

	gofs "github.com/hanwen/go-fuse/v2/fs"

	"github.com/zkfs/zkfs/cache"
	"github.com/zkfs/zkfs/jute"
	"github.com/zkfs/zkfs/zkclient"
)

// Rename semantics:
//
//   - An in-memory file renamed over a data file (`sed -i`, editors, any
//     "write a temporary file and rename it over" program) commits its
//     bytes to that znode with ONE unconditional setData and is gone.
//     Renamed to another name, it moves in memory (replacing an in-memory
//     file of that name). Renamed onto a znode directory: EISDIR.
//   - The data file itself cannot be renamed (EPERM): it is not a file of
//     its own but the znode's value.
//   - A znode directory is moved with ONE multi: create the new subtree
//     (data and ACLs), delete the old one with version checks, so that a
//     concurrent change makes the whole move fail (ESTALE) and nothing
//     changes. Onto an existing empty znode, that znode is replaced in the
//     same multi (POSIX rename); onto one with children, ENOTEMPTY. A
//     subtree holding ephemeral znodes (they cannot be re-created for
//     their owner) or in-memory files, or too large for one request, gives
//     EXDEV, so that mv falls back to copy and delete.
//   - RENAME_EXCHANGE is not supported (EINVAL); RENAME_NOREPLACE is.

// maxMoveBytes bounds the size of a move's multi request, well under
// jute.maxbuffer (1 MiB by default).
const maxMoveBytes = 512 << 10

const renameNoReplace = 1 // RENAME_NOREPLACE

// asDir returns the dirNode behind a directory node.
func asDir(n gofs.InodeEmbedder) *dirNode {
	switch d := n.(type) {
	case *dirNode:
		return d
	case *Root:
		return &d.dirNode
	}
	return nil
}

// Rename implements the semantics above.
func (n *dirNode) Rename(ctx context.Context, name string, newParent gofs.InodeEmbedder, newName string, flags uint32) syscall.Errno {
	if n.fs.opts.ReadOnly {
		return syscall.EROFS
	}
	if len(newName) > maxNameLen {
		return syscall.ENAMETOOLONG
	}
	if flags&gofs.RENAME_EXCHANGE != 0 {
		return syscall.EINVAL
	}
	dst := asDir(newParent)
	if dst == nil {
		return syscall.EXDEV
	}
	if name == n.fs.opts.DataName {
		return syscall.EPERM
	}
	if d := n.fs.mem.get(n.path, name); d != nil {
		return n.renameMem(ctx, d, name, dst, newName, flags)
	}
	return n.renameZnode(ctx, name, dst, newName, flags)
}

// renameMem renames the in-memory file d (n.path/name).
func (n *dirNode) renameMem(ctx context.Context, d *memData, name string, dst *dirNode, newName string, flags uint32) syscall.Errno {
	if newName == n.fs.opts.DataName {
		if flags&renameNoReplace != 0 {
			return syscall.EEXIST
		}
		d.mu.Lock()
		data := append([]byte{}, d.data...)
		d.mu.Unlock()
		cctx, cancel := n.fs.ctx(context.WithoutCancel(ctx))
		defer cancel()
		own := n.fs.ownChange(cache.DataChanged, dst.path)
		_, err := n.fs.src.Set(cctx, dst.path, data, -1)
		own(err)
		if err != nil {
			return n.fs.errno("set", dst.path, err)
		}
		d.mu.Lock()
		d.committed = true
		d.mu.Unlock()
		n.fs.mem.remove(n.path, name)
		n.fs.mem.clearFresh(dst.path)
		// The kernel now takes the memory file's inode for the data
		// file; that inode answers ESTALE, and this makes the kernel
		// look the name up again at once.
		n.fs.enqueueLocal(localInval{node: &dst.Inode, name: newName})
		return 0
	}
	if n.fs.mem.get(dst.path, newName) == nil {
		cctx, cancel := n.fs.ctx(ctx)
		_, err := n.fs.src.Stat(cctx, childPath(dst.path, newName))
		cancel()
		if err == nil {
			return syscall.EISDIR
		}
	} else if flags&renameNoReplace != 0 {
		return syscall.EEXIST
	}
	if !n.fs.mem.move(n.path, name, dst.path, newName) {
		return syscall.ENOENT
	}
	return 0
}

// moveNode is one znode of a subtree being moved.
type moveNode struct {
	rel  string // path relative to the subtree's root ("" for the root)
	data []byte
	st   jute.Stat
	acl  []jute.ACL
}

// errTooBig stops a subtree walk that would not fit in one request.
var errTooBig = errors.New("subtree too large for one multi")

// renameZnode moves the znode directory n.path/name to dst.path/newName.
func (n *dirNode) renameZnode(ctx context.Context, name string, dst *dirNode, newName string, flags uint32) syscall.Errno {
	from, to := childPath(n.path, name), childPath(dst.path, newName)
	if jute.ValidatePath(from) != nil {
		return syscall.ENOENT
	}
	if newName == n.fs.opts.DataName || n.fs.mem.get(dst.path, newName) != nil {
		return syscall.ENOTDIR
	}
	if jute.ValidatePath(to) != nil {
		return syscall.EINVAL
	}
	if from == to {
		return 0
	}
	if strings.HasPrefix(to, from+"/") {
		return syscall.EINVAL
	}
	cctx, cancel := n.fs.ctx(ctx)
	defer cancel()
	var nodes []moveNode
	size := 0
	var walk func(rel string) error
	walk = func(rel string) error {
		p := from + rel
		data, st, err := n.fs.src.Data(cctx, p)
		if err != nil {
			return err
		}
		if st.EphemeralOwner != 0 || n.fs.mem.has(p) {
			return errTooBig
		}
		acl, _, err := n.fs.src.ACL(cctx, p)
		if err != nil {
			return err
		}
		size += 2*len(to+rel) + len(from+rel) + len(data) + 64
		for _, a := range acl {
			size += len(a.ID.Scheme) + len(a.ID.ID) + 16
		}
		if size > maxMoveBytes {
			return errTooBig
		}
		nodes = append(nodes, moveNode{rel: rel, data: data, st: st, acl: acl})
		kids, _, err := n.fs.src.Children(cctx, p)
		if err != nil {
			return err
		}
		for _, k := range kids {
			if err := walk(rel + "/" + k); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(""); err != nil {
		if errors.Is(err, errTooBig) {
			return syscall.EXDEV
		}
		return n.fs.errno("walk", from, err)
	}
	var ops []zkclient.Op
	// The target: replaced when it is an empty znode.
	tst, err := n.fs.src.Stat(cctx, to)
	switch {
	case err == nil:
		if flags&renameNoReplace != 0 {
			return syscall.EEXIST
		}
		if tst.NumChildren > 0 || n.fs.mem.has(to) {
			return syscall.ENOTEMPTY
		}
		if tst.EphemeralOwner != 0 {
			return syscall.EXDEV
		}
		ops = append(ops, zkclient.DeleteOp(to, tst.Version))
	case errors.Is(err, zkclient.ErrNoNode):
	default:
		return n.fs.errno("stat", to, err)
	}
	for _, m := range nodes {
		ops = append(ops, zkclient.CreateOp(to+m.rel, m.data, jute.ModePersistent, m.acl))
	}
	for i := len(nodes) - 1; i >= 0; i-- {
		ops = append(ops, zkclient.DeleteOp(from+nodes[i].rel, nodes[i].st.Version))
	}
	var owns []func(error)
	if tst.Czxid != 0 {
		owns = append(owns, n.fs.ownChange(cache.Deleted, to))
	}
	for _, m := range nodes {
		owns = append(owns, n.fs.ownChange(cache.Created, to+m.rel), n.fs.ownChange(cache.Deleted, from+m.rel))
	}
	_, err = n.fs.src.Multi(cctx, ops...)
	for _, own := range owns {
		own(err)
	}
	if err != nil {
		return n.fs.errno("multi (move)", from, err)
	}
	// The kernel now takes the old directory's inode for the new name,
	// but that inode stands for the old path: it answers ESTALE from now
	// on (the kernel then looks the name up again), and the new name is
	// invalidated at once.
	if ch := n.GetChild(name); ch != nil {
		if d, ok := ch.Operations().(*dirNode); ok {
			d.moved.Store(true)
		}
	}
	n.fs.enqueueLocal(localInval{node: &dst.Inode, name: newName})
	return 0
}
