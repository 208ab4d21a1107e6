package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	zkfs "github.com/zkfs/zkfs/fs"
)

// testRemoteChanges: with entry and attribute timeouts of an hour, changes
// made by another client reach the kernel by active invalidation. Latency
// is logged; the assertion is only that the change becomes visible.
func (e *mountEnv) testRemoteChanges(t *testing.T) {
	e.create(t, "/rc", nil)
	e.create(t, "/rc/gone", []byte("soon deleted"))
	e.create(t, "/rc/val", []byte("v1"))

	// Make the kernel cache everything first.
	if got := readVia(t, e.p("/rc/val/.data")); got != "v1" {
		t.Fatalf("read %q", got)
	}
	mustSh(t, "ls -l %s %s >/dev/null", q(e.p("/rc")), q(e.p("/rc/gone")))
	if _, err := os.Stat(e.p("/rc/new")); !os.IsNotExist(err) {
		t.Fatalf("stat /rc/new: %v", err)
	}

	// Remote data change (a longer value: size must follow).
	if _, err := e.cl.Set(testCtx(t), "/rc/val", []byte("version two"), -1); err != nil {
		t.Fatal(err)
	}
	eventually(t, "remote data change", func() bool {
		return readVia(t, e.p("/rc/val/.data")) == "version two"
	})
	// And the attributes (version xattr, size) follow.
	if v := getxattr(t, e.p("/rc/val"), "user.zk.version"); v != "1" {
		t.Fatalf("version xattr %q", v)
	}
	if sz := statSize(t, e.p("/rc/val/.data")); sz != int64(len("version two")) {
		t.Fatalf("size %d", sz)
	}

	// Remote create.
	e.create(t, "/rc/new", []byte("fresh"))
	eventually(t, "remote create", func() bool {
		_, err := os.Stat(e.p("/rc/new"))
		return err == nil
	})
	if got := readVia(t, e.p("/rc/new/.data")); got != "fresh" {
		t.Fatalf("new data %q", got)
	}

	// Remote delete of an entry the kernel holds.
	if err := e.cl.Delete(testCtx(t), "/rc/gone", -1); err != nil {
		t.Fatal(err)
	}
	eventually(t, "remote delete", func() bool {
		_, err := os.Stat(e.p("/rc/gone"))
		return os.IsNotExist(err)
	})
	out := mustSh(t, "ls -1 %s", q(e.p("/rc")))
	if out != "new\nval\n" {
		t.Fatalf("ls after remote changes: %q", out)
	}

	// Delete and re-create under the same name: a new inode.
	var before syscall.Stat_t
	if err := syscall.Stat(e.p("/rc/new"), &before); err != nil {
		t.Fatal(err)
	}
	if err := e.cl.Delete(testCtx(t), "/rc/new", -1); err != nil {
		t.Fatal(err)
	}
	e.create(t, "/rc/new", []byte("again"))
	eventually(t, "remote re-create", func() bool {
		var st syscall.Stat_t
		return syscall.Stat(e.p("/rc/new"), &st) == nil && st.Ino != before.Ino &&
			readVia(t, e.p("/rc/new/.data")) == "again"
	})
}

// TestLargeTree lists a 10,000-znode tree identically to the server's view.
func TestLargeTree(t *testing.T) {
	if testing.Short() {
		t.Skip("large tree in -short mode")
	}
	e := newMountEnv(t, nil, zkfs.Options{})
	const n = 10000
	e.create(t, "/big", nil)
	mustZkcli(t, e.zk.Addr(), "mktree", "/big", "10000", "22")
	server := strings.Split(strings.TrimSuffix(mustZkcli(t, e.zk.Addr(), "walk", "/big"), "\n"), "\n")
	if len(server) != n {
		t.Fatalf("server walk: %d znodes", len(server))
	}
	// A cold walk of 10,000 directories: generous bound, the daemon may run under -race.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	start := time.Now()
	outb, err := exec.CommandContext(ctx, "sh", "-c", fmt.Sprintf("cd %s && find . -name .data -prune -o -mindepth 1 -type d -print", q(e.p("/big")))).CombinedOutput()
	out := string(outb)
	if err != nil {
		t.Fatalf("find: %v\n%.2000s", err, out)
	}
	t.Logf("cold find of %d directories: %v", n, time.Since(start))
	var got []string
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		got = append(got, "/big"+strings.TrimPrefix(l, "."))
	}
	sort.Strings(got)
	if len(got) != len(server) {
		t.Fatalf("find: %d directories, server %d", len(got), len(server))
	}
	for i := range got {
		if got[i] != server[i] {
			t.Fatalf("find and server differ at %d: %q vs %q", i, got[i], server[i])
		}
	}
	// Spot-check data through the mount.
	for _, zp := range []string{server[0], server[n/2], server[n-1]} {
		if got := readVia(t, e.p(zp+"/.data")); got != zp {
			t.Fatalf("%s data %q", zp, got)
		}
	}
}

// TestReadOnly: every mutation fails with EROFS, reads work.
func TestReadOnly(t *testing.T) {
	e := newMountEnv(t, nil, zkfs.Options{ReadOnly: true})
	e.create(t, "/ro", []byte("keep"))
	e.create(t, "/ro/child", nil)
	if got := readVia(t, e.p("/ro/.data")); got != "keep" {
		t.Fatalf("read %q", got)
	}
	d := e.p("/ro")
	checks := map[string]error{
		"write":    os.WriteFile(filepath.Join(d, ".data"), []byte("x"), 0o644),
		"mkdir":    os.Mkdir(filepath.Join(d, "new"), 0o755),
		"rmdir":    syscall.Rmdir(filepath.Join(d, "child")),
		"unlink":   syscall.Unlink(filepath.Join(d, ".data")),
		"truncate": os.Truncate(filepath.Join(d, ".data"), 0),
		"setxattr": syscall.Setxattr(d, "user.zk.acl", []byte("world:anyone:r"), 0),
		"create":   os.WriteFile(filepath.Join(d, "other"), []byte("x"), 0o644),
	}
	for op, err := range checks {
		if errnoOf(err) != syscall.EROFS {
			t.Errorf("%s: %v, want EROFS", op, err)
		}
	}
	data, st := e.get(t, "/ro")
	if string(data) != "keep" || st.Version != 0 || st.NumChildren != 1 {
		t.Fatalf("server changed: %q v%d children %d", data, st.Version, st.NumChildren)
	}
}

// TestReadOnlyOpens: on a read-only mount the kernel opens files without
// asking (one OPEN, answered ENOSYS, and none after it), keeps their pages,
// gets a small value into them when its directory is listed, and still
// sees every change made elsewhere through the invalidations alone: small
// and large values, a change, a deletion.
func TestReadOnlyOpens(t *testing.T) {
	e := newMountEnv(t, nil, zkfs.Options{ReadOnly: true})
	e.create(t, "/rk", []byte("first"))
	big := strings.Repeat("0123456789abcdef", (300<<10)/16) // several READs
	e.create(t, "/rk/big", []byte(big))
	if got := readVia(t, e.p("/rk/.data")); got != "first" {
		t.Fatalf("first read: %q", got)
	}
	before := zkfs.ReadStats()
	for i := 0; i < 5; i++ {
		if got := readVia(t, e.p("/rk/.data")); got != "first" {
			t.Fatalf("read %d: %q", i, got)
		}
	}
	if got := readVia(t, e.p("/rk/big/.data")); got != big {
		t.Fatalf("read of the 300 KiB value: %d bytes, want %d", len(got), len(big))
	}
	after := zkfs.ReadStats()
	if after.Opens != before.Opens {
		t.Fatalf("%d OPEN requests for 6 opens after the first, want none", after.Opens-before.Opens)
	}
	if after.Reads == before.Reads {
		t.Fatalf("the 300 KiB value was read without READ requests")
	}
	before = zkfs.ReadStats()
	if got := readVia(t, e.p("/rk/.data")); got != "first" {
		t.Fatalf("read again: %q", got)
	}
	if after := zkfs.ReadStats(); after.Reads != before.Reads || after.Opens != before.Opens {
		t.Fatalf("a warm read sent %d READ and %d OPEN requests, want none (the pages are kept)",
			after.Reads-before.Reads, after.Opens-before.Opens)
	}

	// A listing that reached its end puts the data file's value into the
	// page cache: reading it next sends no READ. (A listing that raced an
	// event stores nothing: try fresh znodes until one went undisturbed.)
	eventually(t, "a listing storing the data file's value", func() bool {
		p := fmt.Sprintf("/rk/l%d", time.Now().UnixNano())
		e.create(t, p, []byte("listed, then read"))
		before := zkfs.ReadStats()
		if _, err := os.ReadDir(e.p(p)); err != nil {
			t.Fatal(err)
		}
		if got := readVia(t, e.p(p+"/.data")); got != "listed, then read" {
			t.Fatalf("read %s: %q", p, got)
		}
		after := zkfs.ReadStats()
		t.Logf("stored %d, reads %d", after.Stored-before.Stored, after.Reads-before.Reads)
		return after.Stored == before.Stored+1 && after.Reads == before.Reads
	})

	if _, err := e.cl.Set(testCtx(t), "/rk", []byte("changed elsewhere, and longer"), -1); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the remote value", func() bool {
		return readVia(t, e.p("/rk/.data")) == "changed elsewhere, and longer"
	})
	big2 := strings.Repeat("fedcba9876543210", (300<<10)/16)
	if _, err := e.cl.Set(testCtx(t), "/rk/big", []byte(big2), -1); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the remote large value", func() bool {
		return readVia(t, e.p("/rk/big/.data")) == big2
	})
	if err := e.cl.Delete(testCtx(t), "/rk/big", -1); err != nil {
		t.Fatal(err)
	}
	eventually(t, "ENOENT for the deleted znode's data file", func() bool {
		_, err := os.ReadFile(e.p("/rk/big/.data"))
		return errors.Is(err, syscall.ENOENT)
	})
}

// TestWideDirectory: a znode with more children than READDIRPLUS looks up
// (plusMaxKids) lists every name, and its children can still be looked up.
func TestWideDirectory(t *testing.T) {
	e := newMountEnv(t, nil, zkfs.Options{})
	const n = 12000
	mustZkcli(t, e.zk.Addr(), "create", "/wide")
	mustZkcli(t, e.zk.Addr(), "mktree", "/wide", fmt.Sprint(n), fmt.Sprint(n))
	start := time.Now()
	names, err := os.ReadDir(e.p("/wide"))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("listing of %d children: %v", n, time.Since(start))
	if len(names) != n+1 { // and .data
		t.Fatalf("%d entries, want %d", len(names), n+1)
	}
	got := map[string]bool{}
	for _, d := range names {
		got[d.Name()] = true
	}
	for _, name := range []string{".data", "n0", fmt.Sprintf("n%d", n-1)} {
		if !got[name] {
			t.Fatalf("%s missing from the listing", name)
		}
	}
	if data, err := os.ReadFile(e.p(fmt.Sprintf("/wide/n%d/.data", n/2))); err != nil || string(data) != fmt.Sprintf("/wide/n%d", n/2) {
		t.Fatalf("child's data: %q %v", data, err)
	}
}

// TestConcurrentListings: the kernel sends no OPENDIR (fs/kernelopens.go), so
// listings in progress are told apart by their offsets: many readers
// listing one directory at once, each over several requests, all see every
// name, and a directory deleted elsewhere while open lists as ENOENT.
func TestConcurrentListings(t *testing.T) {
	e := newMountEnv(t, nil, zkfs.Options{})
	const n = 600
	mustZkcli(t, e.zk.Addr(), "create", "/cl")
	mustZkcli(t, e.zk.Addr(), "mktree", "/cl", fmt.Sprint(n), fmt.Sprint(n))
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 10; i++ {
				f, err := os.Open(e.p("/cl"))
				if err != nil {
					errs <- err
					return
				}
				var names []string
				for {
					batch, err := f.Readdirnames(50) // several getdents calls
					names = append(names, batch...)
					if err != nil {
						break
					}
				}
				f.Close()
				if len(names) != n+1 {
					errs <- fmt.Errorf("listing %d: %d names, want %d", i, len(names), n+1)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	e.create(t, "/cl2", nil)
	d, err := os.Open(e.p("/cl2"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := e.cl.Delete(testCtx(t), "/cl2", -1); err != nil {
		t.Fatal(err)
	}
	eventually(t, "deletion", func() bool {
		_, err := os.Stat(e.p("/cl2"))
		return os.IsNotExist(err)
	})
	if _, err := d.Readdirnames(-1); !errors.Is(err, syscall.ENOENT) {
		t.Fatalf("listing a deleted directory: %v, want ENOENT", err)
	}
}

// TestPagesStored: a read-only open of a small value puts it into the
// kernel's page cache (FUSE_NOTIFY_STORE), so the kernel sends no READ for
// it, then or at the next open; a large value is read with READ; and a
// change made elsewhere replaces what the pages hold.
func TestPagesStored(t *testing.T) {
	e := newMountEnv(t, nil, zkfs.Options{})
	e.create(t, "/ps", nil)

	// An open whose read raced an event does not store (and says so by
	// not counting): try fresh znodes until one open went undisturbed.
	var small string
	eventually(t, "an open storing its value", func() bool {
		small = fmt.Sprintf("/ps/s%d", time.Now().UnixNano())
		e.create(t, small, []byte("small value"))
		before := zkfs.ReadStats()
		if got := readVia(t, e.p(small+"/.data")); got != "small value" {
			t.Fatalf("read %s: %q", small, got)
		}
		after := zkfs.ReadStats()
		t.Logf("stored %d, reads %d", after.Stored-before.Stored, after.Reads-before.Reads)
		return after.Stored == before.Stored+1 && after.Reads == before.Reads
	})
	before := zkfs.ReadStats()
	if got := readVia(t, e.p(small+"/.data")); got != "small value" {
		t.Fatalf("second read: %q", got)
	}
	if after := zkfs.ReadStats(); after.Stored != before.Stored || after.Reads != before.Reads {
		t.Fatalf("second open of an unchanged value: stored %d, reads %d (want 0 and 0: the pages were kept)",
			after.Stored-before.Stored, after.Reads-before.Reads)
	}

	big := strings.Repeat("0123456789abcdef", (200<<10)/16) // over the bound for storing
	e.create(t, "/ps/big", []byte(big))
	before = zkfs.ReadStats()
	if got := readVia(t, e.p("/ps/big/.data")); got != big {
		t.Fatalf("read of the 200 KiB value: %d bytes, want %d", len(got), len(big))
	}
	if after := zkfs.ReadStats(); after.Stored != before.Stored || after.Reads == before.Reads {
		t.Fatalf("200 KiB value: stored %d, reads %d (want 0 and some)",
			after.Stored-before.Stored, after.Reads-before.Reads)
	}

	if _, err := e.cl.Set(testCtx(t), small, []byte("changed elsewhere"), -1); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the remote value", func() bool {
		return readVia(t, e.p(small+"/.data")) == "changed elsewhere"
	})

	// Pages the kernel dropped: the open (which has no handle: one page)
	// gets its READ answered from the cache, and an error once the znode
	// is gone.
	f, err := os.Open(e.p(small + "/.data"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dropPageCache := func() {
		if err := os.WriteFile("/proc/sys/vm/drop_caches", []byte("1"), 0); err != nil {
			t.Fatalf("dropping the page cache: %v", err)
		}
	}
	dropPageCache()
	before = zkfs.ReadStats()
	buf := make([]byte, 100)
	if n, err := f.ReadAt(buf, 0); string(buf[:n]) != "changed elsewhere" {
		t.Fatalf("read after the pages were dropped: %q %v", buf[:n], err)
	}
	if after := zkfs.ReadStats(); after.Reads != before.Reads+1 {
		t.Fatalf("read after the pages were dropped: %d READ requests, want 1", after.Reads-before.Reads)
	}
	if err := e.cl.Delete(testCtx(t), small, -1); err != nil {
		t.Fatal(err)
	}
	// (The kernel refreshes the size first, and that GETATTR already says
	// ENOENT; a READ that got through would say ESTALE.)
	eventually(t, "an error reading the deleted znode's open file", func() bool {
		dropPageCache()
		_, err := f.ReadAt(buf, 0)
		return errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.ESTALE)
	})
}
