package zktest

import (
	"bytes"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// kazooScript writes or reads one znode with kazoo, an independent ZooKeeper client:
// python3 -c SCRIPT HOSTS set|get PATH [VALUE]. "get" prints the value.
const kazooScript = `
import sys
from kazoo.client import KazooClient
hosts, op, path = sys.argv[1], sys.argv[2], sys.argv[3]
zk = KazooClient(hosts=hosts, timeout=30)
zk.start(timeout=60)
try:
    if op == "set":
        zk.create(path, sys.argv[4].encode(), makepath=True)
    else:
        data, _ = zk.get(path)
        sys.stdout.write(data.decode())
finally:
    zk.stop()
    zk.close()
`

const python = "/usr/bin/python3"

// requireKazoo skips (or fails under CI) when python3 with kazoo is missing.
func requireKazoo(t *testing.T) {
	t.Helper()
	if err := exec.Command(python, "-c", "import kazoo.client").Run(); err != nil {
		msg := "python3-kazoo not available: " + err.Error()
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
}

func kazoo(t *testing.T, hosts string, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(python, append([]string{"-c", kazooScript, hosts}, args...)...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("kazoo %v on %s: %v\n%s", args, hosts, err, stderr.String())
	}
	return stdout.String()
}

func TestStartStopRestartKeepsData(t *testing.T) {
	requireKazoo(t)
	s := Start(t)
	srvr, err := s.Srvr()
	if err != nil || modeOf(srvr) != "standalone" {
		t.Fatalf("Srvr() = %q, %v; want Mode: standalone", srvr, err)
	}
	if s.SecureAddr() != "" || s.ClientTLS() != nil || s.CAFile() != "" {
		t.Fatalf("TLS fields set without WithTLS")
	}
	kazoo(t, s.Addr(), "set", "/zktest/restart", "kept-value")

	addr := s.Addr()
	s.Stop()
	if _, err := s.Srvr(); err == nil {
		t.Fatalf("Srvr() answered after Stop")
	}
	if err := waitPortClosed(s.port, time.Now()); err != nil {
		t.Fatalf("after Stop: %v", err)
	}

	s.Restart(t)
	if s.Addr() != addr {
		t.Fatalf("Restart moved the server from %s to %s", addr, s.Addr())
	}
	if got := kazoo(t, s.Addr(), "get", "/zktest/restart"); got != "kept-value" {
		t.Fatalf("after Restart the znode holds %q, want %q", got, "kept-value")
	}
}

func TestNettyAndOptions(t *testing.T) {
	s := Start(t, WithNetty(), WithConfig("maxSessionTimeout", "33000"), WithJVMFlag("-Dzktest.marker=yes"))
	conf, err := fourLetterWord(s.Addr(), "conf")
	if err != nil {
		t.Fatalf("conf: %v", err)
	}
	if !strings.Contains(conf, "maxSessionTimeout=33000") {
		t.Fatalf("WithConfig not applied; conf:\n%s", conf)
	}
	cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(s.pid()) + "/cmdline")
	if err != nil {
		t.Fatalf("reading the JVM command line: %v", err)
	}
	if !bytes.Contains(cmdline, []byte("-Dzktest.marker=yes")) {
		t.Fatalf("WithJVMFlag not applied: %q", cmdline)
	}
	cfg, err := os.ReadFile(s.cfgPath())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(cfg, []byte("NettyServerCnxnFactory")) {
		t.Fatalf("WithNetty not in zoo.cfg:\n%s", cfg)
	}
	// The server really runs with Netty: its log names the factory.
	if log, _ := os.ReadFile(s.logPath()); !bytes.Contains(log, []byte("NettyServerCnxnFactory")) {
		t.Fatalf("the server log does not mention NettyServerCnxnFactory:\n%s", logTail(s.logPath()))
	}
}

// TestCleanupKillsJVM checks that the Cleanup registered by Start leaves no process.
func TestCleanupKillsJVM(t *testing.T) {
	var pid, port int
	var cfgPath string
	t.Run("server", func(t *testing.T) {
		s := Start(t)
		pid, port, cfgPath = s.pid(), s.port, s.cfgPath()
		if pid == 0 || processGone(pid) {
			t.Fatalf("no running JVM after Start (pid %d)", pid)
		}
		if got := processesWith(t, cfgPath); len(got) != 1 || got[0] != pid {
			t.Fatalf("processes running %s: %v, want [%d]", cfgPath, got, pid)
		}
	})
	if pid == 0 {
		t.Fatal("the subtest did not start a server")
	}
	if got := processesWith(t, cfgPath); len(got) != 0 {
		t.Fatalf("processes running %s after Cleanup: %v", cfgPath, got)
	}
	if err := waitPortClosed(port, time.Now()); err != nil {
		t.Fatalf("after Cleanup: %v", err)
	}
}

// processesWith returns the live (not zombie) processes whose command line contains arg.
func processesWith(t *testing.T, arg string) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmdline, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err != nil || !bytes.Contains(cmdline, []byte(arg)) || processGone(pid) {
			continue
		}
		pids = append(pids, pid)
	}
	return pids
}

func TestModeOf(t *testing.T) {
	for in, want := range map[string]string{
		"Zxid: 0x0\nMode: follower\nNode count: 5\n": "follower",
		"Mode: leader\n": "leader",
		"This ZooKeeper instance is not currently serving requests\n": "",
		"": "",
	} {
		if got := modeOf(in); got != want {
			t.Errorf("modeOf(%q) = %q, want %q", in, got, want)
		}
	}
}
