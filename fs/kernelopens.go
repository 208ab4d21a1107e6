package fs

import (
	"sync"
	"time"

	"github.com/hanwen/go-fuse/v2/fuse"
)

// No OPENDIR, no RELEASEDIR. A warm `find` otherwise pays two requests per
// directory even though the kernel serves the listing from its cache. The
// kernel stops sending both once an OPENDIR is answered ENOSYS
// (FUSE_NO_OPENDIR_SUPPORT): it then opens directories by itself, with
// FOPEN_KEEP_CACHE|FOPEN_CACHE_DIR as their flags (what OpendirHandle asked
// for), and sends READDIR and READDIRPLUS with file handle 0.
//
// go-fuse's node API serves a listing through a directory handle, so
// kernelOpens, wrapping its raw file system, opens one on go-fuse's side per
// listing in progress (which reads the znode's children, as OPENDIR did),
// keyed by the directory and by the offset the kernel will ask for next,
// and releases it at the end of the listing, on an error, or when nobody
// continued it for streamIdle. A request that finds no handle for its
// offset opens a new one, which seeks there (dirHandle.Seekdir).
//
// On a read-only mount it does the same for files (FUSE_NO_OPEN_SUPPORT):
// OPEN is answered ENOSYS, and FLUSH too, so that the kernel opens and
// closes files without a request; it then reads with file handle 0
// (fileNode.Read serves those from the cache) and keeps the pages of every
// file until the notifier drops them. A read-write mount cannot: its writes
// need the handle OPEN creates (the version to compare, the buffer that
// FLUSH and RELEASE commit), and the kernel's choice holds for every file
// of the connection.
type kernelOpens struct {
	fuse.RawFileSystem
	files bool // no OPEN and FLUSH for files either (read-only mounts); fixed at creation

	mu      sync.Mutex // guards streams and swept
	streams map[streamKey][]stream
	swept   time.Time // when idle handles were last looked for
}

// streamKey names where a listing continues: the directory's node id and
// the offset of the next entry.
type streamKey struct{ node, off uint64 }

// stream is an open go-fuse directory handle waiting for its next request.
type stream struct {
	fh   uint64
	used time.Time
}

// streamIdle is how long a listing nobody continues keeps its handle.
const streamIdle = time.Minute

func newKernelOpens(raw fuse.RawFileSystem, files bool) *kernelOpens {
	return &kernelOpens{RawFileSystem: raw, files: files, streams: map[streamKey][]stream{}}
}

// Open is counted; on a read-only mount it answers ENOSYS, and the kernel
// sends no more OPEN (nor RELEASE) for files.
func (w *kernelOpens) Open(cancel <-chan struct{}, in *fuse.OpenIn, out *fuse.OpenOut) fuse.Status {
	stats.opens.Add(1)
	if w.files {
		return fuse.ENOSYS
	}
	return w.RawFileSystem.Open(cancel, in, out)
}

// Flush on a read-only mount has nothing to commit: ENOSYS, and the kernel
// sends no more FLUSH either.
func (w *kernelOpens) Flush(cancel <-chan struct{}, in *fuse.FlushIn) fuse.Status {
	if w.files {
		return fuse.ENOSYS
	}
	return w.RawFileSystem.Flush(cancel, in)
}

// OpenDir answers ENOSYS: from then on the kernel opens directories itself.
func (w *kernelOpens) OpenDir(cancel <-chan struct{}, in *fuse.OpenIn, out *fuse.OpenOut) fuse.Status {
	return fuse.ENOSYS
}

// ReleaseDir is not sent once OPENDIR is not; handles with an id are
// go-fuse's own.
func (w *kernelOpens) ReleaseDir(in *fuse.ReleaseIn) {
	if in.Fh != 0 {
		w.RawFileSystem.ReleaseDir(in)
	}
}

func (w *kernelOpens) ReadDir(cancel <-chan struct{}, in *fuse.ReadIn, out *fuse.DirEntryList) fuse.Status {
	return w.read(cancel, in, out, w.RawFileSystem.ReadDir)
}

func (w *kernelOpens) ReadDirPlus(cancel <-chan struct{}, in *fuse.ReadIn, out *fuse.DirEntryList) fuse.Status {
	return w.read(cancel, in, out, w.RawFileSystem.ReadDirPlus)
}

// read serves one READDIR(PLUS) with file handle 0 from a go-fuse handle.
func (w *kernelOpens) read(cancel <-chan struct{}, in *fuse.ReadIn, out *fuse.DirEntryList,
	inner func(<-chan struct{}, *fuse.ReadIn, *fuse.DirEntryList) fuse.Status) fuse.Status {
	if in.Fh != 0 {
		return inner(cancel, in, out)
	}
	fh, ok := w.take(streamKey{in.NodeId, in.Offset})
	if !ok {
		var open fuse.OpenOut
		oin := fuse.OpenIn{InHeader: in.InHeader, Flags: in.Flags}
		if st := w.RawFileSystem.OpenDir(cancel, &oin, &open); !st.Ok() {
			return st
		}
		fh = open.Fh
	}
	req := *in
	req.Fh = fh
	st := inner(cancel, &req, out)
	if !st.Ok() || out.Offset == in.Offset {
		// An error, or nothing more to list: the listing is over.
		w.release(in.InHeader, fh)
		return st
	}
	w.put(streamKey{in.NodeId, out.Offset}, fh)
	return st
}

// take removes and returns a handle waiting at key; at most once per
// streamIdle it also releases the handles nobody continued for that long.
func (w *kernelOpens) take(key streamKey) (uint64, bool) {
	w.mu.Lock()
	idle := w.sweep(time.Now())
	fh, ok := uint64(0), false
	if ss := w.streams[key]; len(ss) > 0 {
		fh, ok = ss[len(ss)-1].fh, true
		if len(ss) == 1 {
			delete(w.streams, key)
		} else {
			w.streams[key] = ss[:len(ss)-1]
		}
	}
	w.mu.Unlock()
	for k, fhs := range idle {
		for _, fh := range fhs {
			w.release(fuse.InHeader{NodeId: k.node}, fh)
		}
	}
	return fh, ok
}

// sweep removes the handles unused for streamIdle, if it did not look for
// them within the last streamIdle, and returns them. Requires mu.
func (w *kernelOpens) sweep(now time.Time) map[streamKey][]uint64 {
	if now.Sub(w.swept) < streamIdle {
		return nil
	}
	w.swept = now
	var idle map[streamKey][]uint64
	for k, ss := range w.streams {
		keep := ss[:0]
		for _, s := range ss {
			if now.Sub(s.used) > streamIdle {
				if idle == nil {
					idle = map[streamKey][]uint64{}
				}
				idle[k] = append(idle[k], s.fh)
			} else {
				keep = append(keep, s)
			}
		}
		if len(keep) == 0 {
			delete(w.streams, k)
		} else {
			w.streams[k] = keep
		}
	}
	return idle
}

// put leaves fh waiting at key for the next request of its listing.
func (w *kernelOpens) put(key streamKey, fh uint64) {
	w.mu.Lock()
	w.streams[key] = append(w.streams[key], stream{fh: fh, used: time.Now()})
	w.mu.Unlock()
}

func (w *kernelOpens) release(h fuse.InHeader, fh uint64) {
	w.RawFileSystem.ReleaseDir(&fuse.ReleaseIn{InHeader: h, Fh: fh})
}
