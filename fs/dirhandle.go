package fs

import (
	"context"
	"syscall"

	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// Directory listings are cached by the kernel (FOPEN_CACHE_DIR with
// FOPEN_KEEP_CACHE), like entries, attributes and pages: a warm `find` or
// `ls -R` then costs no request at all for READDIR, and none for OPENDIR
// or RELEASEDIR either, which the kernel does not send (kernelopens.go opens
// these handles itself, one per listing in progress). The cache is dropped
// by the kernel itself when a name is created or removed through the mount,
// and by the notifier (NotifyContent on the directory) when a znode is
// created or deleted elsewhere, or when the directory's data changes (which
// can make a hidden data file appear).

var _ gofs.NodeOpendirHandler = (*dirNode)(nil)

// OpendirHandle checks that the znode still exists and asks the kernel to
// cache the listing.
func (n *dirNode) OpendirHandle(ctx context.Context, flags uint32) (gofs.FileHandle, uint32, syscall.Errno) {
	if errno := n.Opendir(ctx); errno != 0 {
		return nil, 0, errno
	}
	return &dirHandle{n: n}, fuse.FOPEN_CACHE_DIR | fuse.FOPEN_KEEP_CACHE, 0
}

// dirHandle is one open directory; the listing is taken at the first read.
// The kernel serialises calls on one directory handle.
type dirHandle struct {
	n     *dirNode
	ds    gofs.DirStream
	names bool // the listing is too big to look every entry up (plusMaxKids)
	ended bool // a request already got the end of the listing
}

var (
	_ gofs.FileLookuper     = (*dirHandle)(nil)
	_ gofs.FileReaddirenter = (*dirHandle)(nil)
	_ gofs.FileSeekdirer    = (*dirHandle)(nil)
	_ gofs.FileReleasedirer = (*dirHandle)(nil)
)

func (d *dirHandle) stream(ctx context.Context) syscall.Errno {
	if d.ds != nil {
		return 0
	}
	list, names, errno := d.n.listing(ctx)
	if errno != 0 {
		return errno
	}
	d.ds, d.names = gofs.NewListDirStream(list), names
	return 0
}

// Lookup looks up an entry READDIRPLUS just listed. For a listing of more
// than plusMaxKids children it looks nothing up: the entry then carries its
// name only (no inode), as with READDIR, and `ls` of 100,000 children costs
// one getChildren instead of 100,000 lookups.
func (d *dirHandle) Lookup(ctx context.Context, name string, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	if d.names {
		return nil, syscall.ENOENT
	}
	return d.n.Lookup(ctx, name, out)
}

// Readdirent returns the next entry (nil at the end). A request that
// finds the listing already ended is the kernel asking past its end, which
// it does only after it took in every entry before: on a read-only mount
// the data file's value then goes into the page cache (dirNode.primeData).
func (d *dirHandle) Readdirent(ctx context.Context) (*fuse.DirEntry, syscall.Errno) {
	if errno := d.stream(ctx); errno != 0 {
		return nil, errno
	}
	if !d.ds.HasNext() {
		if d.ended && !d.names && d.n.fs.opts.ReadOnly {
			d.n.primeData(ctx)
		}
		d.ended = true
		return nil, 0
	}
	e, errno := d.ds.Next()
	return &e, errno
}

// Seekdir repositions the listing (rewinddir, or a read continued at an
// offset the kernel remembers).
func (d *dirHandle) Seekdir(ctx context.Context, off uint64) syscall.Errno {
	d.ended = false
	if errno := d.stream(ctx); errno != 0 {
		return errno
	}
	if sd, ok := d.ds.(gofs.FileSeekdirer); ok {
		return sd.Seekdir(ctx, off)
	}
	if off == 0 {
		d.ds.Close()
		d.ds = nil
		return d.stream(ctx)
	}
	return syscall.ENOTSUP
}

// Releasedir drops the listing.
func (d *dirHandle) Releasedir(ctx context.Context, flags uint32) {
	if d.ds != nil {
		d.ds.Close()
	}
}
