package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hanwen/go-fuse/v2/fuse"

	zkfs "github.com/zkfs/zkfs/fs"
)

// The FUSE floor: the benchmark tree served by a go-fuse server that does
// nothing but answer from memory, through go-fuse's raw interface (no node
// tree, no locks, no ZooKeeper). It answers the kernel the way zkfs does: no
// OPENDIR (ENOSYS), so the kernel caches listings itself; READDIRPLUS with
// every entry looked up; names and attributes valid for an hour; read-only
// opens that keep the pages, with the data pushed into the page cache at the
// first open (FUSE_NOTIFY_STORE; with --no-open, once the kernel has asked
// past the end of its directory's listing) so that no READ follows. Whatever a command
// costs through this server is what FUSE itself costs on the machine; the
// difference to zkfs is zkfs's own work, including ZooKeeper.

// floorNode is a directory (a znode) or the data file inside one.
type floorNode struct {
	dir    bool
	kids   []fuse.DirEntry   // directories: ".", "..", the data file, then the children
	byName map[string]uint64 // directories: node id by name, for LOOKUP
	data   []byte            // data files: the bytes
	stored atomic.Bool       // data files: pushed into the kernel's page cache
}

// floorFS is the raw file system; node ids index nodes (1 is the root).
// nodes is written once before mounting and only read after.
type floorFS struct {
	fuse.RawFileSystem
	nodes  []*floorNode
	srv    *fuse.Server
	store  bool
	noOpen bool
}

const floorTTL = time.Hour // what zkfs gives names and attributes by default

func newFloorFS(t *tree, dataName string, store bool) *floorFS {
	f := &floorFS{RawFileSystem: fuse.NewDefaultRawFileSystem(), nodes: []*floorNode{nil}, store: store}
	ids := map[string]uint64{}
	for _, level := range t.levels() {
		for _, nd := range level {
			parent := uint64(1)
			if nd.rel != "" {
				parent = ids[parentRel(nd.rel)]
			}
			id := f.add(&floorNode{dir: true, byName: map[string]uint64{}})
			ids[nd.rel] = id
			if nd.rel == "" {
				parent = id
			}
			self := f.nodes[id]
			self.kids = append(self.kids,
				fuse.DirEntry{Name: ".", Mode: syscall.S_IFDIR, Ino: id},
				fuse.DirEntry{Name: "..", Mode: syscall.S_IFDIR, Ino: parent})
			f.link(id, dataName, f.add(&floorNode{data: nd.data}))
			if nd.rel != "" {
				f.link(parent, path.Base(nd.rel), id)
			}
		}
	}
	return f
}

func (f *floorFS) add(n *floorNode) uint64 {
	f.nodes = append(f.nodes, n)
	return uint64(len(f.nodes) - 1)
}

func (f *floorFS) link(dir uint64, name string, id uint64) {
	mode := uint32(syscall.S_IFREG)
	if f.nodes[id].dir {
		mode = syscall.S_IFDIR
	}
	d := f.nodes[dir]
	d.kids = append(d.kids, fuse.DirEntry{Name: name, Mode: mode, Ino: id})
	d.byName[name] = id
}

// parentRel is the parent of a tree-relative path ("" is the root).
func parentRel(r string) string {
	if d := path.Dir(r); d != "." {
		return d
	}
	return ""
}

func (f *floorFS) node(id uint64) *floorNode {
	if id == 0 || id >= uint64(len(f.nodes)) {
		return nil
	}
	return f.nodes[id]
}

func (f *floorFS) attr(id uint64, a *fuse.Attr) {
	n := f.nodes[id]
	a.Ino = id
	if n.dir {
		a.Mode, a.Nlink = syscall.S_IFDIR|0o755, 2
	} else {
		a.Mode, a.Nlink, a.Size = syscall.S_IFREG|0o444, 1, uint64(len(n.data))
		a.Blocks = (a.Size + 511) / 512
	}
	a.Blksize = 4096
}

func (f *floorFS) entry(id uint64, out *fuse.EntryOut) {
	out.NodeId = id
	f.attr(id, &out.Attr)
	out.SetEntryTimeout(floorTTL)
	out.SetAttrTimeout(floorTTL)
}

func (f *floorFS) String() string      { return "fsbench-floor" }
func (f *floorFS) Init(s *fuse.Server) { f.srv = s }

func (f *floorFS) Lookup(cancel <-chan struct{}, h *fuse.InHeader, name string, out *fuse.EntryOut) fuse.Status {
	d := f.node(h.NodeId)
	if d == nil || !d.dir {
		return fuse.ENOTDIR
	}
	id, ok := d.byName[name]
	if !ok {
		return fuse.ENOENT
	}
	f.entry(id, out)
	return fuse.OK
}

func (f *floorFS) GetAttr(cancel <-chan struct{}, in *fuse.GetAttrIn, out *fuse.AttrOut) fuse.Status {
	if f.node(in.NodeId) == nil {
		return fuse.ENOENT
	}
	f.attr(in.NodeId, &out.Attr)
	out.SetTimeout(floorTTL)
	return fuse.OK
}

// OpenDir answers ENOSYS: the kernel then opens directories itself and
// caches their listings (what zkfs does too).
func (f *floorFS) OpenDir(cancel <-chan struct{}, in *fuse.OpenIn, out *fuse.OpenOut) fuse.Status {
	return fuse.ENOSYS
}

func (f *floorFS) ReadDirPlus(cancel <-chan struct{}, in *fuse.ReadIn, out *fuse.DirEntryList) fuse.Status {
	d := f.node(in.NodeId)
	if d == nil || !d.dir {
		return fuse.ENOTDIR
	}
	if in.Offset >= uint64(len(d.kids)) && f.noOpen && f.store {
		// Asked past the end, the kernel holds every entry: with no
		// OPEN to do it, push the data file's bytes now (as a
		// read-only zkfs does).
		f.push(d.kids[2].Ino)
	}
	for i := in.Offset; i < uint64(len(d.kids)); i++ {
		e := d.kids[i]
		e.Off = i + 1
		eo := out.AddDirLookupEntry(e)
		if eo == nil {
			break
		}
		if e.Name != "." && e.Name != ".." {
			f.entry(e.Ino, eo)
		}
	}
	return fuse.OK
}

func (f *floorFS) Open(cancel <-chan struct{}, in *fuse.OpenIn, out *fuse.OpenOut) fuse.Status {
	if f.noOpen {
		return fuse.ENOSYS // the kernel stops sending OPEN and RELEASE
	}
	n := f.node(in.NodeId)
	if n == nil || n.dir {
		return fuse.EISDIR
	}
	if in.Flags&syscall.O_ACCMODE != syscall.O_RDONLY {
		return fuse.EROFS
	}
	if f.store {
		f.push(in.NodeId)
	}
	out.OpenFlags = fuse.FOPEN_KEEP_CACHE | fuse.FOPEN_NOFLUSH
	return fuse.OK
}

// push puts a data file's bytes into the kernel's page cache, once.
func (f *floorFS) push(id uint64) {
	n := f.nodes[id]
	if !n.stored.Load() && f.srv.InodeNotifyStoreCache(id, 0, n.data).Ok() {
		n.stored.Store(true)
	}
}

// Flush, sent at every close of a file opened without OPEN, answers ENOSYS
// there: the kernel then stops sending it too, and an open+close costs no
// request at all.
func (f *floorFS) Flush(cancel <-chan struct{}, in *fuse.FlushIn) fuse.Status {
	if f.noOpen {
		return fuse.ENOSYS
	}
	return fuse.OK
}

func (f *floorFS) Read(cancel <-chan struct{}, in *fuse.ReadIn, buf []byte) (fuse.ReadResult, fuse.Status) {
	n := f.node(in.NodeId)
	if n == nil || n.dir {
		return nil, fuse.EISDIR
	}
	off := min(in.Offset, uint64(len(n.data)))
	end := min(off+uint64(len(buf)), uint64(len(n.data)))
	return fuse.ReadResultData(n.data[off:end]), fuse.OK
}

func (f *floorFS) Release(cancel <-chan struct{}, in *fuse.ReleaseIn) {}

func (f *floorFS) StatFs(cancel <-chan struct{}, in *fuse.InHeader, out *fuse.StatfsOut) fuse.Status {
	out.Bsize, out.NameLen = 4096, 255
	return fuse.OK
}

// runFloor mounts the floor file system and serves it until SIGINT or
// SIGTERM.
func runFloor(args []string) error {
	var t tree
	fs := flag.NewFlagSet("floor", flag.ContinueOnError)
	t.flags(fs)
	mnt := fs.String("mount", "", "mount point (an empty directory)")
	dataName := fs.String("data-name", ".data", "name of the data file in each directory")
	store := fs.Bool("store", true, "push a file's bytes into the page cache at its first open, or with --no-open once its directory is listed (as zkfs does)")
	noOpen := fs.Bool("no-open", false, "answer OPEN with ENOSYS: the kernel then opens files by itself (FUSE_NO_OPEN_SUPPORT)")
	debug := fs.Bool("debug", false, "log every request")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := t.validate(); err != nil {
		return err
	}
	if *mnt == "" {
		return fmt.Errorf("--mount is required")
	}
	ffs := newFloorFS(&t, *dataName, *store)
	ffs.noOpen = *noOpen
	// The mount options zkfs uses (fs/root.go).
	srv, err := fuse.NewServer(ffs, *mnt, &fuse.MountOptions{
		DirectMountStrict:    true,
		FsName:               "fsbench-floor",
		Name:                 "fsbench",
		MaxWrite:             1 << 20,
		IgnoreSecurityLabels: true,
		Options:              []string{"default_permissions"},
		Debug:                *debug,
	})
	if err != nil {
		return err
	}
	go srv.Serve()
	if err := srv.WaitMount(); err != nil {
		return err
	}
	zkfs.SpareProcessors() // as the zkfs daemon does
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		<-sig
		for srv.Unmount() != nil {
			time.Sleep(100 * time.Millisecond)
		}
	}()
	srv.Wait()
	return nil
}
