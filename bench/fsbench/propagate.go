package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// value is the i-th new content of the measured znode: as long as its
// original data so the file size stays the same, and unique per iteration.
func value(i, size int) []byte {
	b := []byte(fmt.Sprintf("propagate %09d ", i))
	if size < len(b)+1 {
		size = len(b) + 1
	}
	b = append(b, bytes.Repeat([]byte{'y'}, size-1-len(b))...)
	return append(b, '\n')
}

// runPropagate sets new data with its own go-zookeeper session and times, from
// each setData reply, (1) until a read of the file through the mount returns
// the new bytes (open+read+close in a tight loop) and (2) until an inotify
// event for the file arrives, if the mount emits any.
func runPropagate(args []string) error {
	fs := flag.NewFlagSet("propagate", flag.ContinueOnError)
	servers := fs.String("servers", "127.0.0.1:2181", "ZooKeeper servers (host:port,...)")
	path := fs.String("path", "/fsbench/d000/l000", "znode to set")
	file := fs.String("file", "", "the znode's data file in the mount")
	n := fs.Int("n", 1000, "setData calls")
	size := fs.Int("size", 100, "bytes per value")
	timeout := fs.Duration("timeout", 5*time.Second, "give up on one change after this long (counted as missed)")
	useInotify := fs.Bool("inotify", true, "also time inotify events")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *file == "" || *n < 1 {
		return errors.New("--file is required and --n must be positive")
	}
	conn, err := connectGoZK(*servers)
	if err != nil {
		return err
	}
	defer conn.Close()
	orig, _, err := conn.Get(*path)
	if err != nil {
		return fmt.Errorf("get %s: %w", *path, err)
	}
	defer func() {
		if _, err := conn.Set(*path, orig, -1); err != nil {
			fmt.Fprintf(os.Stderr, "fsbench propagate: restoring %s: %v\n", *path, err)
		}
	}()
	// An earlier run may have changed the znode just now: wait (this also
	// puts the current content into the kernel's cache).
	for settle := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		got, err := os.ReadFile(*file)
		if err != nil {
			return err
		}
		if bytes.Equal(got, orig) {
			break
		}
		if time.Now().After(settle) {
			return fmt.Errorf("%s holds %q 30s after znode %s got %q", *file, got, *path, orig)
		}
	}

	var ino *inotifyWatch
	if *useInotify {
		ino, err = watchFile(*file)
		if err != nil {
			return err
		}
		defer ino.close()
	}

	var reads, events durations
	missedReads, missedEvents := 0, 0
	eventsSeen := false
	const probe = 20 // changes to wait a full timeout for a first event
	for i := 0; i < *n; i++ {
		v := value(i, *size)
		before := time.Now()
		if _, err := conn.Set(*path, v, -1); err != nil {
			return fmt.Errorf("set %s: %w", *path, err)
		}
		reply := time.Now()
		deadline := reply.Add(*timeout)
		for {
			got, err := os.ReadFile(*file)
			if err != nil {
				return err
			}
			now := time.Now()
			if bytes.Equal(got, v) {
				reads = append(reads, now.Sub(reply))
				break
			}
			if now.After(deadline) {
				missedReads++
				reads = append(reads, *timeout)
				break
			}
		}
		if ino == nil || (!eventsSeen && i >= probe) {
			continue
		}
		wait := *timeout
		if t, ok := ino.next(before, reply.Add(wait)); ok {
			eventsSeen = true
			events = append(events, max(t.Sub(reply), 0))
		} else if eventsSeen {
			missedEvents++
			events = append(events, wait)
		}
		// Let the rest of this change's events (IN_CLOSE_WRITE after
		// IN_MODIFY, ...) arrive before the next change.
		time.Sleep(2 * time.Millisecond)
	}
	reads.report("read_")
	fmt.Printf("read_missed=%d\n", missedReads)
	if eventsSeen {
		events.report("inotify_")
		fmt.Printf("inotify_missed=%d\n", missedEvents)
	} else {
		fmt.Printf("inotify=n/a\n")
	}
	return nil
}

// inotifyWatch watches a data file and its directory. Its reader goroutine
// (owned by the watch, ended by close) timestamps every event that concerns
// the file and keeps the timestamps in stamps.
type inotifyWatch struct {
	fd     int
	fileWd int
	dirWd  int
	name   string

	mu     sync.Mutex // guards stamps
	stamps []time.Time
	wake   chan struct{} // cap 1: a new stamp arrived

	stop chan struct{}
	done chan struct{}
}

func watchFile(file string) (*inotifyWatch, error) {
	fd, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("inotify_init1: %w", err)
	}
	w := &inotifyWatch{fd: fd, name: filepath.Base(file), wake: make(chan struct{}, 1),
		stop: make(chan struct{}), done: make(chan struct{})}
	const change = unix.IN_MODIFY | unix.IN_CLOSE_WRITE | unix.IN_ATTRIB
	w.fileWd, err = unix.InotifyAddWatch(fd, file, change|unix.IN_DELETE_SELF|unix.IN_MOVE_SELF)
	if err == nil {
		w.dirWd, err = unix.InotifyAddWatch(fd, filepath.Dir(file), change|unix.IN_CREATE|unix.IN_MOVED_TO)
	}
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("inotify_add_watch %s: %w", file, err)
	}
	go w.read()
	return w, nil
}

func (w *inotifyWatch) read() {
	defer close(w.done)
	buf := make([]byte, 64<<10)
	for {
		select {
		case <-w.stop:
			return
		default:
		}
		pfd := []unix.PollFd{{Fd: int32(w.fd), Events: unix.POLLIN}}
		if n, err := unix.Poll(pfd, 50); err != nil || n == 0 {
			continue
		}
		n, err := unix.Read(w.fd, buf)
		now := time.Now()
		if err != nil || n <= 0 {
			continue
		}
		hit := false
		for off := 0; off+unix.SizeofInotifyEvent <= n; {
			// struct inotify_event: int32 wd, uint32 mask, cookie, len; name.
			wd := int32(binary.NativeEndian.Uint32(buf[off:]))
			nameLen := int(binary.NativeEndian.Uint32(buf[off+12:]))
			end := off + unix.SizeofInotifyEvent + nameLen
			if end > n {
				break
			}
			name := string(bytes.TrimRight(buf[off+unix.SizeofInotifyEvent:end], "\x00"))
			if int(wd) == w.fileWd || (int(wd) == w.dirWd && name == w.name) {
				hit = true
			}
			off = end
		}
		if hit {
			w.mu.Lock()
			w.stamps = append(w.stamps, now)
			w.mu.Unlock()
			select {
			case w.wake <- struct{}{}:
			default:
			}
		}
	}
}

// next returns the first event stamp at or after since, waiting until
// deadline; it forgets the stamps it looked at.
func (w *inotifyWatch) next(since, deadline time.Time) (time.Time, bool) {
	for {
		w.mu.Lock()
		for len(w.stamps) > 0 {
			t := w.stamps[0]
			w.stamps = w.stamps[1:]
			if !t.Before(since) {
				w.mu.Unlock()
				return t, true
			}
		}
		w.mu.Unlock()
		d := time.Until(deadline)
		if d <= 0 {
			return time.Time{}, false
		}
		select {
		case <-w.wake:
		case <-time.After(d):
		}
	}
}

func (w *inotifyWatch) close() {
	close(w.stop)
	<-w.done
	unix.Close(w.fd)
}
