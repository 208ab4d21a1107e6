package zkclient

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/zkfs/zkfs/internal/zktest"
	"github.com/zkfs/zkfs/jute"
)

func TestTLS(t *testing.T) {
	srv := zktest.Start(t, zktest.WithTLS())
	ctx := testCtx(t)

	// ServerName left empty: the host dialled (127.0.0.1) is verified.
	cfg := srv.ClientTLS()
	cfg.ServerName = ""
	proxy := zktest.NewProxy(t, srv.SecureAddr())
	c := connect(t, Config{Servers: proxy.Addr(), TLS: cfg, Auth: []Auth{{"digest", []byte("tls:user")}}})
	ev := watchEvents(c)
	p, _, err := c.Create(ctx, "/tls", []byte("secret"), jute.ModePersistent, nil)
	if err != nil || p != "/tls" {
		t.Fatalf("create over TLS: %q %v", p, err)
	}
	if _, _, err := c.GetW(ctx, "/tls"); err != nil {
		t.Fatal(err)
	}
	ids, err := c.WhoAmI(ctx)
	if err != nil || len(ids) < 1 {
		t.Fatalf("whoAmI over TLS: %+v %v", ids, err)
	}
	// The plain port sees the same data.
	plain := connect(t, Config{Servers: srv.Addr()})
	if data, _, err := plain.Get(ctx, "/tls"); err != nil || string(data) != "secret" {
		t.Fatalf("plain get: %q %v", data, err)
	}
	// Reconnect over TLS: same session, watch restored.
	sid := c.SessionID()
	proxy.CutAll()
	ev.waitState(t, 10*time.Second, jute.StateDisconnected)
	ev.waitState(t, 20*time.Second, jute.StateSyncConnected)
	if c.SessionID() != sid {
		t.Fatalf("session %#x after a TLS reconnect, was %#x", c.SessionID(), sid)
	}
	if _, err := plain.Set(ctx, "/tls", nil, -1); err != nil {
		t.Fatal(err)
	}
	ev.waitNode(t, 10*time.Second, jute.EventNodeDataChanged, "/tls")

	// A CA that did not sign the server's certificate: refused.
	var log logBuffer
	wrong := &tls.Config{RootCAs: otherCA(t), MinVersion: tls.VersionTLS12}
	short, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	bad, err := Connect(short, Config{Servers: srv.SecureAddr(), TLS: wrong, Logger: log.logger()})
	if err == nil {
		bad.Close()
		t.Fatal("connected with a CA that did not sign the server certificate")
	}
	if !errors.Is(err, ErrNoServer) {
		t.Fatalf("connect with the wrong CA: %v", err)
	}
	if l := log.String(); !strings.Contains(l, "TLS with") || !strings.Contains(l, "certificate") {
		t.Fatalf("the log does not show the TLS refusal:\n%s", l)
	}
	// The right CA but another name: refused too.
	misnamed := srv.ClientTLS()
	misnamed.ServerName = "zk.example.com"
	short2, cancel2 := context.WithTimeout(ctx, 3*time.Second)
	defer cancel2()
	if bad, err := Connect(short2, Config{Servers: srv.SecureAddr(), TLS: misnamed}); err == nil {
		bad.Close()
		t.Fatal("connected to a server whose certificate does not name it")
	}
}

// otherCA returns a pool with a freshly made CA that signed nothing.
func otherCA(t *testing.T) *x509.CertPool {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "some other CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return pool
}
