package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
)

// server is a standalone ZooKeeper started with scripts/zk.sh in a temporary
// directory; stop stops it and removes the directory.
type server struct {
	script, dir, addr string
	once              sync.Once
}

// findScript returns scripts/zk.sh from the working directory or one above it.
func findScript() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, "scripts", "zk.sh")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("scripts/zk.sh not found above the working directory (use --zk-script or --servers)")
		}
		dir = parent
	}
}

// freePort asks the kernel for a free loopback port.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func startServer(script string) (*server, error) {
	if script == "" {
		var err error
		if script, err = findScript(); err != nil {
			return nil, err
		}
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "zkbench-")
	if err != nil {
		return nil, err
	}
	s := &server{script: script, dir: dir, addr: "127.0.0.1:" + strconv.Itoa(port)}
	cmd := exec.Command("bash", script, "start", "--netty", "--port", strconv.Itoa(port), "--dir", dir)
	cmd.Stderr = os.Stderr
	if out, err := cmd.Output(); err != nil {
		s.stop()
		return nil, fmt.Errorf("%s start: %w\n%s", script, err, out)
	}
	return s, nil
}

func (s *server) stop() {
	s.once.Do(func() {
		cmd := exec.Command("bash", s.script, "stop", "--dir", s.dir)
		if out, err := cmd.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "zkbench: %s stop: %v\n%s", s.script, err, out)
			return // keep the directory: it holds the pid and the log
		}
		os.RemoveAll(s.dir)
	})
}
