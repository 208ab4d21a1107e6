package zktest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// tlsFiles are the PEM files of one server's certificates. ZooKeeper 3.8 reads them
// directly (ssl.keyStore.type=PEM, ssl.trustStore.type=PEM).
type tlsFiles struct {
	caFile     string // the CA certificate
	keyStore   string // the server's private key (PKCS#8) followed by its certificate chain
	caPool     *x509.CertPool
	clientCert tls.Certificate // signed by the CA, for ssl.clientAuth=need tests
}

// writeTLSFiles generates a CA and a server certificate (SAN IP:127.0.0.1) in dir.
func writeTLSFiles(dir string) (*tlsFiles, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "zktest CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(10 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, err
	}
	leaf := func(serial int64, cn string, usage x509.ExtKeyUsage) (*ecdsa.PrivateKey, []byte, error) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, nil, err
		}
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial),
			Subject:      pkix.Name{CommonName: cn},
			NotBefore:    now.Add(-time.Hour),
			NotAfter:     now.Add(10 * 24 * time.Hour),
			KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
			ExtKeyUsage:  []x509.ExtKeyUsage{usage},
			IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
			DNSNames:     []string{"localhost"},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
		return key, der, err
	}
	srvKey, srvDER, err := leaf(2, "127.0.0.1", x509.ExtKeyUsageServerAuth)
	if err != nil {
		return nil, err
	}
	cliKey, cliDER, err := leaf(3, "zktest client", x509.ExtKeyUsageClientAuth)
	if err != nil {
		return nil, err
	}
	srvKeyDER, err := x509.MarshalPKCS8PrivateKey(srvKey)
	if err != nil {
		return nil, err
	}
	certPEM := func(der []byte) []byte { return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}) }

	f := &tlsFiles{
		caFile:   filepath.Join(dir, "ca.pem"),
		keyStore: filepath.Join(dir, "server-keystore.pem"),
		caPool:   x509.NewCertPool(),
	}
	f.caPool.AddCert(caCert)
	if err := os.WriteFile(f.caFile, certPEM(caDER), 0o644); err != nil {
		return nil, err
	}
	var ks []byte
	ks = append(ks, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: srvKeyDER})...)
	ks = append(ks, certPEM(srvDER)...)
	ks = append(ks, certPEM(caDER)...)
	if err := os.WriteFile(f.keyStore, ks, 0o600); err != nil {
		return nil, err
	}
	f.clientCert = tls.Certificate{Certificate: [][]byte{cliDER, caDER}, PrivateKey: cliKey}
	return f, nil
}

// serverConfig returns the zoo.cfg lines for the secure client port.
func (f *tlsFiles) serverConfig() []string {
	return []string{
		"ssl.keyStore.location=" + f.keyStore,
		"ssl.keyStore.type=PEM",
		"ssl.trustStore.location=" + f.caFile,
		"ssl.trustStore.type=PEM",
		"ssl.clientAuth=none",
	}
}

// clientConfig trusts the CA and verifies the server as 127.0.0.1. It carries a
// client certificate too, which servers configured with ssl.clientAuth=need accept.
func (f *tlsFiles) clientConfig() *tls.Config {
	return &tls.Config{
		RootCAs:      f.caPool,
		ServerName:   "127.0.0.1",
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{f.clientCert},
	}
}

// waitHandshake polls until a verified TLS handshake with address succeeds: the
// secure port opens after the plain one answers srvr.
func (f *tlsFiles) waitHandshake(p *proc, address string) error {
	deadline := time.Now().Add(readyTimeout)
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	for {
		if p.exited() {
			return fmt.Errorf("server process %d exited before its TLS port served", p.pid)
		}
		conn, err := tls.DialWithDialer(dialer, "tcp", address, f.clientConfig())
		if err == nil {
			conn.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no TLS handshake with %s after %v: %v", address, readyTimeout, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// String describes the files, for failure messages.
func (f *tlsFiles) String() string { return fmt.Sprintf("CA %s, keystore %s", f.caFile, f.keyStore) }
