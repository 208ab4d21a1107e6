// Package fs presents a ZooKeeper tree as a FUSE file system (go-fuse v2).
//
// Mapping:
//
//   - Every znode is a directory. Its data is a regular file inside it named
//     Options.DataName (".data" by default). Readdir lists the data file plus
//     the znode's children, so `ls` (without -a) shows exactly the children.
//     A child znode literally named like the data file is shadowed: it
//     cannot be reached through the mount, and mkdir of that name fails
//     with EEXIST.
//   - Inode numbers come from the znode's czxid mixed with a hash of its
//     path (one multi gives all the znodes it creates the same czxid):
//     directory 2*b+2, data file 2*b+3; the mount root is 1 (its data file
//     2). A znode deleted and created again gets new numbers.
//   - mtime and ctime are the znode's mtime (ctime is POSIX "status change",
//     and the last data change is the last change zkfs can date); atime is
//     mtime too. The znode's creation time is user.zk.ctime. The data
//     file's size is dataLength. A directory has nlink 2+numChildren.
//   - Directories are 0755, data files 0644, owned by the mounting user.
//     Ephemeral znodes have the sticky bit on their directory (drwxr-xr-t),
//     which makes them stand out in `ls -l` and `stat`.
//   - Stat fields, the ephemeral owner and the ACL are extended attributes
//     user.zk.* (see xattr.go); user.zk.acl is writable.
//
// Writes are buffered per open file and committed with ONE setData at
// flush/fsync/close (see handle.go). Kernel caching is long (entry/attr
// timeouts of an hour by default, page cache kept across opens) because
// every change made by any client is pushed to the kernel as an
// invalidation by one notifier goroutine (notify.go).
//
// Regular files other than the data file (editors' temporary files,
// `touch newfile`) live only in the daemon's memory (memfile.go); renaming
// one over a data file commits it with one setData. `mkdir -m 1755` (the
// sticky bit) creates an ephemeral znode owned by the mount's session.
// rename.go says what rename does; inotify.go how changes made by other
// clients reach inotify watchers.
package fs

import (
	"context"
	"fmt"
	"hash/fnv"
	"log/slog"
	"os"
	"path"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/zkfs/zkfs/cache"
	"github.com/zkfs/zkfs/jute"
	"github.com/zkfs/zkfs/zkclient"
)

// DefaultDataName is the default name of a znode's data file.
const DefaultDataName = ".data"

// DefaultTimeout is the default kernel entry and attribute timeout.
const DefaultTimeout = time.Hour

// DefaultMaxInodes is the default bound on the directories and data files
// the kernel keeps (two per znode).
const DefaultMaxInodes = 50000

// DefaultACLPoll is how often the ACLs of the znodes the kernel holds are
// polled for the inotify echo (ZooKeeper sends no event for setACL).
const DefaultACLPoll = 2 * time.Second

// Source is what the file system reads from and writes through: the znode
// cache (*cache.Cache implements it).
type Source interface {
	Stat(ctx context.Context, path string) (jute.Stat, error)
	Data(ctx context.Context, path string) ([]byte, jute.Stat, error)
	Children(ctx context.Context, path string) ([]string, jute.Stat, error)
	ACL(ctx context.Context, path string) ([]jute.ACL, jute.Stat, error)
	CachedACL(ctx context.Context, path string) ([]jute.ACL, error)
	Create(ctx context.Context, path string, data []byte) (jute.Stat, error)
	CreateMode(ctx context.Context, path string, data []byte, mode jute.CreateMode) (jute.Stat, error)
	Multi(ctx context.Context, ops ...zkclient.Op) ([]zkclient.OpResult, error)
	Delete(ctx context.Context, path string, version int32) error
	Set(ctx context.Context, path string, data []byte, version int32) (jute.Stat, error)
	SetACL(ctx context.Context, path string, acl []jute.ACL, version int32) (jute.Stat, error)
	DataLimit(path string) int
	Invalidations() <-chan cache.Invalidation
	// Prefetch loads the stats of dir's children named in names, many
	// requests in flight, before the kernel looks each of them up.
	Prefetch(ctx context.Context, dir string, names []string)
	// PollACLs asks the server whether the ACLs of paths changed since
	// they were last polled, and publishes ACLChanged for those that did.
	PollACLs(ctx context.Context, paths []string, endRound bool) []string
	// Mark and Changed tell whether a change that may touch path was
	// applied since the mark was taken (see raced.go).
	Mark() uint64
	Changed(path string, mark uint64) bool
}

var _ Source = (*cache.Cache)(nil)

// Options configure the file system and its mount.
type Options struct {
	// DataName is the name of the data file in every znode directory
	// (default ".data"). It must be a valid file name.
	DataName string
	// ReadOnly makes every mutation fail with EROFS.
	ReadOnly bool
	// EntryTimeout and AttrTimeout are the kernel's cache timeouts
	// (0 → DefaultTimeout; negative → no caching).
	EntryTimeout time.Duration
	AttrTimeout  time.Duration
	// OpTimeout bounds each ZooKeeper request made for one kernel request
	// (default 30 s).
	OpTimeout time.Duration
	// AllowOther lets other users access the mount (needs
	// user_allow_other in /etc/fuse.conf for non-root users); the
	// permission bits then come from each znode's ACL (modes.go).
	AllowOther bool
	// MaxInodes bounds the directories and data files the kernel keeps
	// (trim.go): 0 → DefaultMaxInodes, negative → no bound.
	MaxInodes int
	// Identities are the mount's digest identities (DigestID of each
	// digest credential), for the modes derived from ACLs.
	Identities []jute.ID
	// FsName is shown as the mount's source in /proc/mounts and df.
	FsName string
	// Debug logs every FUSE request.
	Debug bool
	// NoInotify turns off the inotify echo of changes made by other
	// clients (inotify.go). It is also off on read-only mounts.
	NoInotify bool
	// ACLPoll is how often, while the inotify echo is on or with
	// AllowOther, the server is asked whether the ACLs of the znodes the
	// kernel holds changed (aclpoll.go): 0 → DefaultACLPoll, negative →
	// never.
	ACLPoll time.Duration
	// Logger receives failures that are not the user's own (default:
	// slog.Default()).
	Logger *slog.Logger
}

func (o *Options) fill() error {
	if o.DataName == "" {
		o.DataName = DefaultDataName
	}
	if o.DataName == "." || o.DataName == ".." || len(o.DataName) > 255 ||
		containsAny(o.DataName, "/\x00") {
		return fmt.Errorf("zkfs: invalid data file name %q", o.DataName)
	}
	if o.EntryTimeout == 0 {
		o.EntryTimeout = DefaultTimeout
	}
	if o.AttrTimeout == 0 {
		o.AttrTimeout = DefaultTimeout
	}
	if o.EntryTimeout < 0 {
		o.EntryTimeout = 0
	}
	if o.AttrTimeout < 0 {
		o.AttrTimeout = 0
	}
	if o.MaxInodes == 0 {
		o.MaxInodes = DefaultMaxInodes
	}
	if o.ACLPoll == 0 {
		o.ACLPoll = DefaultACLPoll
	}
	if o.OpTimeout <= 0 {
		o.OpTimeout = 30 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.FsName == "" {
		o.FsName = "zkfs"
	}
	return nil
}

func containsAny(s, chars string) bool {
	for i := 0; i < len(s); i++ {
		for j := 0; j < len(chars); j++ {
			if s[i] == chars[j] {
				return true
			}
		}
	}
	return false
}

// fsys is the state shared by every node of one mount. It is immutable after
// NewRoot except for the fields documented otherwise.
type fsys struct {
	src  Source
	opts Options
	log  *slog.Logger
	uid  uint32
	gid  uint32
	// local carries invalidations from handlers to the notifier.
	local *mailbox[localInval]
	// mem holds the in-memory files (memfile.go).
	mem *memStore
	// echo is the inotify echo thread (inotify.go), nil when off; set by
	// Mount after mounting and cleared by Unmount.
	echo atomic.Pointer[echoer]
	// own remembers changes made through this mount (inotify.go).
	own ownChanges
	// trim records the nodes handed to the kernel (trim.go).
	trim trimQueue
}

// Root is the directory node of the mount root (the znode "/" of the
// client's chroot).
type Root struct {
	dirNode
}

// NewRoot returns the root node of a zkfs file system over src.
func NewRoot(src Source, opts Options) (*Root, error) {
	if err := opts.fill(); err != nil {
		return nil, err
	}
	f := &fsys{src: src, opts: opts, log: opts.Logger,
		uid: uint32(os.Getuid()), gid: uint32(os.Getgid()), local: newMailbox[localInval](), mem: newMemStore()}
	r := &Root{dirNode{fs: f, path: "/"}}
	return r, nil
}

// ctx bounds the ZooKeeper requests made for one kernel request (opctx.go).
func (f *fsys) ctx(parent context.Context) (context.Context, context.CancelFunc) {
	return newOpCtx(parent, f.opts.OpTimeout)
}

// errno maps err (see errno.go) and logs it unless it is the caller's own.
func (f *fsys) errno(op, p string, err error) syscall.Errno {
	return toErrno(f.log, op, p, err)
}

// childPath joins a directory path and a name.
func childPath(dir, name string) string {
	if dir == "/" {
		return "/" + name
	}
	return dir + "/" + name
}

// Inodes returns the inode numbers of the directory and the data file of the
// znode at p with creation zxid czxid. The czxid alone is not unique: every
// znode created by one multi shares it. Mixed with a hash of the path it
// names one incarnation of one znode (a znode deleted and created again
// gets new numbers); a clash needs two 62-bit values to collide.
func Inodes(p string, czxid int64) (dir, data uint64) {
	if p == "/" {
		if czxid == 0 {
			return 1, 2
		}
		return 1, uint64(czxid)*2 + 3
	}
	h := fnv.New64a()
	h.Write([]byte(path.Clean(p)))
	base := (h.Sum64() ^ uint64(czxid)*0x9e3779b97f4a7c15) & (1<<62 - 1)
	if base < 2 {
		base += 2 // keep clear of the root's numbers
	}
	return base*2 + 2, base*2 + 3
}

// Server is a mounted zkfs file system.
type Server struct {
	mountpoint string
	fuse       *fuse.Server
	root       *Root
	notifier   *notifier
	acl        *aclPoller // nil when not polling
	once       sync.Once
	stopped    chan struct{} // closed when serving and the notifier ended
}

// Mount mounts a zkfs file system over src on mountpoint and starts serving
// it and its notifier goroutine. As root it calls mount(2) directly
// (DirectMountStrict); otherwise go-fuse runs fusermount3.
func Mount(mountpoint string, src Source, opts Options) (*Server, error) {
	root, err := NewRoot(src, opts)
	if err != nil {
		return nil, err
	}
	o := root.fs.opts
	entry, attr, neg := o.EntryTimeout, o.AttrTimeout, time.Duration(0)
	fo := &gofs.Options{
		EntryTimeout:    &entry,
		AttrTimeout:     &attr,
		NegativeTimeout: &neg,
		UID:             root.fs.uid,
		GID:             root.fs.gid,
		MountOptions: fuse.MountOptions{
			AllowOther:        o.AllowOther,
			FsName:            o.FsName,
			Name:              "zkfs",
			Debug:             o.Debug,
			MaxWrite:          1 << 20,
			DirectMountStrict: os.Geteuid() == 0,
			// xattr names outside user.zk.* are answered by us
			// with ENODATA; no need for the kernel to ask about
			// security labels on every write.
			IgnoreSecurityLabels: true,
			// The kernel checks the modes zkfs reports (0755/0644,
			// owned by the mounting user): with --allow-other,
			// other users may read but not change anything.
			Options: []string{"default_permissions"},
		},
	}
	if o.ReadOnly {
		// The kernel then refuses writes itself (EROFS); the
		// handlers refuse them too, as a second line.
		fo.MountOptions.Options = append(fo.MountOptions.Options, "ro")
	}
	// go-fuse's gofs.Mount, with the raw file system wrapped so that the
	// kernel sends no OPENDIR and RELEASEDIR, and on a read-only mount no
	// OPEN, FLUSH and RELEASE either (kernelopens.go).
	srv, err := fuse.NewServer(newKernelOpens(gofs.NewNodeFS(root, fo), o.ReadOnly), mountpoint, &fo.MountOptions)
	if err != nil {
		return nil, fmt.Errorf("mount %s: %w", mountpoint, err)
	}
	go srv.Serve()
	if err := srv.WaitMount(); err != nil {
		return nil, fmt.Errorf("mount %s: %w", mountpoint, err)
	}
	s := &Server{fuse: srv, root: root, mountpoint: mountpoint, stopped: make(chan struct{})}
	s.notifier = startNotifier(root, src.Invalidations())
	if !o.NoInotify && !o.ReadOnly {
		if e, err := startEchoer(root.fs, mountpoint); err != nil {
			root.fs.log.Warn("inotify for remote changes is off", "err", err)
		} else {
			root.fs.echo.Store(e)
		}
	}
	if o.ACLPoll > 0 && (root.fs.echo.Load() != nil || o.AllowOther) {
		s.acl = startACLPoller(root.fs, &root.Inode, o.ACLPoll)
	}
	// Owned by the Server: when serving ends (Unmount or an outside
	// umount), stop the echo thread and the notifier and report it
	// through stopped.
	go func() {
		srv.Wait()
		s.acl.stop()
		s.stopEcho()
		s.notifier.stop()
		close(s.stopped)
	}()
	return s, nil
}

// Unmount unmounts the file system (detaching it lazily if it is busy) and
// waits until it is served no more. It is idempotent.
func (s *Server) Unmount() error {
	var err error
	s.once.Do(func() {
		// The echo thread acts on the mount point: stop it first.
		s.acl.stop()
		s.stopEcho()
		err = s.fuse.Unmount()
		if err != nil {
			// Busy: detach it so that the mount point is free; the
			// kernel finishes the open files and then ends the
			// connection.
			s.root.fs.log.Warn("unmount busy, detaching", "mountpoint", s.mountpoint, "err", err)
			if e := syscall.Unmount(s.mountpoint, syscall.MNT_DETACH); e == nil {
				err = nil
			}
		}
		if err == nil {
			select {
			case <-s.stopped:
			case <-time.After(10 * time.Second):
				s.root.fs.log.Warn("file system still in use after unmount", "mountpoint", s.mountpoint)
			}
		}
	})
	return err
}

// stopEcho stops the inotify echo thread, if any, and waits for it.
func (s *Server) stopEcho() {
	if e := s.root.fs.echo.Load(); e != nil {
		e.stop()
	}
}

// Wait blocks until the file system is unmounted (by Unmount or by
// `umount` from outside) and the notifier has stopped.
func (s *Server) Wait() {
	<-s.stopped
}

// Root returns the root node.
func (s *Server) Root() *Root { return s.root }
