package zkclient

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"time"

	"github.com/zkfs/zkfs/jute"
)

// maxBackoff caps the pause between rounds of connection attempts.
const maxBackoff = 250 * time.Millisecond

// errExpired is a handshake answered with a zero timeout: the server no
// longer knows the session.
var errExpired = errors.New("server reports the session expired")

// run is the session goroutine: it owns connecting, reconnecting, expiry
// and the end of the session. first receives the outcome of the first
// connection (nil once connected).
func (c *Client) run(first chan<- error) {
	defer close(c.sessionDone)
	sctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-c.closing:
			cancel()
		case <-sctx.Done():
		}
	}()

	order := rand.Perm(len(c.hosts))
	next := 0
	backoff := 50 * time.Millisecond
	var lastErr error
	for {
		// One round: every host once, no pause between them.
		var cn *conn
		for range c.hosts {
			if sctx.Err() != nil {
				break
			}
			h := c.hosts[order[next]]
			next = (next + 1) % len(c.hosts)
			var err error
			cn, err = c.dialHost(sctx, h)
			if err == nil {
				break
			}
			lastErr = err
			c.mu.Lock()
			// An attempt cut short because the session is ending
			// says nothing about the server: keep the reason the
			// one before it failed.
			if c.dialErr == nil || sctx.Err() == nil {
				c.dialErr = err
			}
			c.mu.Unlock()
			if errors.Is(err, errExpired) {
				c.end(ErrSessionExpired, jute.StateExpired, err)
				sendFirst(first, opErr("connect", "", ErrSessionExpired))
				return
			}
			var ae *authError
			if errors.As(err, &ae) {
				c.end(ErrAuthFailed, jute.StateAuthFailed, err)
				sendFirst(first, opErr("connect", "", err))
				return
			}
			c.log.Debug("zookeeper connection attempt failed", "server", h.String(), "err", err)
		}
		if sctx.Err() != nil {
			c.end(ErrClosed, jute.StateClosed, nil)
			sendFirst(first, ErrClosed)
			return
		}
		if cn == nil {
			if c.SessionID() != 0 && c.silentFor() > c.SessionTimeout()*4/3 {
				c.end(ErrSessionExpired, jute.StateExpired,
					fmt.Errorf("no server answered for %v (4/3 of the session timeout): %w", c.silentFor().Round(time.Millisecond), lastErr))
				return
			}
			// Jittered, doubling, capped low: during a leader election
			// every server refuses clients for a fraction of a second,
			// and the first round after it ends should come soon.
			d := backoff/2 + rand.N(backoff)
			backoff = min(backoff*2, maxBackoff)
			select {
			case <-time.After(d):
			case <-sctx.Done():
			}
			continue
		}
		backoff = 50 * time.Millisecond
		c.attach(cn)
		sendFirst(first, nil)
		first = nil

		select {
		case <-cn.done:
			cn.wg.Wait()
			err := cn.failed()
			var ae *authError
			if errors.As(err, &ae) {
				c.end(ErrAuthFailed, jute.StateAuthFailed, err)
				return
			}
			c.metrics.reconnects.Add(1)
			c.log.Warn("zookeeper connection lost; reconnecting", "server", cn.server, "session", fmt.Sprintf("%#x", c.SessionID()), "err", err)
			c.events.push(Event{Type: jute.EventNone, State: jute.StateDisconnected, Zxid: -1})
		case <-c.closing:
			c.closeSession(cn)
			c.end(ErrClosed, jute.StateClosed, nil)
			return
		}
	}
}

func sendFirst(first chan<- error, err error) {
	if first != nil {
		first <- err
	}
}

// silentFor is how long no server has said anything.
func (c *Client) silentFor() time.Duration {
	return time.Since(time.Unix(0, c.lastHeard.Load()))
}

// dialHost connects to one host (every address it resolves to, in turn)
// and runs the handshake. DNS is asked again on every call.
func (c *Client) dialHost(ctx context.Context, h hostPort) (*conn, error) {
	rctx, cancel := context.WithTimeout(ctx, c.cfg.DialTimeout)
	addrs, err := net.DefaultResolver.LookupHost(rctx, h.host)
	cancel()
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", h.host, err)
	}
	var last error
	for _, a := range addrs {
		cn, err := c.dialAddr(ctx, h, net.JoinHostPort(a, h.port))
		if err == nil || errors.Is(err, errExpired) {
			return cn, err
		}
		last = err
	}
	return nil, last
}

// dialAddr connects to one address and performs the handshake.
func (c *Client) dialAddr(ctx context.Context, h hostPort, addr string) (*conn, error) {
	deadline := time.Now().Add(c.cfg.DialTimeout)
	dctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	var nc net.Conn
	var err error
	if c.cfg.Dial != nil {
		nc, err = c.cfg.Dial(dctx, addr)
	} else {
		var d net.Dialer
		nc, err = d.DialContext(dctx, "tcp", addr)
	}
	if err != nil {
		return nil, err
	}
	stop := context.AfterFunc(dctx, func() { nc.Close() })
	defer stop()
	if c.cfg.TLS != nil {
		tc := c.cfg.TLS.Clone()
		if tc.ServerName == "" {
			tc.ServerName = h.host
		}
		tconn := tls.Client(nc, tc)
		if err := tconn.HandshakeContext(dctx); err != nil {
			nc.Close()
			return nil, fmt.Errorf("TLS with %s: %w", addr, err)
		}
		nc = tconn
	}
	nc.SetDeadline(deadline)

	c.mu.Lock()
	req := jute.ConnectRequest{
		LastZxidSeen: c.lastZxid.Load(),
		TimeOut:      int32(c.cfg.SessionTimeout / time.Millisecond),
		SessionID:    c.id,
		Passwd:       c.passwd,
		ReadOnly:     c.cfg.CanBeReadOnly,
	}
	c.mu.Unlock()
	if req.Passwd == nil {
		req.Passwd = make([]byte, jute.PasswordLength)
	}
	b, start := jute.BeginFrame(nil)
	b = req.Append(b)
	if _, err := nc.Write(jute.EndFrame(b, start)); err != nil {
		nc.Close()
		return nil, fmt.Errorf("handshake with %s: %w", addr, err)
	}
	// Buffered: one read system call brings in many replies under load.
	fr := jute.NewFrameReader(bufio.NewReaderSize(nc, 64<<10), c.cfg.MaxFrame)
	frame, err := fr.Next()
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("handshake with %s: %w", addr, err)
	}
	var resp jute.ConnectResponse
	if err := jute.Decode(frame, &resp); err != nil {
		nc.Close()
		return nil, fmt.Errorf("handshake with %s: %w", addr, err)
	}
	if resp.TimeOut <= 0 {
		nc.Close()
		return nil, fmt.Errorf("%w (session %#x, server %s)", errExpired, req.SessionID, addr)
	}
	if req.SessionID != 0 && resp.SessionID != req.SessionID {
		nc.Close()
		return nil, fmt.Errorf("%w: server %s answered with session %#x", errExpired, addr, resp.SessionID)
	}
	// Credentials first, each answered before anything else is sent, so a
	// refusal is known before the connection is used.
	for _, a := range c.cfg.Auth {
		p := jute.AuthPacket{Scheme: a.Scheme, Auth: a.Auth}
		if _, err := nc.Write(jute.AppendRequest(nil, jute.XidAuth, jute.OpAuth, &p)); err != nil {
			nc.Close()
			return nil, fmt.Errorf("auth with %s: %w", addr, err)
		}
		frame, err := fr.Next()
		if err != nil {
			nc.Close()
			return nil, fmt.Errorf("auth with %s: %w", addr, err)
		}
		var h jute.ReplyHeader
		if err := jute.Decode(frame[:min(len(frame), jute.ReplyHeaderSize)], &h); err != nil || h.Xid != jute.XidAuth {
			nc.Close()
			return nil, fmt.Errorf("%w: auth reply from %s (xid %d, %v)", errProtocol, addr, h.Xid, err)
		}
		if h.Err != jute.ErrOK {
			nc.Close()
			return nil, &authError{code: h.Err}
		}
	}
	nc.SetDeadline(time.Time{})
	if !stop() {
		nc.Close()
		return nil, fmt.Errorf("handshake with %s: %w", addr, context.Cause(dctx))
	}
	c.heard()
	timeout := time.Duration(resp.TimeOut) * time.Millisecond
	c.mu.Lock()
	c.id, c.passwd, c.timeout = resp.SessionID, resp.Passwd, timeout
	c.mu.Unlock()

	cn := newConn(c, nc, addr, fr, timeout, resp.ReadOnly)
	// Before any user request: the watches.
	for _, r := range c.watches.setWatches(c.lastZxid.Load()) {
		cn.send(r)
	}
	cn.start()
	return cn, nil
}

// attach makes cn the connection requests go to.
func (c *Client) attach(cn *conn) {
	st := jute.StateSyncConnected
	if cn.readOnly {
		st = jute.StateConnectedReadOnly
	}
	c.mu.Lock()
	c.cur, c.state = cn, st
	close(c.ready)
	id := c.id
	c.mu.Unlock()
	c.log.Info("zookeeper connected", "server", cn.server, "session", fmt.Sprintf("%#x", id),
		"timeout", cn.timeout, "readOnly", cn.readOnly)
	c.events.push(Event{Type: jute.EventNone, State: st, Zxid: -1, Server: cn.server})
}

// closeSession asks the server to end the session, waiting at most a
// second, then drops the connection.
func (c *Client) closeSession(cn *conn) {
	r := newRequest(jute.OpCloseSession)
	r.buf = jute.EndFrame(r.buf, r.start)
	if cn.send(r) {
		t := time.NewTimer(time.Second)
		select {
		case <-r.done:
		case <-cn.done:
		case <-t.C:
		}
		t.Stop()
	}
	cn.fail(ErrClosed)
	cn.wg.Wait()
}

// end makes the session's end final: every waiting and later call fails
// with err, and the last event (state) ends the Events stream.
func (c *Client) end(err error, state jute.KeeperState, cause error) {
	c.mu.Lock()
	c.endErr, c.state = err, state
	c.cur = nil
	close(c.ready)
	id := c.id
	c.mu.Unlock()
	switch state {
	case jute.StateClosed:
		if id != 0 {
			c.log.Info("zookeeper session closed", "session", fmt.Sprintf("%#x", id))
		}
	default:
		c.log.Error("zookeeper session ended", "session", fmt.Sprintf("%#x", id), "state", state.String(), "err", cause)
	}
	c.events.end(Event{Type: jute.EventNone, State: state, Zxid: -1})
}
