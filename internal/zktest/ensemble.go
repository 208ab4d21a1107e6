package zktest

import (
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	ensembleSize = 3
	quorumMain   = "org.apache.zookeeper.server.quorum.QuorumPeerMain"
)

// Ensemble is a three-member ZooKeeper ensemble started by StartEnsemble.
type Ensemble struct {
	members []*Member
	tls     *tlsFiles // shared by all members; nil without TLS
}

// Member is one server of an Ensemble. Its ports and data directory stay the same
// across Kill and Start.
type Member struct {
	t         testing.TB // the test that started the ensemble; its Cleanup kills the member
	cfg       *config
	java      string
	classpath string
	id        int       // myid, 1..3
	dir       string    // holds zoo.cfg, zookeeper.log and data/myid
	tls       *tlsFiles // the ensemble's; nil without TLS

	clientPort, securePort, quorumPort, electionPort int

	mu   sync.Mutex // guards proc
	proc *proc      // nil while killed
}

// StartEnsemble starts a 3-member ensemble (QuorumPeerMain) on free loopback ports and
// waits for a leader and two followers. Options apply to every member; WithTLS adds a
// secureClientPort to each member, all with certificates from one CA (the quorum
// itself talks plain TCP).
func StartEnsemble(t testing.TB, opts ...Option) *Ensemble {
	t.Helper()
	java, classpath := requireZooKeeper(t)
	cfg := newConfig(opts)
	root := t.TempDir()
	e := &Ensemble{}
	if cfg.tls {
		files, err := writeTLSFiles(root)
		if err != nil {
			t.Fatalf("zktest: TLS certificates: %v", err)
		}
		e.tls = files
	}
	for i := 0; i < ensembleSize; i++ {
		m := &Member{t: t, cfg: cfg, java: java, classpath: classpath, id: i + 1,
			dir: filepath.Join(root, fmt.Sprintf("server%d", i+1))}
		if err := os.MkdirAll(filepath.Join(m.dir, "data"), 0o755); err != nil {
			t.Fatalf("zktest: %v", err)
		}
		if err := os.WriteFile(filepath.Join(m.dir, "data", "myid"), []byte(fmt.Sprintf("%d\n", m.id)), 0o644); err != nil {
			t.Fatalf("zktest: %v", err)
		}
		m.tls = e.tls
		e.members = append(e.members, m)
	}
	// Registered after TempDir, so it runs before the directories are removed.
	t.Cleanup(e.killAll)

	var lastErr error
	for attempt := 0; attempt < bindAttempts; attempt++ {
		lastErr = e.startOnce()
		if lastErr == nil {
			return e
		}
		e.killAll()
		if !errors.Is(lastErr, errBind) {
			break
		}
		// Wipe what the failed attempt wrote, keeping myid.
		for _, m := range e.members {
			os.RemoveAll(filepath.Join(m.dir, "data", "version-2"))
		}
	}
	var logs strings.Builder
	for _, m := range e.members {
		logs.WriteString(logTail(m.logPath()))
	}
	t.Fatalf("zktest: ensemble did not start: %v\n%s", lastErr, logs.String())
	return nil
}

// startOnce picks fresh ports, starts every member and waits for a leader and two followers.
func (e *Ensemble) startOnce() error {
	ports, err := freePorts(4 * ensembleSize)
	if err != nil {
		return err
	}
	var servers []string
	for i, m := range e.members {
		m.clientPort, m.securePort = ports[4*i], 0
		if m.tls != nil {
			m.securePort = ports[4*i+1]
		}
		m.quorumPort, m.electionPort = ports[4*i+2], ports[4*i+3]
		servers = append(servers, fmt.Sprintf("server.%d=127.0.0.1:%d:%d", m.id, m.quorumPort, m.electionPort))
	}
	for _, m := range e.members {
		if err := m.writeConfig(servers); err != nil {
			return err
		}
	}
	logStarts := make([]int64, len(e.members))
	for i, m := range e.members {
		logStarts[i] = fileSize(m.logPath())
		if err := m.spawn(); err != nil {
			return err
		}
	}
	// Wait for each member to serve, then for one leader and two followers.
	for i, m := range e.members {
		if err := m.waitReady(logStarts[i]); err != nil {
			return fmt.Errorf("member %d: %w", m.id, err)
		}
	}
	deadline := time.Now().Add(readyTimeout)
	for {
		leaders, followers := e.census()
		if leaders == 1 && followers == ensembleSize-1 {
			return nil
		}
		// A member elected leader binds its quorum port only then: that can fail too.
		for i, m := range e.members {
			if logSinceShowsBindFailure(m.logPath(), logStarts[i]) {
				return fmt.Errorf("member %d: %w", m.id, errBind)
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("after %v: %d leaders and %d followers", readyTimeout, leaders, followers)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// census counts the members that answer srvr as leader and as follower.
func (e *Ensemble) census() (leaders, followers int) {
	for _, m := range e.members {
		switch m.Mode() {
		case "leader":
			leaders++
		case "follower":
			followers++
		}
	}
	return leaders, followers
}

func (e *Ensemble) killAll() {
	for _, m := range e.members {
		m.Kill()
	}
}

// ConnectString returns "127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3" (plain client ports).
func (e *Ensemble) ConnectString() string {
	addrs := make([]string, len(e.members))
	for i, m := range e.members {
		addrs[i] = m.Addr()
	}
	return strings.Join(addrs, ",")
}

// SecureConnectString is ConnectString for the TLS client ports ("" without TLS).
func (e *Ensemble) SecureConnectString() string {
	addrs := make([]string, 0, len(e.members))
	for _, m := range e.members {
		if a := m.SecureAddr(); a != "" {
			addrs = append(addrs, a)
		}
	}
	return strings.Join(addrs, ",")
}

// ClientTLS returns a client configuration that trusts the members' CA, with
// ServerName 127.0.0.1; nil without TLS.
func (e *Ensemble) ClientTLS() *tls.Config {
	if e.tls == nil {
		return nil
	}
	return e.tls.clientConfig()
}

// CAFile returns the PEM file of the members' CA ("" without TLS).
func (e *Ensemble) CAFile() string {
	if e.tls == nil {
		return ""
	}
	return e.tls.caFile
}

// Members returns the members in myid order.
func (e *Ensemble) Members() []*Member { return append([]*Member(nil), e.members...) }

// Leader returns the index of the member that answers srvr as leader, -1 if none.
func (e *Ensemble) Leader() int {
	for i, m := range e.members {
		if m.Mode() == "leader" {
			return i
		}
	}
	return -1
}

// WaitServing waits until a quorum serves: a leader and at least one follower answer srvr.
func (e *Ensemble) WaitServing(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(readyTimeout)
	for {
		leaders, followers := e.census()
		if leaders == 1 && followers >= 1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("zktest: ensemble not serving after %v: %d leaders, %d followers", readyTimeout, leaders, followers)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (m *Member) logPath() string { return filepath.Join(m.dir, "zookeeper.log") }
func (m *Member) cfgPath() string { return filepath.Join(m.dir, "zoo.cfg") }

func (m *Member) writeConfig(servers []string) error {
	lines := m.cfg.baseLines(filepath.Join(m.dir, "data"), m.clientPort)
	lines = append(lines, "initLimit=10", "syncLimit=5")
	if m.tls != nil {
		lines = append(lines, fmt.Sprintf("secureClientPort=%d", m.securePort))
		lines = append(lines, m.tls.serverConfig()...)
	}
	lines = append(lines, servers...)
	lines = append(lines, m.cfg.extra...)
	return writeLines(m.cfgPath(), lines)
}

func (m *Member) spawn() error {
	p, err := spawn(m.java, m.cfg.javaArgs(m.classpath, quorumMain, m.cfgPath()), m.dir, m.logPath())
	if err != nil {
		return err
	}
	m.mu.Lock()
	m.proc = p
	m.mu.Unlock()
	return nil
}

func (m *Member) current() *proc {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.proc
}

// waitReady waits until the member serves as leader or follower (and its TLS port
// completes a handshake). logStart is the log offset where this run began.
func (m *Member) waitReady(logStart int64) error {
	p := m.current()
	if err := waitMode(p, m.Addr(), m.logPath(), logStart, "leader", "follower"); err != nil {
		return err
	}
	if m.tls != nil {
		return m.tls.waitHandshake(p, m.SecureAddr())
	}
	return nil
}

// Addr returns "127.0.0.1:PORT", the member's plain client port.
func (m *Member) Addr() string { return addr(m.clientPort) }

// SecureAddr returns the member's TLS client port, or "" without TLS.
func (m *Member) SecureAddr() string {
	if m.tls == nil {
		return ""
	}
	return addr(m.securePort)
}

// Kill kills the member with SIGKILL and waits until the process is really gone and
// its ports are closed.
func (m *Member) Kill() {
	m.mu.Lock()
	p := m.proc
	m.proc = nil
	m.mu.Unlock()
	if p == nil {
		return
	}
	if err := p.kill(m.clientPort, m.securePort, m.quorumPort, m.electionPort); err != nil {
		m.t.Errorf("zktest: killing member %d: %v", m.id, err)
	}
}

// Start restarts a killed member with the same configuration and data and waits until
// it serves as leader or follower. A running member is killed first.
func (m *Member) Start(t testing.TB) {
	t.Helper()
	m.Kill()
	deadline := time.Now().Add(readyTimeout)
	var err error
	for {
		logStart := fileSize(m.logPath())
		if err = m.spawn(); err == nil {
			err = m.waitReady(logStart)
		}
		if err == nil {
			return
		}
		m.Kill()
		if !errors.Is(err, errBind) || time.Now().After(deadline) {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Fatalf("zktest: restarting member %d on %s: %v\n%s", m.id, m.Addr(), err, logTail(m.logPath()))
}

// Mode returns "leader", "follower", "standalone", or "" when the member does not serve.
func (m *Member) Mode() string {
	if m.current() == nil {
		return ""
	}
	return mode(m.Addr())
}

// pid returns the JVM's process id, 0 when killed.
func (m *Member) pid() int {
	if p := m.current(); p != nil {
		return p.pid
	}
	return 0
}
