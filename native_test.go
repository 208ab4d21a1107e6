package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/zkfs/zkfs/internal/zktest"
	"github.com/zkfs/zkfs/jute"
	"github.com/zkfs/zkfs/zkclient"
)

// seed creates znodes (path → data) through an independent session.
func seed(t *testing.T, addr string, nodes ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cl, err := zkclient.Connect(ctx, zkclient.Config{Servers: addr})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	for i := 0; i+1 < len(nodes); i += 2 {
		if _, _, err := cl.Create(ctx, nodes[i], []byte(nodes[i+1]), jute.ModePersistent, nil); err != nil {
			t.Fatalf("create %s: %v", nodes[i], err)
		}
	}
}

// logPid returns the pid from the JSON "mounted" line of a log.
func logPid(t *testing.T, log string) int {
	t.Helper()
	for _, line := range strings.Split(log, "\n") {
		var rec struct {
			Msg string `json:"msg"`
			Pid int    `json:"pid"`
		}
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "mounted" && rec.Pid > 0 {
			return rec.Pid
		}
	}
	t.Fatalf("no mounted line with a pid in the log:\n%s", log)
	return 0
}

// processGone reports whether pid has exited (or is a zombie nobody reaps).
func processGone(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	return len(f) > 0 && (f[0] == "Z" || f[0] == "X")
}

// cleanupDaemon makes sure that neither the mount nor the background
// process outlives the test.
func cleanupDaemon(t *testing.T, dir, logFile string) {
	t.Cleanup(func() {
		if mounted, _ := isMountpoint(dir); mounted {
			exec.Command("umount", "-l", dir).Run()
		}
		b, _ := os.ReadFile(logFile)
		for _, line := range strings.Split(string(b), "\n") {
			var rec struct {
				Msg string `json:"msg"`
				Pid int    `json:"pid"`
			}
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "mounted" && rec.Pid > 0 && !processGone(rec.Pid) {
				syscall.Kill(rec.Pid, syscall.SIGKILL)
			}
		}
	})
}

// checkDaemonMount checks a read-only mount of /nat (data file _data) made
// by a background zkfs, unmounts it with umount and waits for the process
// to end cleanly.
func checkDaemonMount(t *testing.T, dir, logFile string) {
	t.Helper()
	// Returned only once ready: no waiting here.
	if mounted, err := isMountpoint(dir); err != nil || !mounted {
		t.Fatalf("not mounted when the command returned (%v)", err)
	}
	if got := mustSh(t, "cat %s", q(dir+"/cfg/_data")); got != "port=1\n" {
		t.Fatalf("cat = %q", got)
	}
	if got := strings.Fields(mustSh(t, "ls %s", q(dir))); strings.Join(got, " ") != "_data cfg" {
		t.Fatalf("ls = %q", got)
	}
	if out, err := sh(t, "echo x > %s", q(dir+"/cfg/_data")); err == nil || !strings.Contains(out, "Read-only") {
		t.Fatalf("write on a ro mount: %v %q", err, out)
	}
	b, _ := os.ReadFile(logFile)
	pid := logPid(t, string(b))
	if processGone(pid) {
		t.Fatalf("background process %d is gone while mounted", pid)
	}
	mustSh(t, "umount %s", q(dir))
	eventually(t, "daemon exit after umount", func() bool { return processGone(pid) })
	eventually(t, "unmounted log line", func() bool {
		b, _ := os.ReadFile(logFile)
		return strings.Contains(string(b), `"msg":"unmounted"`)
	})
	if mounted, _ := isMountpoint(dir); mounted {
		t.Fatal("still mounted")
	}
}

func TestMountOptionsParse(t *testing.T) {
	c, err := parseFlags([]string{"zk:2181/app", "/mnt", "-o",
		"rw,ro,allow_other,dev,suid,exec,nosuid,_netdev,nofail,defaults,x-systemd.automount,default_permissions," +
			"data_name=_d,session_timeout=5s,auth_file=/a,tls_ca=/ca,debug,metrics_addr=:1,log_format=json," +
			"no_inotify,acl_poll=5s"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !c.readOnly || !c.allowOther || c.dataName != "_d" || c.sessionTimeout != 5*time.Second ||
		c.authFile != "/a" || c.tlsCA != "/ca" || !c.debug || c.metricsAddr != ":1" || c.logFormat != "json" ||
		!c.noInotify || c.aclPoll != 5*time.Second {
		t.Fatalf("parsed %+v", c)
	}
	if !c.background {
		t.Fatal("-o does not imply the background")
	}
	for args, bg := range map[string]bool{
		"a b":              false,
		"a b --daemon":     true,
		"a b -o ro -f":     false,
		"-f a b -o rw":     false,
		"a b -o ro":        true,
		"--ready-fd=3 a b": false,
	} {
		c, err := parseFlags(strings.Fields(args), io.Discard)
		if err != nil || c.background != bg {
			t.Errorf("%q: background %v (%v), want %v", args, c != nil && c.background, err, bg)
		}
	}
	for _, bad := range []string{"bogus", "allow_root", "session_timeout", "session_timeout=x", "help", "ready_fd=3"} {
		if _, err := parseFlags([]string{"a", "b", "-o", bad}, io.Discard); err == nil {
			t.Errorf("-o %s accepted", bad)
		}
	}
}

// TestDaemonMode runs `zkfs SERVERS MNT -o ...` (the command mount.fuse3
// runs): it returns once mounted, and umount ends the background process.
func TestDaemonMode(t *testing.T) {
	needFUSE(t)
	zk := zktest.Start(t)
	seed(t, zk.Addr(), "/nat", "", "/nat/cfg", "port=1\n")
	dir, logFile := t.TempDir(), filepath.Join(t.TempDir(), "zkfs.log")
	cleanupDaemon(t, dir, logFile)
	stderr, code := runZkfs(t, 2*time.Minute, zk.Addr()+"/nat", dir,
		"-o", "ro,dev,suid,nodev,data_name=_data,log_format=json,log_file="+logFile)
	if code != 0 || stderr != "" {
		b, _ := os.ReadFile(logFile)
		t.Fatalf("exit %d, stderr %q; log:\n%s", code, stderr, b)
	}
	checkDaemonMount(t, dir, logFile)

	// A failure is reported by the command, in one line.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := l.Addr().String()
	l.Close()
	stderr, code = runZkfs(t, 2*time.Minute, dead, dir, "-o", "connect_timeout=2s")
	oneLineErr(t, stderr, code, "no ZooKeeper server")
	stderr, code = runZkfs(t, time.Minute, "--daemon", zk.Addr(), filepath.Join(dir, "missing"))
	oneLineErr(t, stderr, code, "does not exist")
}

// TestMountTypeFuse mounts with mount(8) and the fuse.TYPE syntax, as an
// /etc/fstab line does. mount runs helpers with a fixed PATH, so the
// binary is linked into /usr/local/bin under a name of its own for the
// test (fuse.zkfs-test-PID) and removed afterwards.
func TestMountTypeFuse(t *testing.T) {
	needFUSE(t)
	need(t, os.Geteuid() == 0, "root (mount -t fuse.TYPE)")
	need(t, haveTool("mount.fuse3") || haveTool("/sbin/mount.fuse3"), "mount.fuse3 (package fuse3)")
	bin := zkfsBinary(t)
	name := fmt.Sprintf("zkfs-test-%d", os.Getpid())
	link := filepath.Join("/usr/local/bin", name)
	os.Remove(link)
	if err := os.Symlink(bin, link); err != nil {
		need(t, false, "a writable /usr/local/bin: "+err.Error())
	}
	t.Cleanup(func() { os.Remove(link) })

	zk := zktest.Start(t)
	seed(t, zk.Addr(), "/nat", "", "/nat/cfg", "port=1\n")
	dir, logFile := t.TempDir(), filepath.Join(t.TempDir(), "zkfs.log")
	cleanupDaemon(t, dir, logFile)
	mountCmd := func(opts string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		out, err := exec.CommandContext(ctx, "mount", "-t", "fuse."+name, zk.Addr()+"/nat", dir, "-o", opts).CombinedOutput()
		return string(out), err
	}
	out, err := mountCmd("ro,allow_other,nodev,nosuid,_netdev,nofail,session_timeout=8s,data_name=_data,log_format=json,log_file=" + logFile)
	if err != nil {
		b, _ := os.ReadFile(logFile)
		t.Fatalf("mount: %v %s\nlog:\n%s", err, out, b)
	}
	checkDaemonMount(t, dir, logFile)
	if st := mustSh(t, "cat /proc/self/mountinfo"); strings.Contains(st, dir+" ") {
		t.Fatal("left in mountinfo")
	}

	out, err = mountCmd("ro,no_such_option")
	if err == nil || !strings.Contains(out, "unknown mount option") {
		t.Fatalf("bad option: %v %q", err, out)
	}
}

// TestSystemdNotify checks READY=1 once mounted and STOPPING=1 on SIGTERM,
// sent to NOTIFY_SOCKET as systemd's Type=notify expects.
func TestSystemdNotify(t *testing.T) {
	needFUSE(t)
	zk := zktest.Start(t)
	sock := filepath.Join(t.TempDir(), "notify")
	pc, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	dir := t.TempDir()
	cmd := exec.Command(zkfsBinary(t), zk.Addr(), dir)
	cmd.Env = append(os.Environ(), "NOTIFY_SOCKET="+sock)
	var stderr logBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		if mounted, _ := isMountpoint(dir); mounted {
			exec.Command("umount", "-l", dir).Run()
		}
	})
	read := func() string {
		pc.SetReadDeadline(time.Now().Add(2 * time.Minute))
		buf := make([]byte, 4096)
		n, err := pc.Read(buf)
		if err != nil {
			t.Fatalf("no notification: %v\n%s", err, stderr.String())
		}
		return string(buf[:n])
	}
	if msg := read(); !strings.Contains(msg, "READY=1") {
		t.Fatalf("first notification %q", msg)
	}
	if mounted, _ := isMountpoint(dir); !mounted {
		t.Fatal("READY=1 before the mount")
	}
	cmd.Process.Signal(syscall.SIGTERM)
	if msg := read(); !strings.Contains(msg, "STOPPING=1") {
		t.Fatalf("second notification %q", msg)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("exit: %v\n%s", err, stderr.String())
		}
	case <-time.After(time.Minute):
		t.Fatal("no exit after SIGTERM")
	}
}

// TestMetricsEndpoint scrapes --metrics-addr after some file system work.
func TestMetricsEndpoint(t *testing.T) {
	needFUSE(t)
	zk := zktest.Start(t)
	seed(t, zk.Addr(), "/m", "", "/m/a", "one")
	dir := t.TempDir()
	stderr := startBinary(t, dir, "--log-format=json", "--debug", "--metrics-addr=127.0.0.1:0", zk.Addr(), dir).logs
	var url string
	eventually(t, "metrics address in the log", func() bool {
		sc := bufio.NewScanner(strings.NewReader(stderr.String()))
		for sc.Scan() {
			var rec struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &rec) == nil && rec.Msg == "serving metrics" {
				url = rec.Addr
				return true
			}
		}
		return false
	})
	mustSh(t, "ls %s && cat %s && cat %s", q(dir+"/m"), q(dir+"/m/a/.data"), q(dir+"/m/a/.data"))
	seed(t, zk.Addr(), "/m/b", "two") // a remote change: a kernel invalidation
	eventually(t, "remote create", func() bool { _, err := os.Stat(dir + "/m/b"); return err == nil })

	var body, missing string
	defer func() {
		if t.Failed() {
			t.Logf("last scrape lacks %s:\n%s", missing, body)
		}
	}()
	want := []string{
		`zkfs_zookeeper_requests_total{op="getData",result="ok"}`,
		`zkfs_zookeeper_request_duration_seconds_bucket{op="getData",le=`,
		`zkfs_zookeeper_session_state{state="SyncConnected"} 1`,
		`zkfs_zookeeper_reconnects_total 0`,
		`zkfs_cache_hits_total`, `zkfs_cache_misses_total`, `zkfs_cache_entries`,
		`zkfs_kernel_invalidations_total{kind="entry"}`,
		`zkfs_inotify_events_total{kind="create"}`,
		`zkfs_kernel_pages_stored_total`, `zkfs_data_reads_total`, `zkfs_file_opens_total`,
		`zkfs_build_info{version=`,
		`go_goroutines`,
	}
	eventually(t, "metrics", func() bool {
		resp, err := http.Get(url)
		if err != nil {
			t.Logf("scrape: %v", err)
			return false
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		body = string(b)
		for _, w := range want {
			if !strings.Contains(body, w) {
				missing = w
				return false
			}
		}
		missing = "a nonzero invalidation count"
		return !strings.Contains(body, `zkfs_kernel_invalidations_total{kind="entry"} 0`)
	})
	// --debug: FUSE requests and ZooKeeper replies are logged.
	logs := stderr.String()
	for _, w := range []string{`"msg":"zookeeper reply","op":"getData"`, `"src":"fuse"`, `"msg":"zookeeper connected"`} {
		if !strings.Contains(logs, w) {
			t.Errorf("no %s in the debug log", w)
		}
	}
}
