package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	zkfs "github.com/zkfs/zkfs/fs"
	"github.com/zkfs/zkfs/internal/zktest"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
	buildOut  []byte
	buildDir  string
)

// zkfsBinary builds the binary once per test run.
func zkfsBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "zkfs-bin-")
		if buildErr != nil {
			return
		}
		binPath = filepath.Join(buildDir, "zkfs")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		buildOut, buildErr = exec.CommandContext(ctx, "go", "build", "-o", binPath, ".").CombinedOutput()
	})
	if buildErr != nil {
		t.Fatalf("go build: %v\n%s", buildErr, buildOut)
	}
	return binPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// binaryProc is a zkfs binary serving a mount in the foreground.
type binaryProc struct {
	cmd    *exec.Cmd
	logs   *logBuffer    // its stderr
	exited chan struct{} // closed when it has exited
	err    error         // what Wait returned; set before exited closes
}

// startBinary runs the zkfs binary in the foreground until the mount
// answers (the root lists "zookeeper"); cleanups stop it (SIGTERM, then
// SIGKILL after 30 s) and unmount.
func startBinary(t *testing.T, dir string, args ...string) *binaryProc {
	t.Helper()
	p := &binaryProc{cmd: exec.Command(zkfsBinary(t), args...), logs: &logBuffer{}, exited: make(chan struct{})}
	p.cmd.Stderr = p.logs
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.exited:
		case <-time.After(30 * time.Second):
			p.cmd.Process.Kill()
			<-p.exited
		}
		if mounted, _ := isMountpoint(dir); mounted {
			exec.Command("umount", "-l", dir).Run()
		}
	})
	eventually(t, "mount by the binary", func() bool {
		select {
		case <-p.exited:
			t.Fatalf("zkfs exited early: %v\n%s", p.err, p.logs.String())
		default:
		}
		_, err := os.Stat(filepath.Join(dir, "zookeeper"))
		return err == nil
	})
	return p
}

// runZkfs runs the binary to completion (bounded) and returns stderr and
// the exit code.
func runZkfs(t *testing.T, timeout time.Duration, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, zkfsBinary(t), args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("zkfs %v did not exit within %v; stderr:\n%s", args, timeout, stderr.String())
	}
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run zkfs: %v", err)
	}
	return stderr.String(), code
}

// oneLineErr checks that the failure is ONE line on stderr.
func oneLineErr(t *testing.T, stderr string, code int, want string) {
	t.Helper()
	if code == 0 {
		t.Fatalf("exit 0, want failure; stderr %q", stderr)
	}
	lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], want) {
		t.Fatalf("stderr %q: want one line containing %q", stderr, want)
	}
}

func TestCLIHelpVersion(t *testing.T) {
	out, err := exec.Command(zkfsBinary(t), "--help").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Usage:", "zkfs [flags] SERVERS[/CHROOT] MOUNTPOINT", "Examples:", ".data",
		"--read-only", "--auth-file", "ZooKeeper flags:", "Mount flags:", "Running flags:", "--metrics-addr",
		"mount -t fuse.zkfs", "fuse.zkfs  ro,allow_other", "umount /mnt", "zk1:2181/kafka", "-o, --options"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("--help lacks %q", want)
		}
	}
	out, err = exec.Command(zkfsBinary(t), "--version").Output()
	if err != nil || !strings.HasPrefix(string(out), "zkfs ") {
		t.Fatalf("--version: %q %v", out, err)
	}
	stderr, code := runZkfs(t, time.Minute, "onlyone")
	if code != 2 {
		t.Fatalf("usage error exit %d", code)
	}
	oneLineErr(t, stderr, code, "MOUNTPOINT")
}

func TestCLIMissingMountpoint(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope")
	stderr, code := runZkfs(t, time.Minute, "127.0.0.1:1", missing)
	oneLineErr(t, stderr, code, "does not exist")
}

func TestCLIBusyMountpoint(t *testing.T) {
	needFUSE(t)
	zk := zktest.Start(t)
	e := newMountEnv(t, zk, zkfs.Options{})
	stderr, code := runZkfs(t, time.Minute, zk.Addr(), e.dir)
	oneLineErr(t, stderr, code, "busy")
}

func TestCLINoServer(t *testing.T) {
	// A port that accepts nothing: listen, take the port, close.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	start := time.Now()
	stderr, code := runZkfs(t, 90*time.Second, "--connect-timeout=2s", addr, t.TempDir())
	t.Logf("gave up after %v", time.Since(start))
	oneLineErr(t, stderr, code, "no ZooKeeper server")
}

func TestCLIMountAndSignal(t *testing.T) {
	needFUSE(t)
	zk := zktest.Start(t)
	dir := t.TempDir()
	zp := startBinary(t, dir, "--log-format=json", zk.Addr(), dir)
	cmd, exited, stderr := zp.cmd, zp.exited, zp.logs
	mustSh(t, "mkdir %s && echo hi > %s", q(dir+"/cli"), q(dir+"/cli/.data"))
	if got := mustZkcli(t, zk.Addr(), "get", "/cli"); got != "hi\n" {
		t.Fatalf("server value %q", got)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-exited:
		if zp.err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", zp.err, stderr.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("zkfs did not exit after SIGTERM\n%s", stderr.String())
	}
	if mounted, err := isMountpoint(dir); err != nil || mounted {
		t.Fatalf("still mounted after SIGTERM (%v)", err)
	}
	if !strings.Contains(stderr.String(), `"msg":"unmounted"`) {
		t.Fatalf("no unmount log line:\n%s", stderr.String())
	}
}
