package zktest

import (
	"crypto/tls"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// Server is a standalone ZooKeeper server started by Start.
type Server struct {
	t         testing.TB // the test that started the server; its Cleanup kills it
	cfg       *config
	java      string
	classpath string
	dir       string // holds zoo.cfg, zookeeper.log, data/ and the TLS files
	tls       *tlsFiles

	port, securePort int

	mu   sync.Mutex // guards proc
	proc *proc      // nil while stopped
}

const standaloneMain = "org.apache.zookeeper.server.ZooKeeperServerMain"

// Start starts a standalone ZooKeeper 3.8 server on free loopback ports, waits until
// `srvr` reports it serving, and registers t.Cleanup to kill it and remove its
// directory. Missing java/zookeeper: t.Skip, or t.Fatal when CI is set.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	java, classpath := requireZooKeeper(t)
	s := &Server{t: t, cfg: newConfig(opts), java: java, classpath: classpath, dir: t.TempDir()}
	// Registered after TempDir, so it runs before the directory is removed.
	t.Cleanup(s.kill)
	if s.cfg.tls {
		files, err := writeTLSFiles(s.dir)
		if err != nil {
			t.Fatalf("zktest: TLS certificates: %v", err)
		}
		s.tls = files
	}
	var lastErr error
	for attempt := 0; attempt < bindAttempts; attempt++ {
		ports, err := freePorts(2)
		if err != nil {
			t.Fatalf("zktest: picking ports: %v", err)
		}
		s.port = ports[0]
		if s.cfg.tls {
			s.securePort = ports[1]
		}
		lastErr = s.run()
		if lastErr == nil {
			return s
		}
		s.kill()
		if !errors.Is(lastErr, errBind) {
			break
		}
	}
	t.Fatalf("zktest: standalone server did not start: %v\n%s", lastErr, logTail(s.logPath()))
	return nil
}

func (s *Server) logPath() string { return filepath.Join(s.dir, "zookeeper.log") }
func (s *Server) cfgPath() string { return filepath.Join(s.dir, "zoo.cfg") }

// run writes zoo.cfg, starts the JVM and waits until it serves.
func (s *Server) run() error {
	lines := s.cfg.baseLines(filepath.Join(s.dir, "data"), s.port)
	if s.tls != nil {
		lines = append(lines, fmt.Sprintf("secureClientPort=%d", s.securePort))
		lines = append(lines, s.tls.serverConfig()...)
	}
	lines = append(lines, s.cfg.extra...)
	if err := writeLines(s.cfgPath(), lines); err != nil {
		return err
	}
	logStart := fileSize(s.logPath())
	p, err := spawn(s.java, s.cfg.javaArgs(s.classpath, standaloneMain, s.cfgPath()), s.dir, s.logPath())
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.proc = p
	s.mu.Unlock()
	if err := waitMode(p, s.Addr(), s.logPath(), logStart, "standalone"); err != nil {
		return err
	}
	if s.tls != nil {
		return s.tls.waitHandshake(p, s.SecureAddr())
	}
	return nil
}

// kill ends the process, if any, reporting failures to the starting test.
func (s *Server) kill() {
	s.mu.Lock()
	p := s.proc
	s.proc = nil
	s.mu.Unlock()
	if p == nil {
		return
	}
	ports := []int{s.port}
	if s.securePort != 0 {
		ports = append(ports, s.securePort)
	}
	if err := p.kill(ports...); err != nil {
		s.t.Errorf("zktest: stopping the server: %v", err)
	}
}

// Addr returns "127.0.0.1:PORT", the plain client port.
func (s *Server) Addr() string { return addr(s.port) }

// SecureAddr returns "127.0.0.1:PORT" of the TLS client port, or "" without TLS.
func (s *Server) SecureAddr() string {
	if s.tls == nil {
		return ""
	}
	return addr(s.securePort)
}

// ClientTLS returns a client configuration that trusts the server's CA, with
// ServerName set to the server's IP address; nil without TLS. Each call returns a
// new configuration the caller may modify.
func (s *Server) ClientTLS() *tls.Config {
	if s.tls == nil {
		return nil
	}
	return s.tls.clientConfig()
}

// CAFile returns the PEM file of the CA that signed the server certificate ("" without TLS).
func (s *Server) CAFile() string {
	if s.tls == nil {
		return ""
	}
	return s.tls.caFile
}

// Stop kills the server with SIGKILL and waits until its ports are closed. The data
// directory is kept for Restart.
func (s *Server) Stop() { s.kill() }

// Restart starts the server again on the same ports with the same data directory
// and waits until it serves. A running server is stopped first.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.kill()
	var err error
	// The ports were ours a moment ago; a stranger may hold one briefly (a client's
	// ephemeral port): retry the same ports for a while.
	deadline := time.Now().Add(readyTimeout)
	for {
		err = s.run()
		if err == nil {
			return
		}
		s.kill()
		if !errors.Is(err, errBind) || time.Now().After(deadline) {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Fatalf("zktest: restarting the server on %s: %v\n%s", s.Addr(), err, logTail(s.logPath()))
}

// Srvr returns the server's answer to the `srvr` four-letter word.
func (s *Server) Srvr() (string, error) { return fourLetterWord(s.Addr(), "srvr") }

// pid returns the JVM's process id, 0 when stopped.
func (s *Server) pid() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		return 0
	}
	return s.proc.pid
}
