package zktest

import (
	"crypto/tls"
	"net"
	"strings"
	"testing"
	"time"
)

func TestEnsembleLeaderKillAndRejoin(t *testing.T) {
	e := StartEnsemble(t)
	members := e.Members()
	if len(members) != 3 {
		t.Fatalf("%d members, want 3", len(members))
	}
	addrs := strings.Split(e.ConnectString(), ",")
	if len(addrs) != 3 {
		t.Fatalf("ConnectString() = %q, want three addresses", e.ConnectString())
	}
	for i, m := range members {
		if addrs[i] != m.Addr() {
			t.Fatalf("ConnectString()[%d] = %q, member address %q", i, addrs[i], m.Addr())
		}
	}
	old := e.Leader()
	if old < 0 {
		t.Fatal("no leader after StartEnsemble")
	}
	for i, m := range members {
		if want := map[bool]string{true: "leader", false: "follower"}[i == old]; m.Mode() != want {
			t.Fatalf("member %d mode %q, want %q", i, m.Mode(), want)
		}
	}

	members[old].Kill()
	if m := members[old].Mode(); m != "" {
		t.Fatalf("killed member reports mode %q", m)
	}
	if err := waitPortClosed(members[old].clientPort, time.Now()); err != nil {
		t.Fatalf("after Kill: %v", err)
	}
	e.WaitServing(t)
	now := e.Leader()
	if now < 0 || now == old {
		t.Fatalf("leader after killing member %d: %d", old, now)
	}

	members[old].Start(t)
	if m := members[old].Mode(); m != "follower" {
		t.Fatalf("restarted former leader has mode %q, want follower", m)
	}
	if e.Leader() != now {
		t.Fatalf("leader changed from %d to %d when the old leader rejoined", now, e.Leader())
	}
}

func TestEnsembleTLS(t *testing.T) {
	e := StartEnsemble(t, WithTLS())
	cfg := e.ClientTLS()
	if cfg == nil || e.CAFile() == "" {
		t.Fatal("no TLS configuration with WithTLS")
	}
	secure := strings.Split(e.SecureConnectString(), ",")
	if len(secure) != 3 {
		t.Fatalf("SecureConnectString() = %q", e.SecureConnectString())
	}
	for i, m := range e.Members() {
		if m.SecureAddr() != secure[i] || m.SecureAddr() == m.Addr() {
			t.Fatalf("member %d: SecureAddr %q, Addr %q, list %q", i, m.SecureAddr(), m.Addr(), secure[i])
		}
		conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 30 * time.Second}, "tcp", m.SecureAddr(), cfg)
		if err != nil {
			t.Fatalf("TLS handshake with member %d: %v", i, err)
		}
		verified := len(conn.ConnectionState().VerifiedChains) > 0
		conn.Close()
		if !verified {
			t.Fatalf("member %d: handshake without a verified chain", i)
		}
	}
}
