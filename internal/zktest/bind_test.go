package zktest

import (
	"errors"
	"net"
	"testing"
)

// TestBindFailureDetected checks that a start on a taken port is recognised as a bind
// failure (which Start and StartEnsemble answer by retrying on fresh ports).
func TestBindFailureDetected(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() { // the stranger on the port: closes every connection at once; ends with ln
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	java, classpath := requireZooKeeper(t)
	s := &Server{t: t, cfg: newConfig(nil), java: java, classpath: classpath, dir: t.TempDir()}
	t.Cleanup(s.kill)
	s.port = ln.Addr().(*net.TCPAddr).Port
	if err := s.run(); !errors.Is(err, errBind) {
		t.Fatalf("starting on a taken port: %v, want errBind\n%s", err, logTail(s.logPath()))
	}
}
