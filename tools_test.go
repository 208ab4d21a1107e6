package main

// Everyday tools on the mount: ephemeral znodes from mkdir, editing in place
// (sed -i, vim, write-a-temporary-file-and-rename), in-memory files, inotify
// for changes made by other clients, mv of znode directories, and cp/tar
// round trips.

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	zkfs "github.com/zkfs/zkfs/fs"
	"github.com/zkfs/zkfs/jute"
)

// TestEphemeralMkdir: `mkdir -m 1755` creates an ephemeral znode owned by
// the mount's session; it goes when the mount goes.
func TestEphemeralMkdir(t *testing.T) {
	e := newMountEnv(t, nil, zkfs.Options{})
	mustSh(t, "mkdir -m 1755 %s && mkdir %s", q(e.p("/eph")), q(e.p("/pers")))
	_, st := e.get(t, "/eph")
	sid := e.c.Client().SessionID()
	if st.EphemeralOwner == 0 || st.EphemeralOwner != sid {
		t.Fatalf("ephemeralOwner = %#x, want the mount's session %#x", st.EphemeralOwner, sid)
	}
	if _, st := e.get(t, "/pers"); st.EphemeralOwner != 0 {
		t.Fatalf("plain mkdir made an ephemeral znode (owner %#x)", st.EphemeralOwner)
	}
	if out := mustSh(t, "ls -ld %s", q(e.p("/eph"))); !strings.HasPrefix(out, "drwxr-xr-t") {
		t.Fatalf("ls -ld = %q, want the sticky bit", out)
	}
	// Ephemeral znodes have no children (ZooKeeper refuses them).
	if err := os.Mkdir(e.p("/eph/child"), 0o755); errnoOf(err) != syscall.EPERM {
		t.Fatalf("mkdir under an ephemeral: %v, want EPERM", err)
	}
	// Unmounting (and closing the session, as the daemon does) removes it.
	unmount(t, e.srv, e.dir)
	e.c.Close()
	eventually(t, "ephemeral gone after unmount", func() bool {
		_, ok, err := e.cl.Exists(testCtx(t), "/eph")
		return err == nil && !ok
	})
	if _, ok, _ := e.cl.Exists(testCtx(t), "/pers"); !ok {
		t.Fatal("persistent znode gone after unmount")
	}
}

// versionOf returns the znode's data version, read by the independent
// session.
func (e *mountEnv) versionOf(t *testing.T, zpath string) int32 {
	t.Helper()
	_, st := e.get(t, zpath)
	return st.Version
}

// editCheck runs an editing command and checks that it left want in zpath
// with exactly one setData, and that ZooKeeper got no other znode.
func (e *mountEnv) editCheck(t *testing.T, zpath, want string, cmd string, args ...any) {
	t.Helper()
	v0 := e.versionOf(t, zpath)
	mustSh(t, cmd, args...)
	data, st := e.get(t, zpath)
	if string(data) != want {
		t.Fatalf("%s: value %q, want %q", fmt.Sprintf(cmd, args...), data, want)
	}
	if st.Version != v0+1 {
		t.Fatalf("%s: version %d → %d, want exactly one setData", fmt.Sprintf(cmd, args...), v0, st.Version)
	}
	if kids, _, err := e.cl.Children(testCtx(t), zpath); err != nil || len(kids) != 0 {
		t.Fatalf("children of %s in ZooKeeper: %q %v (temporary files must stay in memory)", zpath, kids, err)
	}
	// Through the mount, too.
	if got, err := os.ReadFile(e.p(zpath + "/.data")); err != nil || string(got) != want {
		t.Fatalf("read back through the mount: %q %v, want %q", got, err, want)
	}
}

// renameOver is the classic "write a temporary file beside the target,
// fsync, rename it over the target" of configuration tools.
const renameOverPy = `
import os, sys
target, data = sys.argv[1], sys.argv[2]
tmp = os.path.join(os.path.dirname(target), ".tmp-%d" % os.getpid())
with open(tmp, "w") as f:
    f.write(data)
    f.flush()
    os.fsync(f.fileno())
os.rename(tmp, target)
`

func TestEditInPlace(t *testing.T) {
	need(t, haveTool("sed"), "sed")
	vim := "vim"
	if !haveTool(vim) {
		vim = "vim.tiny"
	}
	need(t, haveTool(vim), "vim (package vim-tiny or vim)")
	need(t, haveTool("/usr/bin/python3"), "/usr/bin/python3")
	e := newMountEnv(t, nil, zkfs.Options{})
	e.create(t, "/ed", []byte("alpha\nbeta\n"))
	seen, stop := e.watchValues(t, "/ed")
	f := q(e.p("/ed/.data"))

	e.editCheck(t, "/ed", "alpha\ngamma\n", "sed -i 's/beta/gamma/' %s", f)
	e.editCheck(t, "/ed", "ALPHA\ngamma\n", "%s -es -N -u NONE -i NONE -c '%%s/alpha/ALPHA/' -c 'wq' %s </dev/null", vim, f)
	// vim with backups and a swap file, as a user's vimrc may have them.
	e.editCheck(t, "/ed", "ALPHA\ndelta\n", "%s -es -N -u NONE -i NONE -c 'set backup writebackup swapfile' -c '%%s/gamma/delta/' -c 'wq' %s </dev/null", vim, f)
	e.editCheck(t, "/ed", "from python\n", "/usr/bin/python3 -c %s %s %s", q(renameOverPy), f, q("from python\n"))

	// The watching session saw every value exactly once, and never an
	// empty or partial one.
	stop()
	for _, v := range seen() {
		switch string(v.data) {
		case "alpha\ngamma\n", "ALPHA\ngamma\n", "ALPHA\ndelta\n", "from python\n":
		default:
			t.Errorf("intermediate value published: version %d %q", v.version, v.data)
		}
	}
	// Backup files vim left are in memory only.
	names := strings.Fields(mustSh(t, "ls -A %s", q(e.p("/ed"))))
	t.Logf("left in the directory: %q", names)
	for _, n := range names {
		if n != ".data" {
			if err := os.Remove(e.p("/ed/" + n)); err != nil {
				t.Errorf("rm %s: %v", n, err)
			}
		}
	}
}

// TestMemoryFiles: other regular files live in the daemon's memory only.
func TestMemoryFiles(t *testing.T) {
	e := newMountEnv(t, nil, zkfs.Options{})
	e.create(t, "/mf", []byte("value"))
	tmp := e.p("/mf/notes.txt")
	if err := os.WriteFile(tmp, []byte("scratch"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(tmp); err != nil || string(got) != "scratch" {
		t.Fatalf("read back: %q %v", got, err)
	}
	fi, err := os.Stat(tmp)
	if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o600 || fi.Size() != 7 {
		t.Fatalf("stat: %v %v", fi, err)
	}
	if out := mustSh(t, "ls %s", q(e.p("/mf"))); out != "notes.txt\n" {
		t.Fatalf("ls = %q", out)
	}
	if kids, _, _ := e.cl.Children(testCtx(t), "/mf"); len(kids) != 0 {
		t.Fatalf("in-memory file reached ZooKeeper: %q", kids)
	}
	// A directory holding one cannot be removed; renames work in memory.
	if err := os.Remove(e.p("/mf")); errnoOf(err) != syscall.ENOTEMPTY {
		t.Fatalf("rmdir with an in-memory file: %v, want ENOTEMPTY", err)
	}
	e.create(t, "/mf2", nil)
	if err := os.Rename(tmp, e.p("/mf2/moved")); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(e.p("/mf2/moved")); err != nil || string(got) != "scratch" {
		t.Fatalf("after rename: %q %v", got, err)
	}
	if _, err := os.Stat(tmp); !os.IsNotExist(err) {
		t.Fatalf("old name after rename: %v", err)
	}
	// The data file cannot be renamed; mkdir over an in-memory name fails.
	if err := os.Rename(e.p("/mf/.data"), e.p("/mf/x")); errnoOf(err) != syscall.EPERM {
		t.Fatalf("rename of the data file: %v, want EPERM", err)
	}
	if err := os.Mkdir(e.p("/mf2/moved"), 0o755); errnoOf(err) != syscall.EEXIST {
		t.Fatalf("mkdir over an in-memory file: %v, want EEXIST", err)
	}
	if err := os.Rename(e.p("/mf2/moved"), e.p("/mf2/.data")); err != nil {
		t.Fatal(err)
	}
	if data, _ := e.get(t, "/mf2"); string(data) != "scratch" {
		t.Fatalf("rename over .data committed %q", data)
	}
	if out := mustSh(t, "ls -A %s", q(e.p("/mf2"))); out != ".data\n" {
		t.Fatalf("ls -A after the commit = %q", out)
	}
	// Removing the directory now works (rm -rf too).
	mustSh(t, "rm -rf %s %s", q(e.p("/mf")), q(e.p("/mf2")))
	for _, p := range []string{"/mf", "/mf2"} {
		if _, ok, _ := e.cl.Exists(testCtx(t), p); ok {
			t.Fatalf("%s still exists after rm -rf", p)
		}
	}
}

// inEvent is one inotify event.
type inEvent struct {
	wd   int
	mask uint32
	name string
	at   time.Time
}

func (ev inEvent) String() string { return fmt.Sprintf("%#x %s", ev.mask, ev.name) }

// inotifyWatcher reads inotify events (golang.org/x/sys/unix) into a
// channel; owned by the test, its goroutine ends at cleanup.
type inotifyWatcher struct {
	fd     int
	events chan inEvent
}

func newInotify(t *testing.T) *inotifyWatcher {
	t.Helper()
	fd, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
	if err != nil {
		t.Fatalf("inotify_init1: %v", err)
	}
	w := &inotifyWatcher{fd: fd, events: make(chan inEvent, 100000)}
	done, exited := make(chan struct{}), make(chan struct{})
	// Owned by newInotify: polls fd until cleanup.
	go func() {
		defer close(exited)
		buf := make([]byte, 64<<10)
		for {
			select {
			case <-done:
				return
			default:
			}
			pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
			if n, _ := unix.Poll(pfd, 100); n <= 0 {
				continue
			}
			n, err := unix.Read(fd, buf)
			now := time.Now()
			if err != nil || n <= 0 {
				continue
			}
			for off := 0; off+unix.SizeofInotifyEvent <= n; {
				raw := (*unix.InotifyEvent)(unsafe.Pointer(&buf[off]))
				name := ""
				if raw.Len > 0 {
					b := buf[off+unix.SizeofInotifyEvent : off+unix.SizeofInotifyEvent+int(raw.Len)]
					name = string(bytes.TrimRight(b, "\x00"))
				}
				w.events <- inEvent{wd: int(raw.Wd), mask: raw.Mask, name: name, at: now}
				off += unix.SizeofInotifyEvent + int(raw.Len)
			}
		}
	}()
	t.Cleanup(func() { close(done); <-exited; unix.Close(fd) })
	return w
}

func (w *inotifyWatcher) add(t *testing.T, path string, mask uint32) int {
	t.Helper()
	wd, err := unix.InotifyAddWatch(w.fd, path, mask)
	if err != nil {
		t.Fatalf("inotify_add_watch %s: %v", path, err)
	}
	return wd
}

// next waits (generously) for the next event matching cond; events that
// do not match are returned in skipped.
func (w *inotifyWatcher) next(t *testing.T, what string, cond func(inEvent) bool) (ev inEvent, skipped []inEvent) {
	t.Helper()
	deadline := time.After(waitFor)
	for {
		select {
		case ev := <-w.events:
			if cond(ev) {
				return ev, skipped
			}
			skipped = append(skipped, ev)
		case <-deadline:
			t.Fatalf("no inotify event for %s after %v (other events: %v)", what, waitFor, skipped)
		}
	}
}

func isEvent(mask uint32, name string) func(inEvent) bool {
	return func(ev inEvent) bool { return ev.mask&mask == mask && ev.name == name }
}

// TestInotifyRemote: changes made by another client produce the inotify
// events the same change made through the mount would.
func TestInotifyRemote(t *testing.T) {
	e := newMountEnv(t, nil, zkfs.Options{})
	e.create(t, "/in", []byte("v0"))
	w := newInotify(t)
	w.add(t, e.p("/in"), unix.IN_CREATE|unix.IN_DELETE|unix.IN_MODIFY|unix.IN_CLOSE_WRITE|unix.IN_ATTRIB)
	ctx := testCtx(t)

	if _, _, err := e.cl.Create(ctx, "/in/a", []byte("x"), jute.ModePersistent, nil); err != nil {
		t.Fatal(err)
	}
	w.next(t, "remote create", isEvent(unix.IN_CREATE|unix.IN_ISDIR, "a"))
	if _, err := e.cl.Set(ctx, "/in", []byte("v1"), -1); err != nil {
		t.Fatal(err)
	}
	w.next(t, "remote setData: IN_MODIFY", isEvent(unix.IN_MODIFY, ".data"))
	w.next(t, "remote setData: IN_CLOSE_WRITE", isEvent(unix.IN_CLOSE_WRITE, ".data"))
	if err := e.cl.Delete(ctx, "/in/a", -1); err != nil {
		t.Fatal(err)
	}
	w.next(t, "remote delete", isEvent(unix.IN_DELETE|unix.IN_ISDIR, "a"))

	// The echo changed nothing in ZooKeeper and left no stray bytes.
	data, st := e.get(t, "/in")
	if string(data) != "v1" || st.Version != 1 {
		t.Fatalf("after the echo: %q version %d, want \"v1\" version 1", data, st.Version)
	}
	if got, err := os.ReadFile(e.p("/in/.data")); err != nil || string(got) != "v1" {
		t.Fatalf("read through the mount: %q %v", got, err)
	}
	if _, err := os.Stat(e.p("/in/a")); !os.IsNotExist(err) {
		t.Fatalf("deleted znode still visible: %v", err)
	}
	// Empty data: an event all the same, and the file reads empty.
	if _, err := e.cl.Set(ctx, "/in", nil, -1); err != nil {
		t.Fatal(err)
	}
	w.next(t, "remote setData (empty): IN_CLOSE_WRITE", isEvent(unix.IN_CLOSE_WRITE, ".data"))
	eventually(t, "empty value through the mount", func() bool {
		got, err := os.ReadFile(e.p("/in/.data"))
		return err == nil && len(got) == 0
	})

	// Changes made through the mount give the kernel's own events once,
	// not a second time from the echo: a local mkdir, then a remote
	// marker whose event comes after any echo of the mkdir would.
	if err := os.Mkdir(e.p("/in/local"), 0o755); err != nil {
		t.Fatal(err)
	}
	e.onceBeforeMarker(t, w, "/in/marker", "local", unix.IN_CREATE, "local mkdir")
}

// onceBeforeMarker creates the znode marker, in a watched directory, with
// the independent session, and checks that among the events before its
// IN_CREATE the entry name got exactly one event in mask: a change made
// through the mount (what) is reported once, by the kernel, and not a second
// time by the echo.
func (e *mountEnv) onceBeforeMarker(t *testing.T, w *inotifyWatcher, marker, name string, mask uint32, what string) {
	t.Helper()
	if _, _, err := e.cl.Create(testCtx(t), marker, nil, jute.ModePersistent, nil); err != nil {
		t.Fatal(err)
	}
	_, skipped := w.next(t, "remote marker", isEvent(unix.IN_CREATE|unix.IN_ISDIR, path.Base(marker)))
	n := 0
	for _, ev := range skipped {
		if ev.name == name && ev.mask&mask != 0 {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%s gave %d events %#x for %s, want 1 (events: %v)", what, n, mask, name, skipped)
	}
}

// TestInotifyACL: an ACL changed by another client gives IN_ATTRIB on the
// directory (found by polling: ZooKeeper sends no event for setACL), and
// the mount's user.zk.aversion follows; an ACL changed through the mount
// gives the kernel's one IN_ATTRIB, not a second from the poll.
func TestInotifyACL(t *testing.T) {
	e := newMountEnv(t, nil, zkfs.Options{ACLPoll: 50 * time.Millisecond})
	ctx := testCtx(t)
	e.create(t, "/acl", nil)
	e.create(t, "/acl/k", nil)
	w := newInotify(t)
	w.add(t, e.p("/acl"), unix.IN_ATTRIB|unix.IN_CREATE)
	w.add(t, e.p("/acl/k"), unix.IN_ATTRIB)
	if v := getxattr(t, e.p("/acl/k"), "user.zk.aversion"); v != "0" {
		t.Fatalf("aversion %q", v)
	}
	time.Sleep(300 * time.Millisecond) // let a poll see the first version
	open := []jute.ACL{{Perms: jute.PermAll, ID: jute.ID{Scheme: "world", ID: "anyone"}}}
	if _, err := e.cl.SetACL(ctx, "/acl/k", open[:1], -1); err != nil {
		t.Fatal(err)
	}
	w.next(t, "remote setACL: IN_ATTRIB on the parent's watch", isEvent(unix.IN_ATTRIB|unix.IN_ISDIR, "k"))
	eventually(t, "aversion through the mount", func() bool {
		return getxattr(t, e.p("/acl/k"), "user.zk.aversion") == "1"
	})
	// Local change: one IN_ATTRIB, then nothing more before a remote
	// marker whose event comes after any poll would have echoed it.
	mustSh(t, "setfattr -n user.zk.acl -v 'world:anyone:cdrwa' %s", q(e.p("/acl/k")))
	time.Sleep(300 * time.Millisecond)
	e.onceBeforeMarker(t, w, "/acl/marker", "k", unix.IN_ATTRIB, "local setfattr")
	if _, st := e.get(t, "/acl/k"); st.Aversion != 2 {
		t.Fatalf("aversion %d after two setACLs: the echo wrote to ZooKeeper", st.Aversion)
	}
}

// TestInotifyWait: the same with inotifywait, as a user runs it.
func TestInotifyWait(t *testing.T) {
	need(t, haveTool("inotifywait"), "inotifywait (package inotify-tools)")
	e := newMountEnv(t, nil, zkfs.Options{})
	e.create(t, "/iw", []byte("v0"))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := exec.CommandContext(ctx, "inotifywait", "-m", "--format", "%e %f", e.p("/iw"))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); cmd.Wait() })
	errLines := bufio.NewScanner(stderr)
	for errLines.Scan() && !strings.Contains(errLines.Text(), "Watches established") {
	}
	lines := make(chan string, 100)
	// Owned by the test: forwards inotifywait's lines until it exits.
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	expect := func(want string) {
		t.Helper()
		var got []string
		deadline := time.After(waitFor)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("inotifywait ended; got %q, want %q", got, want)
				}
				if l == want {
					return
				}
				got = append(got, l)
			case <-deadline:
				t.Fatalf("inotifywait: got %q, want %q", got, want)
			}
		}
	}
	mustZkcli(t, e.zk.Addr(), "create", "/iw/kid", "k")
	expect("CREATE,ISDIR kid")
	mustZkcli(t, e.zk.Addr(), "set", "/iw", "v1")
	expect("MODIFY .data")
	expect("CLOSE_WRITE,CLOSE .data")
	mustZkcli(t, e.zk.Addr(), "setacl", "/iw/kid", "world:anyone:cdrw")
	expect("ATTRIB,ISDIR kid") // within --acl-poll (2 s)
	mustZkcli(t, e.zk.Addr(), "delete", "/iw/kid")
	expect("DELETE,ISDIR kid")
}

// TestInotifyLatency measures the time from a remote setData's reply to
// the IN_CLOSE_WRITE on the data file (reported, not asserted).
func TestInotifyLatency(t *testing.T) {
	e := newMountEnv(t, nil, zkfs.Options{})
	e.create(t, "/lat", []byte("0"))
	w := newInotify(t)
	w.add(t, e.p("/lat/.data"), unix.IN_CLOSE_WRITE)
	ctx := testCtx(t)
	const n = 200
	lat := make([]time.Duration, 0, n)
	for i := 1; i <= n; i++ {
		if _, err := e.cl.Set(ctx, "/lat", []byte(fmt.Sprint(i)), -1); err != nil {
			t.Fatal(err)
		}
		reply := time.Now()
		ev, _ := w.next(t, fmt.Sprintf("setData %d", i), func(ev inEvent) bool { return ev.mask&unix.IN_CLOSE_WRITE != 0 })
		lat = append(lat, max(ev.at.Sub(reply), 0))
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	t.Logf("remote setData reply → IN_CLOSE_WRITE over %d changes: p50 %v, p90 %v, p99 %v, max %v",
		n, lat[n/2], lat[n*90/100], lat[n*99/100], lat[n-1])
	if _, st := e.get(t, "/lat"); st.Version != n {
		t.Fatalf("version %d after %d remote sets: the echo wrote to ZooKeeper", st.Version, n)
	}
}

// TestNoInotify: with NoInotify (--no-inotify) remote changes make no
// inotify events.
func TestNoInotify(t *testing.T) {
	e := newMountEnv(t, nil, zkfs.Options{NoInotify: true})
	e.create(t, "/ni", nil)
	w := newInotify(t)
	w.add(t, e.p("/ni"), unix.IN_CREATE|unix.IN_MODIFY)
	e.create(t, "/ni/remote", nil)
	if _, err := e.cl.Set(testCtx(t), "/ni", []byte("x"), -1); err != nil {
		t.Fatal(err)
	}
	eventually(t, "remote value", func() bool {
		got, _ := os.ReadFile(e.p("/ni/.data"))
		return string(got) == "x"
	})
	if err := os.Mkdir(e.p("/ni/local"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, skipped := w.next(t, "local mkdir", isEvent(unix.IN_CREATE|unix.IN_ISDIR, "local"))
	if len(skipped) != 0 {
		t.Fatalf("events for remote changes with NoInotify: %v", skipped)
	}
}

// subtree returns every znode below (and including) root, relative to
// root, with its data, read by the independent session.
func (e *mountEnv) subtree(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	var walk func(rel string)
	walk = func(rel string) {
		data, _ := e.get(t, root+rel)
		out[rel] = string(data)
		kids, _, err := e.cl.Children(testCtx(t), root+rel)
		if err != nil {
			t.Fatalf("children %s: %v", root+rel, err)
		}
		for _, k := range kids {
			walk(rel + "/" + k)
		}
	}
	walk("")
	return out
}

func sameTree(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("%s: got %v, want %v", what, got, want)
	}
}

// TestMoveZnode: mv of a znode directory is one multi.
func TestMoveZnode(t *testing.T) {
	e := newMountEnv(t, nil, zkfs.Options{})
	ctx := testCtx(t)
	e.create(t, "/mv", nil)
	e.create(t, "/mv/src", []byte("s"))
	e.create(t, "/mv/src/c1", []byte("c1"))
	e.create(t, "/mv/src/c1/g", []byte("g"))
	e.create(t, "/mv/src/c2", nil)
	acl := []jute.ACL{{Perms: jute.PermRead | jute.PermWrite | jute.PermAdmin, ID: jute.ID{Scheme: "world", ID: "anyone"}}}
	if _, err := e.cl.SetACL(ctx, "/mv/src/c1/g", acl, -1); err != nil {
		t.Fatal(err)
	}
	want := e.subtree(t, "/mv/src")

	mustSh(t, "mv %s %s", q(e.p("/mv/src")), q(e.p("/mv/dst")))
	if _, ok, _ := e.cl.Exists(ctx, "/mv/src"); ok {
		t.Fatal("/mv/src still exists after mv")
	}
	sameTree(t, "moved subtree", e.subtree(t, "/mv/dst"), want)
	// One transaction: every new znode has the same czxid.
	_, st1 := e.get(t, "/mv/dst")
	_, st2 := e.get(t, "/mv/dst/c1/g")
	if st1.Czxid != st2.Czxid {
		t.Fatalf("czxids %#x and %#x: not one multi", st1.Czxid, st2.Czxid)
	}
	if got, _, err := e.cl.GetACL(ctx, "/mv/dst/c1/g"); err != nil || zkfs.FormatACL(got) != zkfs.FormatACL(acl) {
		t.Fatalf("ACL after mv: %v %v", got, err)
	}
	// Through the mount.
	if out := mustSh(t, "cat %s; ls %s", q(e.p("/mv/dst/c1/g/.data")), q(e.p("/mv/dst"))); out != "gc1\nc2\n" {
		t.Fatalf("through the mount after mv: %q", out)
	}
	if _, err := os.Stat(e.p("/mv/src")); !os.IsNotExist(err) {
		t.Fatalf("old name: %v", err)
	}

	// Onto an empty znode: replaced. Onto a znode with children: ENOTEMPTY.
	e.create(t, "/mv/empty", []byte("old"))
	// (unix.Rename: os.Rename refuses an existing directory target itself.)
	if err := unix.Rename(e.p("/mv/dst"), e.p("/mv/empty")); err != nil {
		t.Fatalf("rename onto an empty znode: %v", err)
	}
	sameTree(t, "replaced subtree", e.subtree(t, "/mv/empty"), want)
	e.create(t, "/mv/full", nil)
	e.create(t, "/mv/full/kid", nil)
	if err := unix.Rename(e.p("/mv/empty"), e.p("/mv/full")); errnoOf(err) != syscall.ENOTEMPTY {
		t.Fatalf("rename onto a znode with children: %v, want ENOTEMPTY", err)
	}
	// A subtree holding an ephemeral znode cannot move in one multi:
	// EXDEV, and mv falls back to copy and delete.
	mustSh(t, "mkdir %s && mkdir -m 1755 %s", q(e.p("/mv/e")), q(e.p("/mv/e/eph")))
	if err := os.Rename(e.p("/mv/e"), e.p("/mv/e2")); errnoOf(err) != syscall.EXDEV {
		t.Fatalf("rename of a subtree with an ephemeral: %v, want EXDEV", err)
	}
	mustSh(t, "mv %s %s", q(e.p("/mv/e")), q(e.p("/mv/e2")))
	if _, ok, _ := e.cl.Exists(ctx, "/mv/e"); ok {
		t.Fatal("/mv/e still exists after mv's copy and delete")
	}
	if _, st := e.get(t, "/mv/e2/eph"); st.EphemeralOwner != e.c.Client().SessionID() {
		t.Fatalf("copied ephemeral has owner %#x", st.EphemeralOwner)
	}
	// Moving a directory into its own subtree is refused.
	if err := os.Rename(e.p("/mv/empty"), e.p("/mv/empty/c2/x")); errnoOf(err) != syscall.EINVAL {
		t.Fatalf("rename into itself: %v, want EINVAL", err)
	}
}

// TestCopyRoundTrip: cp -a out of the mount and cp -r back in, and tar out
// and back, give identical subtrees.
func TestCopyRoundTrip(t *testing.T) {
	need(t, haveTool("tar"), "tar")
	e := newMountEnv(t, nil, zkfs.Options{})
	e.create(t, "/cp", nil)
	e.create(t, "/cp/x", []byte("top\n"))
	e.create(t, "/cp/x/a", []byte("A"))
	e.create(t, "/cp/x/a/b", nil)
	e.create(t, "/cp/x/a/b/deep", []byte("binary\x00\xff"))
	e.create(t, "/cp/x/empty", []byte{})
	e.create(t, "/cp/x/sp ace", []byte("s"))
	want := e.subtree(t, "/cp/x")
	tmp := t.TempDir()
	mustSh(t, "cp -a %s %s/b && cp -r %s/b %s", q(e.p("/cp/x")), tmp, tmp, q(e.p("/cp/y")))
	sameTree(t, "cp -a then cp -r", e.subtree(t, "/cp/y"), want)
	mustSh(t, "diff -r %s %s", q(e.p("/cp/x")), q(e.p("/cp/y")))

	mustSh(t, "cd %s && tar cf %s/x.tar x && mkdir t && tar xf %s/x.tar -C t", q(e.p("/cp")), tmp, tmp)
	sameTree(t, "tar c then tar x", e.subtree(t, "/cp/t/x"), want)
	// And back out again, compared with the first copy.
	mustSh(t, "mkdir %s/t2 && tar cf - -C %s x | tar xf - -C %s/t2 && diff -r %s/b %s/t2/x", tmp, q(e.p("/cp/t")), tmp, tmp, tmp)
	// Nothing but the znodes reached ZooKeeper (no temporary names).
	if kids, _, _ := e.cl.Children(testCtx(t), "/cp"); strings.Join(kids, ",") != "t,x,y" && strings.Join(sortStrings(kids), ",") != "t,x,y" {
		t.Fatalf("children of /cp: %q", kids)
	}
}

func sortStrings(s []string) []string {
	s = append([]string(nil), s...)
	sort.Strings(s)
	return s
}
