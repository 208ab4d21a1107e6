package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// The FUSE floor: what one open+read+close of a file whose pages the kernel
// already holds costs through a go-fuse server that does nothing else. The
// kernel still sends OPEN (answered at once, keep the pages, no FLUSH) and
// RELEASE; zkfs answers those for a warm data file the same way, so the
// difference between the two is zkfs's own work, and the difference between
// this server and tmpfs is the price of FUSE (two requests, each a round
// trip through the kernel to the server's threads) on the machine.

// floorFile is the only file of the floor file system.
type floorFile struct {
	gofs.Inode
	data []byte
}

var (
	_ gofs.NodeOpener    = (*floorFile)(nil)
	_ gofs.NodeGetattrer = (*floorFile)(nil)
	_ gofs.NodeReader    = (*floorFile)(nil)
)

func (f *floorFile) Open(ctx context.Context, flags uint32) (gofs.FileHandle, uint32, syscall.Errno) {
	if flags&syscall.O_ACCMODE != syscall.O_RDONLY {
		return nil, 0, syscall.EROFS
	}
	return nil, fuse.FOPEN_KEEP_CACHE | fuse.FOPEN_NOFLUSH, 0
}

func (f *floorFile) Getattr(ctx context.Context, fh gofs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	out.Mode = syscall.S_IFREG | 0o444
	out.Size = uint64(len(f.data))
	out.Nlink = 1
	return 0
}

func (f *floorFile) Read(ctx context.Context, fh gofs.FileHandle, dest []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	if off >= int64(len(f.data)) {
		return fuse.ReadResultData(nil), 0
	}
	return fuse.ReadResultData(f.data[off:min(off+int64(len(dest)), int64(len(f.data)))]), 0
}

// floorRoot is the root directory, holding one file named "f".
type floorRoot struct {
	gofs.Inode
	size int
}

func (r *floorRoot) OnAdd(ctx context.Context) {
	f := &floorFile{data: bytes.Repeat([]byte{'x'}, r.size)}
	r.AddChild("f", r.NewPersistentInode(ctx, f, gofs.StableAttr{Mode: syscall.S_IFREG, Ino: 2}), false)
}

// runFloor mounts the floor file system and serves it until SIGINT or
// SIGTERM.
func runFloor(args []string) error {
	fs := flag.NewFlagSet("floor", flag.ContinueOnError)
	mnt := fs.String("mount", "", "mount point (an empty directory)")
	size := fs.Int("size", 100, "bytes in the file MOUNT/f")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *mnt == "" {
		return fmt.Errorf("--mount is required")
	}
	// The same kernel caching zkfs asks for: names and attributes for an hour.
	hour := time.Hour
	srv, err := gofs.Mount(*mnt, &floorRoot{size: *size}, &gofs.Options{
		EntryTimeout: &hour,
		AttrTimeout:  &hour,
		MountOptions: fuse.MountOptions{DirectMountStrict: true, FsName: "fsbench-floor", Name: "fsbench"},
	})
	if err != nil {
		return err
	}
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

// runOpenLoop times open+read+close of one file, call by call, after a
// warm-up, and reports the percentiles of one call.
func runOpenLoop(args []string) error {
	fs := flag.NewFlagSet("openloop", flag.ContinueOnError)
	file := fs.String("file", "", "file to open, read and close")
	n := fs.Int("n", 20000, "timed calls")
	warmup := fs.Int("warmup", 1000, "untimed calls first")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *file == "" || *n < 1 {
		return fmt.Errorf("--file and a positive --n are required")
	}
	buf := make([]byte, 4096)
	once := func() error {
		fd, err := syscall.Open(*file, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("open %s: %w", *file, err)
		}
		_, rerr := syscall.Read(fd, buf)
		cerr := syscall.Close(fd)
		if rerr != nil {
			return fmt.Errorf("read %s: %w", *file, rerr)
		}
		return cerr
	}
	for i := 0; i < *warmup; i++ {
		if err := once(); err != nil {
			return err
		}
	}
	d := make(durations, 0, *n)
	for i := 0; i < *n; i++ {
		start := time.Now()
		if err := once(); err != nil {
			return err
		}
		d = append(d, time.Since(start))
	}
	d.report("")
	return nil
}
