package main

// Reliability and security tests (docs/reliability.md): leader failover
// under load, server restarts within and past the session timeout, forced
// expiry, half-open connections, latency and resets through a fault proxy,
// hostile file system input, ACLs, credentials and TLS, and a mixed stress
// load. Long forms run with ZKFS_LONG=1.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"log/slog"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/zkfs/zkfs/cache"
	zkfs "github.com/zkfs/zkfs/fs"
	"github.com/zkfs/zkfs/internal/zktest"
	"github.com/zkfs/zkfs/jute"
	"github.com/zkfs/zkfs/zkclient"
)

// sscan reports whether s matches format exactly (fmt.Sscanf).
func sscan(s, format string, args ...any) bool {
	n, err := fmt.Sscanf(s, format, args...)
	return err == nil && n == len(args)
}

// liveHeap returns the Go heap in use after a collection (the race
// detector's own memory, which RSS includes, is not in it).
func liveHeap() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// longRun reports whether the long forms were asked for (ZKFS_LONG=1).
func longRun() bool { return os.Getenv("ZKFS_LONG") != "" }

// mountServers mounts the connect string servers in-process with the given
// session timeout, and opens the independent session on indep (which may
// differ from servers, e.g. when the mount goes through a fault proxy).
// The returned env has no zk server.
func mountServers(t *testing.T, servers, indep string, timeout time.Duration) *mountEnv {
	t.Helper()
	needFUSE(t)
	e := &mountEnv{dir: t.TempDir(), logs: &logBuffer{}}
	log := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c, err := cache.Open(ctx, cache.Options{Client: zkclient.Config{Servers: servers, SessionTimeout: timeout}, Logger: log})
	if err != nil {
		t.Fatalf("cache.Open: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	e.c = c
	srv, err := zkfs.Mount(e.dir, c, zkfs.Options{Logger: log})
	if err != nil {
		t.Fatalf("mount: %v", err)
	}
	e.srv = srv
	t.Cleanup(func() { unmount(t, srv, e.dir) })
	cl, err := zkclient.Connect(ctx, zkclient.Config{Servers: indep, SessionTimeout: 30 * time.Second})
	if err != nil {
		t.Fatalf("independent session: %v", err)
	}
	t.Cleanup(func() { cl.Close() })
	e.cl = cl
	return e
}

// readInt reads a data file with cat (a new process each time).
func readInt(path string) (int, error) {
	out, err := exec.Command("cat", path).CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("cat: %v: %s", err, bytes.TrimSpace(out))
	}
	if len(bytes.TrimSpace(out)) == 0 {
		return 0, fmt.Errorf("cat: empty value: %w", strconv.ErrSyntax)
	}
	return strconv.Atoi(strings.TrimSpace(string(out)))
}

// waitLog waits until the mount's log contains want, and returns how long
// that took.
func waitLog(t *testing.T, e *mountEnv, want string, within time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for !strings.Contains(e.logs.String(), want) {
		if time.Since(start) > within {
			t.Fatalf("no log line %q after %v:\n%s", want, within, e.logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	return time.Since(start)
}

// ---------------------------------------------------------------------------
// 1. Leader failover under load.

// TestFailoverUnderLoad kills the ensemble's leader (kill -9) five times
// while one loop writes increasing integers with `sh -c 'echo N > …'` and
// another reads them with cat.
func TestFailoverUnderLoad(t *testing.T) {
	needFUSE(t)
	// No fsync per transaction: a kill -9 loses nothing the kernel
	// already has, and the writes are then bounded by the CPU, not the disk.
	ens := zktest.StartEnsemble(t, zktest.WithConfig("forceSync", "no"))
	// The mount is the zkfs binary, as users run it (the test binary is
	// built with the race detector, which would slow every request).
	e := binaryEnv(t, ens.ConnectString(), "--session-timeout=15s")
	if _, _, err := e.cl.Create(testCtx(t), "/fo", []byte("0"), jute.ModePersistent, nil); err != nil {
		t.Fatal(err)
	}
	e.waitVisible(t, "/fo")
	file := e.p("/fo/.data")

	var (
		wg                      sync.WaitGroup
		mu                      sync.Mutex // guards the fields below
		acked, failed, attempts int
		lastAcked               int
		lastAckTime             time.Time
		maxGap                  time.Duration
		stalled                 time.Duration // sum of gaps over 100 ms
		writeErrs               []string
		reads, readErrs         int
		emptyReads              int
		readProblems            []string
	)
	// The loops are shell scripts, so that each write and each read is a
	// new process started by a small shell; they stop when stopFile exists.
	stopFile := filepath.Join(t.TempDir(), "stop")
	loop := func(script string, line func(string)) {
		cmd := exec.Command("sh", "-c", script)
		cmd.Env = append(os.Environ(), "F="+file, "STOP="+stopFile, "LC_ALL=C")
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = cmd.Stdout
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				line(sc.Text())
			}
			cmd.Wait()
		}()
	}
	lastAckTime = time.Now()
	// Writer: one process per value, as fast as it can. dd, not
	// `echo N > f`: shells ignore the result of close(2), where the commit
	// is reported; dd checks it.
	loop(`n=0
while [ ! -e "$STOP" ]; do
	n=$((n+1))
	if echo $n | dd of="$F" status=none; then echo "ok $n"; else echo "fail $n"; fi
done`, func(l string) {
		now := time.Now()
		mu.Lock()
		defer mu.Unlock()
		var n int
		switch {
		case sscan(l, "ok %d", &n):
			attempts++
			acked++
			lastAcked = n
			gap := now.Sub(lastAckTime)
			maxGap = max(maxGap, gap)
			if gap > 100*time.Millisecond {
				stalled += gap
			}
			lastAckTime = now
		case sscan(l, "fail %d", &n):
			attempts++
			failed++
			writeErrs = append(writeErrs, l)
		default:
			writeErrs = append(writeErrs, "dd: "+l)
		}
	})
	// Reader: one cat per read; values never go back.
	last := 0
	loop(`while [ ! -e "$STOP" ]; do
	if v=$(cat "$F"); then echo "v $v"; else echo "e"; fi
done`, func(l string) {
		mu.Lock()
		defer mu.Unlock()
		reads++
		v, err := strconv.Atoi(strings.TrimPrefix(l, "v "))
		switch {
		case l == "v ":
			// Empty: a writer's O_TRUNC open empties the kernel's
			// copy until its commit, as on a local file system
			// (ZooKeeper never holds it).
			emptyReads++
		case !strings.HasPrefix(l, "v "):
			readErrs++
			readProblems = append(readProblems, l)
		case err != nil:
			readProblems = append(readProblems, "bad value: "+l)
		case v < last:
			readProblems = append(readProblems, fmt.Sprintf("read %d after %d", v, last))
		default:
			last = v
		}
	})

	kills := 5
	if longRun() {
		kills = 20
	}
	start := time.Now()
	time.Sleep(2 * time.Second)
	for i := 0; i < kills; i++ {
		l := ens.Leader()
		if l < 0 {
			ens.WaitServing(t)
			l = ens.Leader()
		}
		m := ens.Members()[l]
		killed := time.Now()
		m.Kill()
		ens.WaitServing(t)
		t.Logf("kill %d: member %d; quorum serving again after %v", i+1, l+1, time.Since(killed).Round(time.Millisecond))
		m.Start(t)
		time.Sleep(time.Second)
	}
	// Keep writing until some writes succeeded after the last kill, so
	// that the last attempt is an acknowledged one.
	mu.Lock()
	ackedAtEnd := acked
	mu.Unlock()
	deadline := time.Now().Add(60 * time.Second)
	for {
		mu.Lock()
		n := acked
		mu.Unlock()
		if n >= ackedAtEnd+20 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := os.WriteFile(stopFile, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	elapsed := time.Since(start)

	mu.Lock()
	defer mu.Unlock()
	data, st, err := e.cl.Get(testCtx(t), "/fo")
	if err != nil {
		t.Fatal(err)
	}
	final, _ := strconv.Atoi(strings.TrimSpace(string(data)))
	t.Logf("failover: %d leader kills in %v; %d writes attempted (%.0f/s; %.0f/s outside the %v of gaps over 100 ms), %d acknowledged, %d failed; %d reads, %d read errors, %d empty reads; longest gap between acknowledged writes %v; final value %d at version %d",
		kills, elapsed.Round(time.Millisecond), attempts, float64(attempts)/elapsed.Seconds(),
		float64(attempts)/(elapsed-stalled).Seconds(), stalled.Round(time.Millisecond),
		acked, failed, reads, readErrs, emptyReads, maxGap.Round(time.Millisecond), final, st.Version)
	for _, w := range writeErrs {
		t.Logf("  %s", w)
	}
	if len(readProblems) > 0 {
		t.Errorf("%d read problems, first: %q", len(readProblems), readProblems[:min(5, len(readProblems))])
	}
	// The last attempt was acknowledged, so the value is exactly it.
	if final != lastAcked {
		t.Errorf("final value %d, last acknowledged write %d", final, lastAcked)
	}
	// One setData per applied write: every acknowledged write was applied
	// (version ≥ acked) and none twice (version ≤ attempts).
	if int(st.Version) < acked || int(st.Version) > attempts {
		t.Errorf("version %d: %d acknowledged writes, %d attempts", st.Version, acked, attempts)
	}
	if maxGap > 15*time.Second {
		t.Errorf("longest gap between acknowledged writes %v", maxGap)
	}
	// The mount reads the final value.
	if v, err := readInt(file); err != nil || v != final {
		t.Errorf("read through the mount: %d %v, want %d", v, err, final)
	}
}

// ---------------------------------------------------------------------------
// 2. Standalone server restarts; 5. hostile input; 6. ACLs.

// TestStandaloneRestart restarts the server within the session timeout (the
// session survives) and past it (a new session, the cache dropped).
func TestStandaloneRestart(t *testing.T) {
	needFUSE(t)
	zk := zktest.Start(t)

	t.Run("WithinTimeout", func(t *testing.T) {
		e := mountServers(t, zk.Addr(), zk.Addr(), 30*time.Second)
		e.create(t, "/rs", []byte("before"))
		if got := readVia(t, e.p("/rs/.data")); got != "before" {
			t.Fatalf("read %q", got)
		}
		id := e.c.Client().SessionID()
		zk.Stop()
		zk.Restart(t)
		waitLog(t, e, "revalidat", waitFor) // the reconnect was noticed
		if got := readVia(t, e.p("/rs/.data")); got != "before" {
			t.Fatalf("read after restart %q", got)
		}
		// A write through the mount works on the same session.
		eventually(t, "write after restart", func() bool {
			_, err := sh(t, "echo after > %s", q(e.p("/rs/.data")))
			return err == nil
		})
		if got := readVia(t, e.p("/rs/.data")); got != "after\n" {
			t.Fatalf("read after restart %q", got)
		}
		if got := e.c.Client().SessionID(); got != id {
			t.Fatalf("session %#x became %#x", id, got)
		}
		if strings.Contains(e.logs.String(), "session expired") {
			t.Fatalf("session expired:\n%s", e.logs.String())
		}
	})

	t.Run("PastTimeout", func(t *testing.T) {
		// 4 s is the least a server with tickTime 2000 grants.
		e := mountServers(t, zk.Addr(), zk.Addr(), 4*time.Second)
		e.create(t, "/rp", []byte("before"))
		if got := readVia(t, e.p("/rp/.data")); got != "before" {
			t.Fatalf("read %q", got)
		}
		id := e.c.Client().SessionID()
		zk.Stop()
		took := waitLog(t, e, "zookeeper session expired", waitFor)
		t.Logf("expiry declared %v after the server stopped", took)
		zk.Restart(t)
		// A change made by another client after the restart.
		ctx := testCtx(t)
		cl, err := zkclient.Connect(ctx, zkclient.Config{Servers: zk.Addr(), SessionTimeout: 10 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		defer cl.Close()
		if _, err := cl.Set(ctx, "/rp", []byte("changed"), -1); err != nil {
			t.Fatal(err)
		}
		waitLog(t, e, "new zookeeper session", waitFor)
		eventually(t, "value changed during the outage", func() bool {
			return readVia(t, e.p("/rp/.data")) == "changed"
		})
		if got := e.c.Client().SessionID(); got == id {
			t.Fatalf("same session %#x after expiry", id)
		}
		mustSh(t, "echo new > %s", q(e.p("/rp/.data")))
		if data, _, _ := cl.Get(ctx, "/rp"); string(data) != "new\n" {
			t.Fatalf("write after a new session: %q", data)
		}
		t.Logf("log:\n%s", e.logs.String())
	})
}

// TestHostileInput: what reaches the mount that it must refuse, and that
// nothing is lost. The errno table is in docs/reliability.md; the cases
// covered elsewhere (bad names, EEXIST, ENOTEMPTY, EFBIG, ESTALE) are in
// mount_test.go and write_test.go.
func TestHostileInput(t *testing.T) {
	e := newMountEnv(t, nil, zkfs.Options{})
	e.create(t, "/h", nil)

	t.Run("LongName", func(t *testing.T) {
		long := strings.Repeat("n", 256)
		err := os.Mkdir(e.p("/h/"+long), 0o755)
		if err == nil {
			// FUSE passes names up to 1024 bytes: the 255-byte
			// limit is the file system's to enforce.
			e.cl.Delete(testCtx(t), "/h/"+long, -1)
		}
		if _, ok, _ := e.cl.Exists(testCtx(t), "/h/"+long); ok {
			t.Fatalf("a 256-byte name reached ZooKeeper")
		}
		if errnoOf(err) != syscall.ENAMETOOLONG {
			t.Fatalf("mkdir of a 256-byte name: %v, want ENAMETOOLONG", err)
		}
		ok := strings.Repeat("n", 255)
		if err := os.Mkdir(e.p("/h/"+ok), 0o755); err != nil {
			t.Fatalf("mkdir of a 255-byte name: %v", err)
		}
		if _, ok2, _ := e.cl.Exists(testCtx(t), "/h/"+ok); !ok2 {
			t.Fatalf("255-byte name not created")
		}
	})

	t.Run("WriteToDeleted", func(t *testing.T) {
		e.create(t, "/h/del", []byte("v"))
		f, err := os.OpenFile(e.p("/h/del/.data"), os.O_WRONLY|os.O_TRUNC, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := e.cl.Delete(testCtx(t), "/h/del", -1); err != nil {
			t.Fatal(err)
		}
		f.WriteString("late")
		err = f.Close()
		if errnoOf(err) != syscall.ENOENT {
			t.Fatalf("close after a remote delete: %v, want ENOENT", err)
		}
		if _, ok, _ := e.cl.Exists(testCtx(t), "/h/del"); ok {
			t.Fatalf("the write re-created the znode")
		}
	})

	t.Run("DataNameAsChild", func(t *testing.T) {
		err := os.Mkdir(e.p("/h/.data"), 0o755)
		if errnoOf(err) != syscall.EEXIST {
			t.Fatalf("mkdir .data: %v, want EEXIST", err)
		}
	})

	t.Run("RmdirDataFile", func(t *testing.T) {
		e.create(t, "/h/rd", []byte("keep"))
		err := syscall.Rmdir(e.p("/h/rd/.data"))
		if err != syscall.ENOTDIR {
			t.Fatalf("rmdir of a data file: %v, want ENOTDIR", err)
		}
		if data, _ := e.get(t, "/h/rd"); string(data) != "keep" {
			t.Fatalf("data %q", data)
		}
	})

	t.Run("Rename", func(t *testing.T) {
		e.create(t, "/h/mv", []byte("moved data"))
		e.create(t, "/h/mv/kid", []byte("kid data"))
		// rename(2) either moves atomically or refuses with EXDEV;
		// nothing is lost either way.
		err := syscall.Rename(e.p("/h/mv"), e.p("/h/mv2"))
		t.Logf("rename(2) of a znode directory: %v", err)
		if err != nil && err != syscall.EXDEV {
			t.Fatalf("rename: %v, want success or EXDEV", err)
		}
		if err != nil {
			mustSh(t, "mv %s %s", q(e.p("/h/mv")), q(e.p("/h/mv2")))
		}
		if _, ok, _ := e.cl.Exists(testCtx(t), "/h/mv"); ok {
			t.Fatalf("old name left behind")
		}
		if d, _ := e.get(t, "/h/mv2"); string(d) != "moved data" {
			t.Fatalf("moved data %q", d)
		}
		if d, _ := e.get(t, "/h/mv2/kid"); string(d) != "kid data" {
			t.Fatalf("moved child data %q", d)
		}
		// Over an existing non-empty znode: refused, both kept.
		e.create(t, "/h/full", nil)
		e.create(t, "/h/full/x", nil)
		err = syscall.Rename(e.p("/h/mv2"), e.p("/h/full"))
		if err == nil {
			t.Fatalf("rename over a non-empty znode succeeded")
		}
		t.Logf("rename over a non-empty znode: %v", err)
		if _, ok, _ := e.cl.Exists(testCtx(t), "/h/full/x"); !ok {
			t.Fatalf("target's child lost")
		}
		if d, _ := e.get(t, "/h/mv2"); string(d) != "moved data" {
			t.Fatalf("source data %q", d)
		}
	})

	t.Run("ACLDenied", func(t *testing.T) {
		// Readable by an identity the mount does not hold.
		acl := []jute.ACL{{Perms: jute.PermAll, ID: jute.ID{Scheme: "digest", ID: digestID("someone", "secret")}}}
		if _, _, err := e.cl.Create(testCtx(t), "/h/locked", []byte("private"), jute.ModePersistent, acl); err != nil {
			t.Fatal(err)
		}
		// Its name is visible (the stat may already be refused).
		eventually(t, "denied znode", func() bool {
			_, err := os.Stat(e.p("/h/locked"))
			return err == nil || errnoOf(err) == syscall.EACCES
		})
		_, err := os.ReadFile(e.p("/h/locked/.data"))
		if errnoOf(err) != syscall.EACCES {
			t.Fatalf("read of a denied znode: %v, want EACCES", err)
		}
		err = os.WriteFile(e.p("/h/locked/.data"), []byte("x"), 0)
		if errnoOf(err) != syscall.EACCES {
			t.Fatalf("write of a denied znode: %v, want EACCES", err)
		}
	})
}

// TestACLModes: with AllowOther, permission bits come from each znode's ACL
// for the mount's identities, the kernel checks them (default_permissions)
// for another user, and a remote setACL changes them after a poll.
func TestACLModes(t *testing.T) {
	needFUSE(t)
	need(t, haveTool("setpriv"), "setpriv (util-linux)")
	zk := zktest.Start(t)
	dir := t.TempDir()
	for _, d := range []string{filepath.Dir(dir), dir} { // another user must reach it
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c, err := cache.Open(ctx, cache.Options{Client: zkclient.Config{Servers: zk.Addr(), SessionTimeout: 10 * time.Second,
		Auth: []zkclient.Auth{{Scheme: "digest", Auth: []byte("me:pw")}}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	srv, err := zkfs.Mount(dir, c, zkfs.Options{AllowOther: true, ACLPoll: 50 * time.Millisecond,
		Identities: []jute.ID{{Scheme: "digest", ID: zkfs.DigestID("me:pw")}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unmount(t, srv, dir) })
	if opts := mountOptions(t, dir); !strings.Contains(opts, "allow_other") || !strings.Contains(opts, "default_permissions") {
		t.Fatalf("mount options %s: want allow_other and default_permissions", opts)
	}
	world := func(perms int32) []jute.ACL {
		return []jute.ACL{{Perms: perms, ID: jute.ID{Scheme: "world", ID: "anyone"}}}
	}
	digest := func(id string) []jute.ACL {
		return []jute.ACL{{Perms: jute.PermAll, ID: jute.ID{Scheme: "digest", ID: id}}}
	}
	for _, z := range []struct {
		name          string
		acl           []jute.ACL
		dirMode, data os.FileMode
	}{
		{"open", world(jute.PermAll), 0o755, 0o644},
		{"readonly", world(jute.PermRead | jute.PermAdmin), 0o555, 0o444},
		{"mine", digest(zkfs.DigestID("me:pw")), 0o755, 0o644},
		{"theirs", digest(digestID("someone", "secret")), 0o311, 0o200},
	} {
		if _, _, err := c.Client().Create(ctx, "/"+z.name, []byte("v"), jute.ModePersistent, z.acl); err != nil {
			t.Fatal(err)
		}
		for p, want := range map[string]os.FileMode{z.name: z.dirMode, z.name + "/.data": z.data} {
			st, err := os.Stat(filepath.Join(dir, p))
			if err != nil {
				t.Fatal(err)
			}
			if st.Mode().Perm() != want {
				t.Fatalf("%s: mode %v, want %v", p, st.Mode().Perm(), want)
			}
		}
	}
	// Another user: reads what the ACL lets the mount read, writes nothing.
	nobody := func(script string) (string, error) {
		out, err := exec.Command("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
			"sh", "-c", script).CombinedOutput()
		return string(out), err
	}
	if out, err := nobody("cat " + q(filepath.Join(dir, "open", ".data"))); err != nil || out != "v" {
		t.Fatalf("other user reading a world-readable znode: %q %v", out, err)
	}
	if out, err := nobody("echo x > " + q(filepath.Join(dir, "open", ".data"))); err == nil || !strings.Contains(out, "Permission denied") {
		t.Fatalf("other user writing: %q %v, want Permission denied", out, err)
	}
	// A remote setACL reaches the modes through the poll.
	if _, err := e2SetACL(ctx, c, "/readonly", world(jute.PermAll)); err != nil {
		t.Fatal(err)
	}
	eventually(t, "mode after a remote setACL", func() bool {
		st, err := os.Stat(filepath.Join(dir, "readonly", ".data"))
		return err == nil && st.Mode().Perm() == 0o644
	})
}

// e2SetACL sets an ACL on a session other than the cache's, so that the
// mount learns of it only by polling.
func e2SetACL(ctx context.Context, c *cache.Cache, p string, acl []jute.ACL) (jute.Stat, error) {
	cl, err := zkclient.Connect(ctx, zkclient.Config{Servers: c.Client().Server(), SessionTimeout: 10 * time.Second})
	if err != nil {
		return jute.Stat{}, err
	}
	defer cl.Close()
	return cl.SetACL(ctx, p, acl, -1)
}

// digestID is ZooKeeper's digest ACL id for user:password.
func digestID(user, password string) string { return zkfs.DigestID(user + ":" + password) }

// ---------------------------------------------------------------------------
// 3./4. Through a fault proxy.

// TestFaultProxy mounts through a TCP proxy with a 4 s session timeout:
// a black hole (half-open connection) is noticed, then outlasts the session
// (expiry, a new session, no stale read); added latency keeps operations
// correct; resets in the middle of requests duplicate nothing.
func TestFaultProxy(t *testing.T) {
	needFUSE(t)
	zk := zktest.Start(t)
	px := zktest.NewProxy(t, zk.Addr())
	const timeout = 4 * time.Second
	e := mountServers(t, px.Addr(), zk.Addr(), timeout)

	t.Run("HalfOpenThenExpiry", func(t *testing.T) {
		e.create(t, "/px", []byte("old"))
		if got := readVia(t, e.p("/px/.data")); got != "old" {
			t.Fatalf("read %q", got)
		}
		// An ephemeral znode made through the mount (mkdir with the
		// sticky bit) belongs to the mount's session.
		mustSh(t, "mkdir -m 1755 %s", q(e.p("/px/eph")))
		if st, ok, err := e.cl.Exists(testCtx(t), "/px/eph"); err != nil || !ok || st.EphemeralOwner != e.c.Client().SessionID() {
			t.Fatalf("ephemeral: %v %v owner %#x", ok, err, st.EphemeralOwner)
		}
		id := e.c.Client().SessionID()
		negotiated := e.c.Client().SessionTimeout()
		px.Blackhole(true)
		blackholed := time.Now()
		detect := waitLog(t, e, "zookeeper connection lost", waitFor)
		t.Logf("half-open connection detected after %v (negotiated timeout %v, 2/3 of it %v)",
			detect.Round(time.Millisecond), negotiated, (negotiated * 2 / 3).Round(time.Millisecond))
		if detect > 3*negotiated {
			t.Errorf("half-open connection detected after %v", detect)
		}
		// Changed by another client while the mount cannot hear.
		if _, err := e.cl.Set(testCtx(t), "/px", []byte("new"), -1); err != nil {
			t.Fatal(err)
		}
		waitLog(t, e, "zookeeper session expired", waitFor)
		t.Logf("expiry declared %v after the black hole began", time.Since(blackholed).Round(time.Millisecond))
		px.Blackhole(false)
		waitLog(t, e, "new zookeeper session", waitFor)
		if got := e.c.Client().SessionID(); got == id {
			t.Fatalf("same session after expiry")
		}
		eventually(t, "fresh value after a new session", func() bool {
			return readVia(t, e.p("/px/.data")) == "new"
		})
		for i := 0; i < 20; i++ {
			if got := readVia(t, e.p("/px/.data")); got != "new" {
				t.Fatalf("stale read %q after recovery", got)
			}
		}
		// The ephemeral went with the old session.
		eventually(t, "ephemeral gone with the old session", func() bool {
			_, ok, err := e.cl.Exists(testCtx(t), "/px/eph")
			_, serr := os.Stat(e.p("/px/eph"))
			return err == nil && !ok && os.IsNotExist(serr)
		})
		mustSh(t, "echo again > %s", q(e.p("/px/.data")))
		if d, _ := e.get(t, "/px"); string(d) != "again\n" {
			t.Fatalf("write after recovery: %q", d)
		}
	})

	t.Run("Latency", func(t *testing.T) {
		px.SetLatency(20 * time.Millisecond)
		defer px.SetLatency(0)
		mustSh(t, "mkdir %s", q(e.p("/lat")))
		start := time.Now()
		for i := 0; i < 10; i++ {
			mustSh(t, "mkdir %s && echo %d > %s", q(e.p(fmt.Sprintf("/lat/n%d", i))), i, q(e.p(fmt.Sprintf("/lat/n%d/.data", i))))
		}
		t.Logf("10 mkdir+write with 20 ms added each way: %v", time.Since(start).Round(time.Millisecond))
		for i := 0; i < 10; i++ {
			zp := fmt.Sprintf("/lat/n%d", i)
			if d, st := e.get(t, zp); string(d) != fmt.Sprintf("%d\n", i) || st.Version != 1 {
				t.Fatalf("%s: %q v%d", zp, d, st.Version)
			}
			if got := readVia(t, e.p(zp+"/.data")); got != fmt.Sprintf("%d\n", i) {
				t.Fatalf("read %s: %q", zp, got)
			}
		}
		if out := mustSh(t, "ls %s | wc -l", q(e.p("/lat"))); strings.TrimSpace(out) != "10" {
			t.Fatalf("ls: %s", out)
		}
	})

	t.Run("ResetsDuplicateNothing", func(t *testing.T) {
		mustSh(t, "mkdir %s", q(e.p("/cut")))
		stopCuts := make(chan struct{})
		cutsDone := make(chan int)
		go func() {
			n := 0
			for {
				select {
				case <-stopCuts:
					cutsDone <- n
					return
				case <-time.After(150 * time.Millisecond):
					px.CutAll()
					n++
				}
			}
		}()
		const ops = 60
		mkOK := map[int]bool{}
		wrOK := map[int]bool{}
		var failures []string
		for i := 0; i < ops; i++ {
			d := e.p(fmt.Sprintf("/cut/d%d", i))
			if out, err := sh(t, "mkdir %s", q(d)); err == nil {
				mkOK[i] = true
			} else {
				failures = append(failures, strings.TrimSpace(out))
			}
			if out, err := sh(t, "echo %d > %s", i, q(d+"/.data")); err == nil {
				wrOK[i] = true
			} else {
				failures = append(failures, strings.TrimSpace(out))
			}
		}
		close(stopCuts)
		cuts := <-cutsDone
		t.Logf("%d connection resets during %d mkdir+write pairs: %d mkdirs and %d writes acknowledged; failures: %q",
			cuts, ops, len(mkOK), len(wrOK), failures)
		kids, _, err := e.cl.Children(testCtx(t), "/cut")
		if err != nil {
			t.Fatal(err)
		}
		exists := map[string]bool{}
		for _, k := range kids {
			exists[k] = true
		}
		if len(kids) > ops {
			t.Fatalf("%d children for %d mkdirs", len(kids), ops)
		}
		appliedAnyway := 0
		for i := 0; i < ops; i++ {
			name := fmt.Sprintf("d%d", i)
			if !mkOK[i] && exists[name] {
				appliedAnyway++
			}
			if mkOK[i] && !exists[name] {
				t.Errorf("acknowledged mkdir %s missing", name)
			}
			if !exists[name] {
				continue
			}
			data, st := e.get(t, "/cut/"+name)
			// One setData at most per znode: version 1 at most.
			if st.Version > 1 {
				t.Errorf("%s: version %d, a write was applied twice", name, st.Version)
			}
			if wrOK[i] && (st.Version != 1 || string(data) != fmt.Sprintf("%d\n", i)) {
				t.Errorf("acknowledged write to %s: %q v%d", name, data, st.Version)
			}
		}
		t.Logf("%d failed mkdirs (EAGAIN) had been applied", appliedAnyway)
	})
}

// ---------------------------------------------------------------------------
// 6. Credentials, TLS, allow_other.

// TestAuthFileNotExposed mounts with the binary and --auth-file: the
// credential opens a znode only it may read, and it appears neither in the
// process's argv nor in its (debug) log. The mount is not allow_other.
func TestAuthFileNotExposed(t *testing.T) {
	needFUSE(t)
	zk := zktest.Start(t)
	const secret = "s3cr3t-Pa55word"
	ctx := testCtx(t)
	cl, err := zkclient.Connect(ctx, zkclient.Config{Servers: zk.Addr()})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	acl := []jute.ACL{{Perms: jute.PermAll, ID: jute.ID{Scheme: "digest", ID: digestID("app", secret)}}}
	if _, _, err := cl.Create(ctx, "/sec", []byte("for app only"), jute.ModePersistent, acl); err != nil {
		t.Fatal(err)
	}
	authFile := filepath.Join(t.TempDir(), "auth")
	if err := os.WriteFile(authFile, []byte("# zkfs credentials\ndigest:app:"+secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	zp := startBinary(t, dir, "--debug", "--auth-file", authFile, zk.Addr(), dir)
	cmd, stderr := zp.cmd, zp.logs
	if got, err := os.ReadFile(filepath.Join(dir, "sec", ".data")); err != nil || string(got) != "for app only" {
		t.Fatalf("read with the credential: %q %v", got, err)
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(cmdline, []byte(secret)) {
		t.Fatalf("credential in argv: %q", cmdline)
	}
	environ, _ := os.ReadFile(fmt.Sprintf("/proc/%d/environ", cmd.Process.Pid))
	if bytes.Contains(environ, []byte(secret)) {
		t.Fatalf("credential in the environment")
	}
	if strings.Contains(stderr.String(), secret) {
		t.Fatalf("credential logged:\n%s", stderr.String())
	}
	// allow_other is off unless asked for.
	if opts := mountOptions(t, dir); strings.Contains(opts, "allow_other") {
		t.Fatalf("allow_other without --allow-other: %s", opts)
	}
}

// binaryEnv mounts servers with the zkfs binary (args are extra flags) and
// opens an independent session on them. The env has no cache or server.
func binaryEnv(t *testing.T, servers string, args ...string) *mountEnv {
	t.Helper()
	e := &mountEnv{dir: t.TempDir()}
	e.logs = startBinary(t, e.dir, append(args, servers, e.dir)...).logs
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cl, err := zkclient.Connect(ctx, zkclient.Config{Servers: servers, SessionTimeout: 30 * time.Second})
	if err != nil {
		t.Fatalf("independent session: %v", err)
	}
	t.Cleanup(func() { cl.Close() })
	e.cl = cl
	return e
}

// mountOptions returns the mount and super options of the mount at dir.
func mountOptions(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) > 5 && unescapeMount(f[4]) == dir {
			return line
		}
	}
	t.Fatalf("%s not in mountinfo", dir)
	return ""
}

// TestTLSWrongCA: with --tls-ca naming a CA that did not sign the server's
// certificate, the binary refuses the server; with the right CA it mounts.
func TestTLSWrongCA(t *testing.T) {
	needFUSE(t)
	zk := zktest.Start(t, zktest.WithTLS())
	wrong := filepath.Join(t.TempDir(), "other-ca.pem")
	if err := os.WriteFile(wrong, selfSignedCA(t), 0o644); err != nil {
		t.Fatal(err)
	}
	stderr, code := runZkfs(t, 90*time.Second, "--connect-timeout=8s", "--tls-ca", wrong, zk.SecureAddr(), t.TempDir())
	if code == 0 {
		t.Fatalf("mounted with a wrong CA")
	}
	t.Logf("wrong CA: exit %d: %s", code, strings.TrimSpace(stderr))
	if !regexp.MustCompile(`(?i)certificate|x509`).MatchString(stderr) {
		t.Fatalf("no reason given: %q", stderr)
	}
	dir := t.TempDir()
	startBinary(t, dir, "--tls-ca", zk.CAFile(), zk.SecureAddr(), dir)
	mustSh(t, "mkdir %s && echo tls > %s", q(dir+"/tls"), q(dir+"/tls/.data"))
	if got := mustZkcli(t, zk.Addr(), "get", "/tls"); got != "tls\n" {
		t.Fatalf("value %q", got)
	}
}

// selfSignedCA returns the PEM certificate of a fresh CA.
func selfSignedCA(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(7),
		Subject:               pkix.Name{CommonName: "not the zkfs test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// ---------------------------------------------------------------------------
// 7. Stress.

// stressScript is one worker: mixed operations in its own subtree and on
// a shared znode, for $2 seconds. Every failing command prints "FAIL"
// and its message on stderr.
const stressScript = `
dir=$1; shared=$3; end=$(( $(date +%s) + $2 )); i=0
mkdir "$dir" || echo "FAIL mkdir $dir" >&2
while [ "$(date +%s)" -lt "$end" ]; do
  i=$((i+1))
  d="$dir/n$i"
  mkdir "$d" || echo "FAIL mkdir $d" >&2
  echo "$i" > "$d/.data" || echo "FAIL write $d" >&2
  [ "$(cat "$d/.data")" = "$i" ] || echo "FAIL read $d" >&2
  echo "w$i" > "$shared/.data" || echo "FAIL write shared" >&2
  cat "$shared/.data" > /dev/null || echo "FAIL read shared" >&2
  echo "a$i" >> "$shared/.data" 2>/dev/null || echo "ESTALE-OR-FAIL append shared" >&2
  ls -l "$dir" > /dev/null || echo "FAIL ls $dir" >&2
  if [ $((i % 3)) = 0 ]; then rmdir "$dir/n$((i-1))" || echo "FAIL rmdir" >&2; fi
done
echo "DONE $i"
`

func vmRSS() int64 {
	b, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			f := strings.Fields(line)
			if len(f) >= 2 {
				kb, _ := strconv.ParseInt(f[1], 10, 64)
				return kb << 10
			}
		}
	}
	return 0
}

// TestStress runs 8 processes of mixed operations through an in-process
// mount for 10 s (60 s with ZKFS_LONG=1): only documented errors, no
// goroutine left after unmount, RSS stable.
func TestStress(t *testing.T) {
	needFUSE(t)
	zk := zktest.Start(t)
	secs := 10
	if longRun() {
		secs = 60
	}
	runtime.GC()
	before := runtime.NumGoroutine()
	e := &mountEnv{zk: zk, dir: t.TempDir(), logs: &logBuffer{}}
	log := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := cache.Open(ctx, cache.Options{Client: zkclient.Config{Servers: zk.Addr(), SessionTimeout: 10 * time.Second}, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := zkfs.Mount(e.dir, c, zkfs.Options{Logger: log})
	if err != nil {
		c.Close()
		t.Fatal(err)
	}
	unmounted := false
	defer func() {
		if !unmounted {
			unmount(t, srv, e.dir)
			c.Close()
		}
	}()
	mustSh(t, "mkdir %s", q(e.dir+"/st"))
	mustSh(t, "mkdir %s && echo 0 > %s", q(e.dir+"/st/shared"), q(e.dir+"/st/shared/.data"))

	const workers = 8
	var wg sync.WaitGroup
	outs := make([]string, workers)
	errs := make([]string, workers)
	var rssMid int64
	var heapMid uint64
	wg.Add(workers)
	for w := 0; w < workers; w++ {
		go func() {
			defer wg.Done()
			cmd := exec.Command("sh", "-c", stressScript, "stress",
				fmt.Sprintf("%s/st/w%d", e.dir, w), strconv.Itoa(secs), e.dir+"/st/shared")
			var so, se bytes.Buffer
			cmd.Stdout, cmd.Stderr = &so, &se
			if err := cmd.Run(); err != nil {
				se.WriteString("FAIL exit " + err.Error())
			}
			outs[w], errs[w] = so.String(), se.String()
		}()
	}
	time.Sleep(time.Duration(secs) * time.Second / 3)
	rssMid, heapMid = vmRSS(), liveHeap()
	wg.Wait()
	rssEnd, heapEnd := vmRSS(), liveHeap()
	total, estale := 0, 0
	for w := 0; w < workers; w++ {
		var k int
		if n, err := fmt.Sscanf(outs[w], "DONE %d", &k); n == 1 && err == nil {
			total += k
		} else {
			t.Errorf("worker %d did not finish: %q %q", w, outs[w], errs[w])
		}
		for _, line := range strings.Split(strings.TrimSpace(errs[w]), "\n") {
			switch {
			case line == "":
			case strings.HasPrefix(line, "ESTALE-OR-FAIL"), strings.Contains(line, "Stale file handle"):
				estale++
			default:
				t.Errorf("worker %d: %s", w, line)
			}
		}
	}
	t.Logf("stress: %d workers × %d s: %d iterations (%d ops), %d appends refused (ESTALE, conflicting writers); RSS %d MiB at 1/3, %d MiB at the end; live Go heap %.1f MiB at 1/3, %.1f MiB at the end",
		workers, secs, total, total*8, estale, rssMid>>20, rssEnd>>20, float64(heapMid)/(1<<20), float64(heapEnd)/(1<<20))
	if rssEnd > 2*rssMid+64<<20 {
		t.Errorf("RSS grew from %d MiB to %d MiB", rssMid>>20, rssEnd>>20)
	}
	if heapEnd > 2*heapMid+32<<20 {
		t.Errorf("live heap grew from %d MiB to %d MiB", heapMid>>20, heapEnd>>20)
	}
	if logs := e.logs.String(); strings.Contains(logs, "level=ERROR") {
		t.Errorf("error log lines:\n%s", logs)
	}
	// Everything stopped after unmount and close.
	unmount(t, srv, e.dir)
	c.Close()
	unmounted = true
	var after int
	deadline := time.Now().Add(waitFor)
	for {
		runtime.GC()
		after = runtime.NumGoroutine()
		if after <= before+2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("goroutines: %d before the mount, %d after unmount", before, after)
	if after > before+2 {
		buf := make([]byte, 1<<20)
		t.Errorf("goroutine leak: %d before, %d after\n%s", before, after, buf[:runtime.Stack(buf, true)])
	}
}
