package zktest

import (
	"bufio"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// echoServer answers every line with prefix+line until t ends.
func echoServer(t *testing.T, prefix string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Add(1)
	go func() { // the accept loop; ends when ln is closed by Cleanup
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() { // one per connection; ends when the connection closes
				defer wg.Done()
				r := bufio.NewReader(c)
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					if _, err := io.WriteString(c, prefix+line); err != nil {
						return
					}
				}
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().String()
}

func roundTrip(t *testing.T, c net.Conn, r *bufio.Reader, line string) string {
	t.Helper()
	if err := c.SetDeadline(time.Now().Add(30 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(c, line+"\n"); err != nil {
		t.Fatalf("write %q: %v", line, err)
	}
	got, err := r.ReadString('\n')
	if err != nil {
		t.Fatalf("read answer to %q: %v", line, err)
	}
	return strings.TrimSuffix(got, "\n")
}

// dialProxy connects to p; the connection is closed at cleanup.
func dialProxy(t *testing.T, p *Proxy) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatalf("dial the proxy: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c, bufio.NewReader(c)
}

func TestProxy(t *testing.T) {
	a := echoServer(t, "a:")
	p := NewProxy(t, a)
	c, r := dialProxy(t, p)
	if got := roundTrip(t, c, r, "hello"); got != "a:hello" {
		t.Fatalf("through the proxy: %q, want %q", got, "a:hello")
	}

	// Blackhole: the connection stays open, but nothing comes back.
	p.Blackhole(true)
	if _, err := io.WriteString(c, "held\n"); err != nil {
		t.Fatalf("write while blackholed: %v", err)
	}
	if err := c.SetReadDeadline(time.Now().Add(300 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if b, err := r.ReadByte(); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read while blackholed: byte %q, err %v; want a timeout", b, err)
	}
	// A connection made during the black hole is accepted but carries nothing either.
	c2, r2 := dialProxy(t, p)
	if _, err := io.WriteString(c2, "second\n"); err != nil {
		t.Fatal(err)
	}
	if err := c2.SetReadDeadline(time.Now().Add(300 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if b, err := r2.ReadByte(); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read on a new connection while blackholed: byte %q, err %v; want a timeout", b, err)
	}

	// Off again: the held bytes arrive in order, and traffic flows.
	p.Blackhole(false)
	if err := c.SetReadDeadline(time.Now().Add(30 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if got, err := r.ReadString('\n'); err != nil || got != "a:held\n" {
		t.Fatalf("held bytes after the black hole: %q, %v", got, err)
	}
	if got := roundTrip(t, c, r, "again"); got != "a:again" {
		t.Fatalf("after the black hole: %q", got)
	}
	if err := c2.SetReadDeadline(time.Now().Add(30 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if got, err := r2.ReadString('\n'); err != nil || got != "a:second\n" {
		t.Fatalf("held bytes of the second connection: %q, %v", got, err)
	}

	// SetTarget: new connections go to the new target, old ones stay.
	b := echoServer(t, "b:")
	p.SetTarget(b)
	c3, r3 := dialProxy(t, p)
	if got := roundTrip(t, c3, r3, "x"); got != "b:x" {
		t.Fatalf("after SetTarget: %q, want b:x", got)
	}
	if got := roundTrip(t, c, r, "y"); got != "a:y" {
		t.Fatalf("old connection after SetTarget: %q, want a:y", got)
	}

	// CutAll closes every connection.
	p.CutAll()
	for i, cr := range []*bufio.Reader{r, r2, r3} {
		conn := []net.Conn{c, c2, c3}[i]
		if err := conn.SetReadDeadline(time.Now().Add(30 * time.Second)); err != nil {
			t.Fatal(err)
		}
		if b, err := cr.ReadByte(); err == nil {
			t.Fatalf("connection %d still delivers (%q) after CutAll", i, b)
		} else if errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("connection %d not closed by CutAll", i)
		}
	}
	// The proxy still accepts after CutAll.
	c4, r4 := dialProxy(t, p)
	if got := roundTrip(t, c4, r4, "z"); got != "b:z" {
		t.Fatalf("after CutAll: %q", got)
	}
}

// TestProxyToZooKeeper checks that a real server answers through the proxy.
func TestProxyToZooKeeper(t *testing.T) {
	s := Start(t)
	p := NewProxy(t, s.Addr())
	srvr, err := fourLetterWord(p.Addr(), "srvr")
	if err != nil || modeOf(srvr) != "standalone" {
		t.Fatalf("srvr through the proxy: %q, %v", srvr, err)
	}
}

// TestProxyLatency: SetLatency delays each direction and keeps the bytes.
func TestProxyLatency(t *testing.T) {
	a := echoServer(t, "a:")
	p := NewProxy(t, a)
	c, r := dialProxy(t, p)
	const d = 100 * time.Millisecond
	p.SetLatency(d)
	start := time.Now()
	for i := 0; i < 3; i++ {
		line := strings.Repeat("x", i+1)
		if got := roundTrip(t, c, r, line); got != "a:"+line {
			t.Fatalf("with latency: %q", got)
		}
	}
	// Three round trips, each delayed once each way.
	if took := time.Since(start); took < 6*d {
		t.Fatalf("3 round trips with %v latency took %v", d, took)
	}
	p.SetLatency(0)
	if got := roundTrip(t, c, r, "fast"); got != "a:fast" {
		t.Fatalf("after latency off: %q", got)
	}
}
