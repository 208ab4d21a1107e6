package zkclient

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/zkfs/zkfs/jute"
)

// fakeZK is a scripted server: Config.Dial hands it the far end of a
// net.Pipe for every connection attempt, and the test plays the server.
type fakeZK struct {
	t     *testing.T
	conns chan net.Conn
	mu    sync.Mutex
	all   []net.Conn
}

func newFakeZK(t *testing.T) *fakeZK {
	f := &fakeZK{t: t, conns: make(chan net.Conn)}
	t.Cleanup(func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		for _, c := range f.all {
			c.Close()
		}
	})
	return f
}

func (f *fakeZK) dial(ctx context.Context, addr string) (net.Conn, error) {
	if addr != "127.0.0.1:1" {
		return nil, fmt.Errorf("dial %s: unexpected address", addr)
	}
	client, server := net.Pipe()
	select {
	case f.conns <- server:
		f.mu.Lock()
		f.all = append(f.all, server)
		f.mu.Unlock()
		return client, nil
	case <-ctx.Done():
		client.Close()
		server.Close()
		return nil, ctx.Err()
	}
}

// config returns a Config that dials f, asking for timeout.
func (f *fakeZK) config(timeout time.Duration) Config {
	return Config{Servers: "127.0.0.1:1", Dial: f.dial, SessionTimeout: timeout}
}

// accept waits for the client's next connection attempt.
func (f *fakeZK) accept() *fakeConn {
	f.t.Helper()
	select {
	case nc := <-f.conns:
		return &fakeConn{t: f.t, nc: nc, fr: jute.NewFrameReader(nc, 0)}
	case <-time.After(30 * time.Second):
		f.t.Fatal("the client did not connect")
		return nil
	}
}

// fakeConn is the server's side of one connection.
type fakeConn struct {
	t  *testing.T
	nc net.Conn
	fr *jute.FrameReader
	wm sync.Mutex // serialises writes
}

// handshake reads the ConnectRequest and answers it.
func (fc *fakeConn) handshake(resp jute.ConnectResponse) jute.ConnectRequest {
	fc.t.Helper()
	fc.nc.SetReadDeadline(time.Now().Add(30 * time.Second))
	frame, err := fc.fr.Next()
	if err != nil {
		fc.t.Fatalf("reading the ConnectRequest: %v", err)
	}
	var req jute.ConnectRequest
	if err := jute.Decode(frame, &req); err != nil {
		fc.t.Fatalf("decoding the ConnectRequest: %v", err)
	}
	fc.writeFrame(func(b []byte) []byte { return resp.Append(b) })
	return req
}

// newSession answers a handshake as a server that grants session id with
// timeout ms.
func (fc *fakeConn) newSession(id int64, timeout time.Duration) jute.ConnectRequest {
	fc.t.Helper()
	return fc.handshake(jute.ConnectResponse{TimeOut: int32(timeout / time.Millisecond), SessionID: id, Passwd: make([]byte, 16)})
}

func (fc *fakeConn) writeFrame(body func([]byte) []byte) error {
	b, start := jute.BeginFrame(nil)
	b = body(b)
	return fc.write(jute.EndFrame(b, start))
}

func (fc *fakeConn) write(b []byte) error {
	fc.wm.Lock()
	defer fc.wm.Unlock()
	fc.nc.SetWriteDeadline(time.Now().Add(10 * time.Second))
	_, err := fc.nc.Write(b)
	return err
}

// reply writes a reply header (and body, if any).
func (fc *fakeConn) reply(xid int32, zxid int64, code jute.ErrCode, body jute.Record) error {
	return fc.writeFrame(func(b []byte) []byte {
		h := jute.ReplyHeader{Xid: xid, Zxid: zxid, Err: code}
		b = h.Append(b)
		if body != nil {
			b = body.Append(b)
		}
		return b
	})
}

func (fc *fakeConn) notify(typ jute.EventType, path string) error {
	ev := jute.WatcherEvent{Type: typ, State: jute.StateSyncConnected, Path: path}
	return fc.reply(jute.XidNotification, -1, jute.ErrOK, &ev)
}

// fakeReq is one request frame the client sent.
type fakeReq struct {
	jute.RequestHeader
	body []byte
}

// next reads the next request, answering pings on the way.
func (fc *fakeConn) next() (fakeReq, error) {
	for {
		fc.nc.SetReadDeadline(time.Now().Add(30 * time.Second))
		frame, err := fc.fr.Next()
		if err != nil {
			return fakeReq{}, err
		}
		d := jute.NewDecoder(frame)
		var h jute.RequestHeader
		if err := h.Decode(d); err != nil {
			return fakeReq{}, err
		}
		if h.Xid == jute.XidPing {
			if err := fc.reply(jute.XidPing, 0, jute.ErrOK, nil); err != nil {
				return fakeReq{}, err
			}
			continue
		}
		return fakeReq{h, append([]byte(nil), frame[jute.RequestHeaderSize:]...)}, nil
	}
}

// mustNext is next that fails the test on error and checks the opcode.
func (fc *fakeConn) mustNext(op jute.OpCode) fakeReq {
	fc.t.Helper()
	r, err := fc.next()
	if err != nil {
		fc.t.Fatalf("waiting for %v: %v", op, err)
	}
	if r.Type != op {
		fc.t.Fatalf("got %v (xid %d), want %v", r.Type, r.Xid, op)
	}
	return r
}

// answerGet answers a getData request with data.
func (fc *fakeConn) answerGet(r fakeReq, zxid int64, data string) {
	fc.t.Helper()
	resp := jute.GetDataResponse{Data: []byte(data), Stat: jute.Stat{Czxid: 1, Mzxid: zxid, DataLength: int32(len(data))}}
	if err := fc.reply(r.Xid, zxid, jute.ErrOK, &resp); err != nil {
		fc.t.Fatal(err)
	}
}

// serve answers requests in the background until the connection ends:
// pings, and getData with the path as data. It returns a channel closed
// when it stops.
func (fc *fakeConn) serve(zxid int64) chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			r, err := fc.next()
			if err != nil {
				return
			}
			var body jute.Record
			if r.Type == jute.OpGetData {
				var req jute.GetDataRequest
				jute.Decode(r.body, &req)
				body = &jute.GetDataResponse{Data: []byte(req.Path)}
			}
			if fc.reply(r.Xid, zxid, jute.ErrOK, body) != nil {
				return
			}
		}
	}()
	return done
}

// asyncGet starts a Get and returns its outcome on a channel.
func asyncGet(c *Client, path string) chan error {
	ch := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, _, err := c.Get(ctx, path)
		ch <- err
	}()
	return ch
}

func waitErr(t *testing.T, ch chan error) error {
	t.Helper()
	select {
	case err := <-ch:
		return err
	case <-time.After(30 * time.Second):
		t.Fatal("the call did not return")
		return nil
	}
}

// connectFake connects a client to f and plays the first handshake.
func connectFake(t *testing.T, f *fakeZK, cfg Config, id int64, timeout time.Duration) (*Client, *fakeConn) {
	t.Helper()
	type res struct {
		c   *Client
		err error
	}
	ch := make(chan res, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := Connect(ctx, cfg)
		ch <- res{c, err}
	}()
	fc := f.accept()
	req := fc.newSession(id, timeout)
	if req.SessionID != 0 || req.TimeOut != int32(cfg.SessionTimeout/time.Millisecond) || len(req.Passwd) != 16 {
		t.Fatalf("first ConnectRequest: %+v", req)
	}
	r := <-ch
	if r.err != nil {
		t.Fatalf("connect: %v", r.err)
	}
	t.Cleanup(func() { r.c.Close() })
	return r.c, fc
}

// Every way a server can break the protocol drops the connection: the call
// in flight gets ErrConnectionLoss, nothing panics, and the client
// reconnects in the same session.
func TestFakeProtocolViolations(t *testing.T) {
	cases := []struct {
		name string
		idle bool // misbehave with no request in flight
		// misbehave gets the pending getData request (a made-up one when
		// idle) and breaks the protocol.
		misbehave func(fc *fakeConn, r fakeReq)
	}{
		{"wrong xid", false, func(fc *fakeConn, r fakeReq) {
			fc.reply(r.Xid+1, 5, jute.ErrOK, &jute.GetDataResponse{})
		}},
		{"reply with nothing pending", true, func(fc *fakeConn, r fakeReq) {
			fc.reply(r.Xid+1, 5, jute.ErrOK, &jute.GetDataResponse{})
		}},
		{"oversized frame length", false, func(fc *fakeConn, r fakeReq) {
			fc.write([]byte{0x7f, 0xff, 0xff, 0xff})
		}},
		{"negative frame length", false, func(fc *fakeConn, r fakeReq) {
			fc.write([]byte{0xff, 0xff, 0xff, 0xfe, 1, 2, 3})
		}},
		{"frame shorter than a header", false, func(fc *fakeConn, r fakeReq) {
			fc.write([]byte{0, 0, 0, 3, 1, 2, 3})
		}},
		{"truncated reply body", false, func(fc *fakeConn, r fakeReq) {
			fc.writeFrame(func(b []byte) []byte {
				h := jute.ReplyHeader{Xid: r.Xid, Zxid: 5}
				b = h.Append(b)
				return jute.AppendInt32(b, 100) // data length 100, no data, no stat
			})
		}},
		{"huge length inside a reply", false, func(fc *fakeConn, r fakeReq) {
			fc.writeFrame(func(b []byte) []byte {
				h := jute.ReplyHeader{Xid: r.Xid, Zxid: 5}
				b = h.Append(b)
				return jute.AppendInt32(b, 0x7ffffff0)
			})
		}},
		{"truncated notification", false, func(fc *fakeConn, r fakeReq) {
			fc.writeFrame(func(b []byte) []byte {
				h := jute.ReplyHeader{Xid: jute.XidNotification, Zxid: -1}
				b = h.Append(b)
				return jute.AppendInt32(b, int32(jute.EventNodeCreated))
			})
		}},
		{"garbage", false, func(fc *fakeConn, r fakeReq) {
			g := make([]byte, 64)
			for i := range g {
				g[i] = byte(i*37 + 11)
			}
			binary.BigEndian.PutUint32(g, 60)
			fc.write(g)
		}},
		{"connection closed", false, func(fc *fakeConn, r fakeReq) {
			fc.nc.Close()
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeZK(t)
			c, fc := connectFake(t, f, f.config(6*time.Second), 0x1234, 6*time.Second)
			ev := watchEvents(c)
			ev.waitState(t, 10*time.Second, jute.StateSyncConnected)

			// A good reply first: it sets lastZxid.
			got := asyncGet(c, "/a")
			fc.answerGet(fc.mustNext(jute.OpGetData), 5, "A")
			if err := waitErr(t, got); err != nil {
				t.Fatal(err)
			}
			if tc.idle {
				tc.misbehave(fc, fakeReq{RequestHeader: jute.RequestHeader{Xid: 1000}})
			} else {
				got = asyncGet(c, "/b")
				tc.misbehave(fc, fc.mustNext(jute.OpGetData))
				wantErr(t, waitErr(t, got), ErrConnectionLoss, "get", "/b")
			}
			ev.waitState(t, 10*time.Second, jute.StateDisconnected)
			fc.nc.Close()

			// Same session again.
			fc2 := f.accept()
			req := fc2.newSession(0x1234, 6*time.Second)
			if req.SessionID != 0x1234 || req.LastZxidSeen != 5 {
				t.Fatalf("reconnect ConnectRequest: %+v", req)
			}
			ev.waitState(t, 10*time.Second, jute.StateSyncConnected)
			fc2.serve(6)
			ctx := testCtx(t)
			if data, _, err := c.Get(ctx, "/c"); err != nil || string(data) != "/c" {
				t.Fatalf("after reconnect: %q %v", data, err)
			}
			if st := c.Stats(); st.Reconnects != 1 || c.SessionID() != 0x1234 {
				t.Fatalf("stats %+v", st)
			}
		})
	}
}

// A server that announces a large frame and sends little costs the client
// little memory, and the connection still drops (at the read deadline).
func TestFakeLargeFrameNoHugeAllocation(t *testing.T) {
	f := newFakeZK(t)
	cfg := f.config(3 * time.Second)
	cfg.MaxFrame = 256 << 20
	c, fc := connectFake(t, f, cfg, 7, 3*time.Second)
	ev := watchEvents(c)
	ev.waitState(t, 10*time.Second, jute.StateSyncConnected)

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	got := asyncGet(c, "/a")
	r := fc.mustNext(jute.OpGetData)
	// 256 MiB announced, a header's worth sent.
	hdr := make([]byte, 4, 64)
	binary.BigEndian.PutUint32(hdr, 256<<20-1)
	h := jute.ReplyHeader{Xid: r.Xid, Zxid: 1}
	fc.write(h.Append(hdr))
	go func() { // keep reading, so that only the read deadline can end it
		for {
			if _, err := fc.fr.Next(); err != nil {
				return
			}
		}
	}()
	wantErr(t, waitErr(t, got), ErrConnectionLoss, "get", "/a")
	runtime.ReadMemStats(&after)
	if grown := after.TotalAlloc - before.TotalAlloc; grown > 32<<20 {
		t.Fatalf("%d MiB allocated for a frame that never came", grown>>20)
	}
	ev.waitState(t, 10*time.Second, jute.StateDisconnected)
}

// A server that stops answering (a half-open connection) is noticed after
// about 2/3 of the negotiated timeout: the client pings every third of it
// and gives up when nothing came back.
func TestFakeHalfOpen(t *testing.T) {
	f := newFakeZK(t)
	const negotiated = 3 * time.Second
	// The client asks for 30 s; the server's answer rules.
	c, fc := connectFake(t, f, f.config(30*time.Second), 9, negotiated)
	if c.SessionTimeout() != negotiated {
		t.Fatalf("SessionTimeout() = %v, want the negotiated %v", c.SessionTimeout(), negotiated)
	}
	ev := watchEvents(c)
	ev.waitState(t, 10*time.Second, jute.StateSyncConnected)

	// Idle: the client pings, and the fake answers.
	pings := 0
	lastFrame := time.Now() // the last frame the fake sent
	deadline := time.Now().Add(negotiated + negotiated/4)
	for time.Now().Before(deadline) {
		fc.nc.SetReadDeadline(deadline)
		frame, err := fc.fr.Next()
		if err != nil {
			break
		}
		var h jute.RequestHeader
		jute.Decode(frame[:8], &h)
		if h.Xid != jute.XidPing || h.Type != jute.OpPing {
			t.Fatalf("unexpected request %+v while idle", h)
		}
		pings++
		fc.reply(jute.XidPing, 0, jute.ErrOK, nil)
		lastFrame = time.Now()
	}
	if pings == 0 || c.State() != jute.StateSyncConnected {
		t.Fatalf("%d pings with a %v timeout; state %v", pings, negotiated, c.State())
	}

	// Now silence: read everything, answer nothing.
	got := asyncGet(c, "/a")
	go func() {
		fc.nc.SetReadDeadline(time.Time{})
		for {
			if _, err := fc.fr.Next(); err != nil {
				return
			}
		}
	}()
	wantErr(t, waitErr(t, got), ErrConnectionLoss, "get", "/a")
	ev.waitState(t, 10*time.Second, jute.StateDisconnected)
	// The client's read deadline starts when it has read the last frame,
	// which is when the fake's write of it returned (a pipe has no buffer).
	took := time.Since(lastFrame)
	if took < negotiated/2 || took > 3*negotiated {
		t.Fatalf("silence noticed %v after the last frame, with a %v timeout (expected about %v)", took, negotiated, negotiated*2/3)
	}
	t.Logf("silence noticed %v after the last frame (negotiated %v)", took, negotiated)
}

// ConnectResponse with timeout 0 means the session is gone.
func TestFakeExpiredOnConnect(t *testing.T) {
	f := newFakeZK(t)
	done := make(chan error, 1)
	go func() {
		_, err := Connect(testCtx(t), f.config(5*time.Second))
		done <- err
	}()
	fc := f.accept()
	fc.handshake(jute.ConnectResponse{TimeOut: 0, Passwd: make([]byte, 16)})
	err := waitErr(t, done)
	if !errors.Is(err, ErrSessionExpired) {
		t.Fatalf("connect answered with timeout 0: %v", err)
	}
}

// The server reports expiry on a reconnect: StateExpired is the last event,
// the channel closes, every call fails with ErrSessionExpired, and nothing
// dials again.
func TestFakeExpiredOnReconnect(t *testing.T) {
	f := newFakeZK(t)
	c, fc := connectFake(t, f, f.config(5*time.Second), 0x42, 5*time.Second)
	ev := watchEvents(c)
	ev.waitState(t, 10*time.Second, jute.StateSyncConnected)
	waiting := asyncGet(c, "/a")
	fc.mustNext(jute.OpGetData)
	fc.nc.Close()
	wantErr(t, waitErr(t, waiting), ErrConnectionLoss, "get", "/a")
	ev.waitState(t, 10*time.Second, jute.StateDisconnected)
	eventually(t, 10*time.Second, "disconnected", func() bool { return c.State() == jute.StateDisconnected })
	waiting = asyncGet(c, "/b")
	fc2 := f.accept()
	req := fc2.handshake(jute.ConnectResponse{TimeOut: 0, Passwd: make([]byte, 16)})
	if req.SessionID != 0x42 {
		t.Fatalf("reconnect for session %#x", req.SessionID)
	}
	wantErr(t, waitErr(t, waiting), ErrSessionExpired, "get", "/b")
	evs := ev.waitClosed(t, 10*time.Second)
	if last := evs[len(evs)-1]; last.Type != jute.EventNone || last.State != jute.StateExpired {
		t.Fatalf("last event %+v; all %v", last, evs)
	}
	if c.State() != jute.StateExpired {
		t.Fatalf("state %v", c.State())
	}
	_, err := c.Set(testCtx(t), "/c", nil, -1)
	wantErr(t, err, ErrSessionExpired, "set", "/c")
	select {
	case <-f.conns:
		t.Fatal("dialled again after expiry")
	case <-time.After(300 * time.Millisecond):
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
}

// A server that answers a reconnect with another session id: the old
// session is gone.
func TestFakeOtherSessionOnReconnect(t *testing.T) {
	f := newFakeZK(t)
	c, fc := connectFake(t, f, f.config(5*time.Second), 0x42, 5*time.Second)
	fc.nc.Close()
	fc2 := f.accept()
	fc2.newSession(0x43, 5*time.Second)
	_, _, err := c.Get(testCtx(t), "/a")
	wantErr(t, err, ErrSessionExpired, "get", "/a")
}

// On a reconnect the client sends the ConnectRequest, then its credentials,
// then the watches, and only then the requests made while disconnected.
func TestFakeReconnectOrder(t *testing.T) {
	f := newFakeZK(t)
	cfg := f.config(6 * time.Second)
	cfg.Auth = []Auth{{"digest", []byte("u:p")}, {"ip", []byte("x")}}
	type res struct {
		c   *Client
		err error
	}
	ch := make(chan res, 1)
	go func() {
		c, err := Connect(testCtx(t), cfg)
		ch <- res{c, err}
	}()
	fc := f.accept()
	fc.newSession(0x77, 6*time.Second)
	for _, a := range cfg.Auth {
		r := fc.mustNext(jute.OpAuth)
		var p jute.AuthPacket
		if err := jute.Decode(r.body, &p); err != nil || r.Xid != jute.XidAuth || p.Scheme != a.Scheme || string(p.Auth) != string(a.Auth) {
			t.Fatalf("auth packet %+v %+v %v", r.RequestHeader, p, err)
		}
		fc.reply(jute.XidAuth, 0, jute.ErrOK, nil)
	}
	r := <-ch
	if r.err != nil {
		t.Fatal(r.err)
	}
	c := r.c
	defer c.Close()
	ev := watchEvents(c)

	// Watches of every kind.
	calls := []struct {
		op   jute.OpCode
		call func() error
	}{
		{jute.OpGetData, func() error { _, _, err := c.GetW(testCtx(t), "/d"); return err }},
		{jute.OpExists, func() error { _, _, err := c.ExistsW(testCtx(t), "/e"); return err }},
		{jute.OpGetChildren2, func() error { _, _, err := c.ChildrenW(testCtx(t), "/c"); return err }},
		{jute.OpAddWatch, func() error { return c.AddWatch(testCtx(t), "/p", jute.AddWatchPersistent) }},
		{jute.OpAddWatch, func() error { return c.AddWatch(testCtx(t), "/r", jute.AddWatchPersistentRecursive) }},
	}
	for i, call := range calls {
		done := make(chan error, 1)
		go func() { done <- call.call() }()
		req := fc.mustNext(call.op)
		var body jute.Record
		code := jute.ErrOK
		switch call.op {
		case jute.OpGetData:
			body = &jute.GetDataResponse{}
		case jute.OpExists:
			code = jute.ErrNoNode // an exist watch on a missing node
		case jute.OpGetChildren2:
			body = &jute.GetChildren2Response{}
		}
		fc.reply(req.Xid, int64(10+i), code, body)
		if err := waitErr(t, done); err != nil {
			t.Fatal(err)
		}
	}
	// The data watch fires: it is not restored.
	fc.notify(jute.EventNodeDataChanged, "/d")
	ev.waitNode(t, 10*time.Second, jute.EventNodeDataChanged, "/d")
	fc.nc.Close()
	ev.waitState(t, 10*time.Second, jute.StateDisconnected)
	eventually(t, 10*time.Second, "disconnected", func() bool { return c.State() == jute.StateDisconnected })
	waiting := asyncGet(c, "/later")
	time.Sleep(50 * time.Millisecond)

	fc2 := f.accept()
	req := fc2.newSession(0x77, 6*time.Second)
	if req.SessionID != 0x77 || req.LastZxidSeen != 14 {
		t.Fatalf("reconnect: %+v", req)
	}
	for _, a := range cfg.Auth {
		r := fc2.mustNext(jute.OpAuth)
		var p jute.AuthPacket
		jute.Decode(r.body, &p)
		if p.Scheme != a.Scheme {
			t.Fatalf("auth replayed out of order: %+v", p)
		}
		fc2.reply(jute.XidAuth, 0, jute.ErrOK, nil)
	}
	sw := fc2.mustNext(jute.OpSetWatches2)
	var body jute.SetWatches2
	if err := jute.Decode(sw.body, &body); err != nil {
		t.Fatal(err)
	}
	if sw.Xid != jute.XidSetWatches || body.RelativeZxid != 14 || len(body.DataWatches) != 0 ||
		len(body.ExistWatches) != 1 || body.ExistWatches[0] != "/e" ||
		len(body.ChildWatches) != 1 || body.ChildWatches[0] != "/c" ||
		len(body.PersistentWatches) != 1 || body.PersistentWatches[0] != "/p" ||
		len(body.PersistentRecursiveWatches) != 1 || body.PersistentRecursiveWatches[0] != "/r" {
		t.Fatalf("SetWatches2 %+v %+v", sw.RequestHeader, body)
	}
	get := fc2.mustNext(jute.OpGetData)
	fc2.reply(sw.Xid, 20, jute.ErrOK, nil)
	fc2.answerGet(get, 21, "later")
	if err := waitErr(t, waiting); err != nil {
		t.Fatal(err)
	}
	if c.LastZxid() != 21 {
		t.Fatalf("lastZxid %d", c.LastZxid())
	}
	// A notification's zxid does not move lastZxid.
	fc2.writeFrame(func(b []byte) []byte {
		h := jute.ReplyHeader{Xid: jute.XidNotification, Zxid: 99}
		b = h.Append(b)
		e := jute.WatcherEvent{Type: jute.EventNodeCreated, State: jute.StateSyncConnected, Path: "/e"}
		return e.Append(b)
	})
	if e := ev.waitNode(t, 10*time.Second, jute.EventNodeCreated, "/e"); e.Zxid != 99 {
		t.Fatalf("event zxid %d", e.Zxid)
	}
	if c.LastZxid() != 21 {
		t.Fatalf("lastZxid %d after a notification", c.LastZxid())
	}
}

// An auth packet refused on a reconnect ends the session with
// StateAuthFailed.
func TestFakeAuthFailedOnReconnect(t *testing.T) {
	f := newFakeZK(t)
	cfg := f.config(6 * time.Second)
	cfg.Auth = []Auth{{"digest", []byte("u:p")}}
	type res struct {
		c   *Client
		err error
	}
	ch := make(chan res, 1)
	go func() {
		c, err := Connect(testCtx(t), cfg)
		ch <- res{c, err}
	}()
	fc := f.accept()
	fc.newSession(0x78, 6*time.Second)
	fc.mustNext(jute.OpAuth)
	fc.reply(jute.XidAuth, 0, jute.ErrOK, nil)
	r := <-ch
	if r.err != nil {
		t.Fatal(r.err)
	}
	c := r.c
	defer c.Close()
	ev := watchEvents(c)
	fc.nc.Close()
	fc2 := f.accept()
	fc2.newSession(0x78, 6*time.Second)
	fc2.mustNext(jute.OpAuth)
	fc2.reply(jute.XidAuth, 0, jute.ErrAuthFailed, nil)
	evs := ev.waitClosed(t, 10*time.Second)
	if last := evs[len(evs)-1]; last.State != jute.StateAuthFailed {
		t.Fatalf("events %v", evs)
	}
	_, _, err := c.Get(testCtx(t), "/a")
	wantErr(t, err, ErrAuthFailed, "get", "/a")
}

// Events come out in the order the notifications arrived, and one that
// arrived before a reply is queued before that reply reaches its caller.
func TestFakeEventOrder(t *testing.T) {
	f := newFakeZK(t)
	c, fc := connectFake(t, f, f.config(6*time.Second), 1, 6*time.Second)
	ev := watchEvents(c)
	ev.waitState(t, 10*time.Second, jute.StateSyncConnected)
	const n = 500
	got := asyncGet(c, "/x")
	r := fc.mustNext(jute.OpGetData)
	for i := range n {
		fc.notify(jute.EventNodeDataChanged, fmt.Sprintf("/n%d", i))
	}
	fc.answerGet(r, 3, "x")
	if err := waitErr(t, got); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if e := ev.nextNode(t, 10*time.Second); e.Path != fmt.Sprintf("/n%d", i) {
			t.Fatalf("event %d: %+v", i, e)
		}
	}
}
