package main

// End-to-end tests: a real ZooKeeper (internal/zktest), a real FUSE mount,
// real shell tools, and independent second clients (a zkclient session in
// this process, and kazoo through testdata/zkcli.py) that make remote
// changes and check what the mount did.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
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

// waitFor is the generous deadline for conditions that need a round trip
// through ZooKeeper and the kernel (the machine may be heavily loaded).
const waitFor = 20 * time.Second

// need skips (or, with CI set, fails) when a prerequisite is missing.
func need(t testing.TB, ok bool, what string) {
	t.Helper()
	if ok {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("prerequisite missing: %s", what)
	}
	t.Skipf("prerequisite missing: %s", what)
}

func haveTool(name string) bool {
	_, err := exec.LookPath(name)
	return err == nil
}

// needFUSE checks that this process can mount.
func needFUSE(t testing.TB) {
	t.Helper()
	_, err := os.Stat("/dev/fuse")
	need(t, err == nil, "/dev/fuse")
	need(t, os.Geteuid() == 0 || haveTool("fusermount3"), "root or fusermount3")
}

// logBuffer collects the daemon's log lines for assertions. mu guards b.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	os.Stderr.Write(p)
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// mountEnv is one server, one mount and one independent session.
type mountEnv struct {
	zk   *zktest.Server
	c    *cache.Cache
	srv  *zkfs.Server
	dir  string           // the mount point
	cl   *zkclient.Client // independent second session
	logs *logBuffer
}

// newMountEnv starts a server (or uses zk), mounts it in-process and
// registers cleanups that unmount even when the test failed.
func newMountEnv(t *testing.T, zk *zktest.Server, opts zkfs.Options) *mountEnv {
	t.Helper()
	needFUSE(t)
	if zk == nil {
		zk = zktest.Start(t)
	}
	e := &mountEnv{zk: zk, dir: t.TempDir(), logs: &logBuffer{}}
	log := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := cache.Open(ctx, cache.Options{Client: zkclient.Config{Servers: zk.Addr(), SessionTimeout: 10 * time.Second}, Logger: log})
	if err != nil {
		t.Fatalf("cache.Open: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	e.c = c
	opts.Logger = log
	srv, err := zkfs.Mount(e.dir, c, opts)
	if err != nil {
		t.Fatalf("mount: %v", err)
	}
	e.srv = srv
	t.Cleanup(func() { unmount(t, srv, e.dir) })
	cl, err := zkclient.Connect(ctx, zkclient.Config{Servers: zk.Addr(), SessionTimeout: 10 * time.Second})
	if err != nil {
		t.Fatalf("second session: %v", err)
	}
	t.Cleanup(func() { cl.Close() })
	e.cl = cl
	return e
}

// unmount unmounts, falling back to a lazy umount so that no mount is
// left behind by a failed test.
func unmount(t testing.TB, srv *zkfs.Server, dir string) {
	done := make(chan error, 1)
	go func() { done <- srv.Unmount() }()
	select {
	case err := <-done:
		if err == nil {
			return
		}
		t.Logf("unmount %s: %v; trying umount -l", dir, err)
	case <-time.After(30 * time.Second):
		t.Logf("unmount %s hangs; trying umount -l", dir)
	}
	if out, err := exec.Command("umount", "-l", dir).CombinedOutput(); err != nil {
		t.Logf("umount -l %s: %v %s", dir, err, out)
	}
}

// p returns the mount path of a znode path.
func (e *mountEnv) p(zpath string) string { return filepath.Join(e.dir, zpath) }

// ctx returns a context for one call of the second session.
func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// sh runs a shell command and returns its combined output and error.
func sh(t testing.TB, cmd string, args ...any) (string, error) {
	t.Helper()
	c := fmt.Sprintf(cmd, args...)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "sh", "-c", c).CombinedOutput()
	return string(out), err
}

// mustSh is sh that fails the test on error.
func mustSh(t testing.TB, cmd string, args ...any) string {
	t.Helper()
	out, err := sh(t, cmd, args...)
	if err != nil {
		t.Fatalf("%s: %v\n%s", fmt.Sprintf(cmd, args...), err, out)
	}
	return out
}

// q quotes a string for sh.
func q(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// zkcli runs testdata/zkcli.py (kazoo), the independent client.
func zkcli(t testing.TB, addr string, args ...string) (string, error) {
	t.Helper()
	need(t, haveTool("/usr/bin/python3"), "/usr/bin/python3")
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/usr/bin/python3", append([]string{"testdata/zkcli.py", addr}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil && strings.Contains(stderr.String(), "No module named 'kazoo'") {
		need(t, false, "python3-kazoo")
	}
	if err != nil {
		return string(out), fmt.Errorf("zkcli %v: %w: %s", args, err, stderr.String())
	}
	return string(out), nil
}

func mustZkcli(t testing.TB, addr string, args ...string) string {
	t.Helper()
	out, err := zkcli(t, addr, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// eventually polls cond until it holds or waitFor passes, and returns how
// long it took. It never asserts on the time itself.
func eventually(t testing.TB, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		if cond() {
			d := time.Since(start)
			t.Logf("%s: visible after %v", what, d)
			return d
		}
		if time.Since(start) > waitFor {
			t.Fatalf("%s: not visible after %v", what, waitFor)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// errnoOf extracts the errno from an *os.PathError chain.
func errnoOf(err error) syscall.Errno {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno
	}
	return 0
}

// create makes a znode through the second session and waits until the
// mount shows it (a remote change reaches the mount asynchronously, by the
// watch event).
func (e *mountEnv) create(t testing.TB, zpath string, data []byte) jute.Stat {
	t.Helper()
	_, st, err := e.cl.Create(testCtx(t), zpath, data, jute.ModePersistent, nil)
	if err != nil {
		t.Fatalf("create %s: %v", zpath, err)
	}
	e.waitVisible(t, zpath)
	return st
}

// waitVisible waits until the znode at zpath can be seen through the mount.
func (e *mountEnv) waitVisible(t testing.TB, zpath string) {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for {
		if _, err := os.Stat(e.p(zpath)); err == nil {
			return
		} else if time.Now().After(deadline) {
			t.Fatalf("%s not visible through the mount: %v", zpath, err)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// get reads a znode through the second session.
func (e *mountEnv) get(t testing.TB, zpath string) ([]byte, jute.Stat) {
	t.Helper()
	data, st, err := e.cl.Get(testCtx(t), zpath)
	if err != nil {
		t.Fatalf("get %s: %v", zpath, err)
	}
	return data, st
}
