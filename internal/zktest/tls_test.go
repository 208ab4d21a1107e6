package zktest

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net"
	"os"
	"strings"
	"testing"
	"time"
)

func TestTLSHandshakeVerifies(t *testing.T) {
	s := Start(t, WithTLS())
	if s.SecureAddr() == "" || s.SecureAddr() == s.Addr() {
		t.Fatalf("SecureAddr() = %q, Addr() = %q", s.SecureAddr(), s.Addr())
	}
	cfg := s.ClientTLS()
	if cfg == nil {
		t.Fatal("ClientTLS() = nil with WithTLS")
	}
	dialer := &net.Dialer{Timeout: 30 * time.Second}
	conn, err := tls.DialWithDialer(dialer, "tcp", s.SecureAddr(), cfg)
	if err != nil {
		t.Fatalf("TLS handshake with %s: %v", s.SecureAddr(), err)
	}
	state := conn.ConnectionState()
	conn.Close()
	if !state.HandshakeComplete || len(state.VerifiedChains) == 0 {
		t.Fatalf("handshake not verified: %+v", state)
	}
	leaf := state.PeerCertificates[0]
	if len(leaf.IPAddresses) != 1 || leaf.IPAddresses[0].String() != "127.0.0.1" {
		t.Fatalf("server certificate IP SANs = %v, want [127.0.0.1]", leaf.IPAddresses)
	}

	// The CA file holds the CA that signed the server certificate.
	pemBytes, err := os.ReadFile(s.CAFile())
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		t.Fatalf("CAFile %s holds no PEM block", s.CAFile())
	}
	ca, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if err := leaf.CheckSignatureFrom(ca); err != nil {
		t.Fatalf("server certificate not signed by CAFile: %v", err)
	}

	// Without the CA, verification fails: the check above is not vacuous.
	_, err = tls.DialWithDialer(dialer, "tcp", s.SecureAddr(), &tls.Config{ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12})
	var unknown x509.UnknownAuthorityError
	if !errors.As(err, &unknown) {
		t.Fatalf("handshake without the CA: err = %v, want an unknown-authority error", err)
	}

	// The plain port still serves.
	if srvr, err := s.Srvr(); err != nil || !strings.Contains(srvr, "Mode: standalone") {
		t.Fatalf("Srvr() = %q, %v", srvr, err)
	}
}
