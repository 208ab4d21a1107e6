package jute_test

import (
	"bytes"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/zkfs/zkfs/internal/zktest"
	"github.com/zkfs/zkfs/jute"
)

// rawConn speaks the ZooKeeper protocol over a net.Conn using jute alone.
// The test goroutine owns it.
type rawConn struct {
	t       *testing.T
	name    string
	c       net.Conn
	fr      *jute.FrameReader
	buf     []byte
	xid     int32
	session int64
	// pending holds notifications read while waiting for a reply.
	pending []jute.WatcherEvent
}

func dialRaw(t *testing.T, name, addr string) *rawConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 30*time.Second)
	if err != nil {
		t.Fatalf("%s: dial %s: %v", name, addr, err)
	}
	t.Cleanup(func() { c.Close() })
	// Generous: the machine is loaded; nothing here should ever wait this long.
	if err := c.SetDeadline(time.Now().Add(30 * time.Second)); err != nil {
		t.Fatal(err)
	}
	return &rawConn{t: t, name: name, c: c, fr: jute.NewFrameReader(c, 0)}
}

func (rc *rawConn) write(frame []byte) {
	rc.t.Helper()
	if _, err := rc.c.Write(frame); err != nil {
		rc.t.Fatalf("%s: write: %v", rc.name, err)
	}
}

func (rc *rawConn) next() []byte {
	rc.t.Helper()
	p, err := rc.fr.Next()
	if err != nil {
		rc.t.Fatalf("%s: read frame: %v", rc.name, err)
	}
	return p
}

// handshake sends a ConnectRequest with the readOnly byte and checks the
// ConnectResponse.
func (rc *rawConn) handshake() {
	rc.t.Helper()
	b, start := jute.BeginFrame(rc.buf[:0])
	req := jute.ConnectRequest{TimeOut: 10000, Passwd: make([]byte, 16), ReadOnly: false}
	b = req.Append(b)
	if jute.FrameLength(b, start) != 45 {
		rc.t.Fatalf("ConnectRequest payload %d bytes, want 45", jute.FrameLength(b, start))
	}
	rc.write(jute.EndFrame(b, start))

	p := rc.next()
	if len(p) != 37 {
		rc.t.Fatalf("%s: ConnectResponse payload %d bytes, want 37 (with readOnly byte)", rc.name, len(p))
	}
	var resp jute.ConnectResponse
	d := jute.NewDecoder(p)
	if err := resp.Decode(d); err != nil {
		rc.t.Fatalf("%s: ConnectResponse: %v", rc.name, err)
	}
	if resp.ProtocolVersion != 0 || resp.TimeOut <= 0 || resp.SessionID == 0 || len(resp.Passwd) != 16 ||
		resp.ReadOnly || d.Remaining() != 0 {
		rc.t.Fatalf("%s: ConnectResponse %+v (remaining %d)", rc.name, resp, d.Remaining())
	}
	// tickTime=2000 clamps to [4000, 40000]; 10000 is inside.
	if resp.TimeOut != 10000 {
		rc.t.Fatalf("%s: negotiated timeout %d, want 10000", rc.name, resp.TimeOut)
	}
	if bytes.Equal(resp.Passwd, make([]byte, 16)) {
		rc.t.Fatalf("%s: all-zero password for a valid session", rc.name)
	}
	rc.session = resp.SessionID
}

// call sends a request and returns the reply header and a decoder
// positioned at the body. Notifications read meanwhile go to pending.
func (rc *rawConn) call(op jute.OpCode, body jute.Record) (jute.ReplyHeader, *jute.Decoder) {
	rc.t.Helper()
	rc.xid++
	xid := rc.xid
	if op == jute.OpPing {
		xid = jute.XidPing
	}
	rc.buf = jute.AppendRequest(rc.buf[:0], xid, op, body)
	rc.write(rc.buf)
	for {
		var h jute.ReplyHeader
		d := jute.NewDecoder(rc.next())
		if err := h.Decode(d); err != nil {
			rc.t.Fatalf("%s: ReplyHeader: %v", rc.name, err)
		}
		if h.Xid == jute.XidNotification {
			rc.pending = append(rc.pending, rc.notification(h, d))
			continue
		}
		if h.Xid != xid {
			rc.t.Fatalf("%s: %v reply xid %d, want %d", rc.name, op, h.Xid, xid)
		}
		return h, d
	}
}

// ok calls op, requires err 0 and decodes the body into resp (if non-nil)
// exactly, with no trailing bytes.
func (rc *rawConn) ok(op jute.OpCode, body, resp jute.Record) jute.ReplyHeader {
	rc.t.Helper()
	h, d := rc.call(op, body)
	if h.Err != jute.ErrOK {
		rc.t.Fatalf("%s: %v: err %v", rc.name, op, h.Err)
	}
	if h.Zxid <= 0 {
		rc.t.Fatalf("%s: %v: reply zxid %d", rc.name, op, h.Zxid)
	}
	if resp != nil {
		if err := resp.Decode(d); err != nil {
			rc.t.Fatalf("%s: %v: decode %T: %v", rc.name, op, resp, err)
		}
	}
	if d.Remaining() != 0 {
		rc.t.Fatalf("%s: %v: %d unexpected trailing bytes", rc.name, op, d.Remaining())
	}
	return h
}

func (rc *rawConn) notification(h jute.ReplyHeader, d *jute.Decoder) jute.WatcherEvent {
	rc.t.Helper()
	var ev jute.WatcherEvent
	if err := ev.Decode(d); err != nil || d.Remaining() != 0 {
		rc.t.Fatalf("%s: WatcherEvent: %v (remaining %d)", rc.name, err, d.Remaining())
	}
	// 3.8 notifications carry zxid -1 and err 0.
	if h.Zxid != -1 || h.Err != jute.ErrOK {
		rc.t.Fatalf("%s: notification header %+v", rc.name, h)
	}
	return ev
}

// nextEvent returns the next notification, reading a frame if none is
// pending; any other frame is a failure.
func (rc *rawConn) nextEvent() jute.WatcherEvent {
	rc.t.Helper()
	if len(rc.pending) > 0 {
		ev := rc.pending[0]
		rc.pending = rc.pending[1:]
		return ev
	}
	var h jute.ReplyHeader
	d := jute.NewDecoder(rc.next())
	if err := h.Decode(d); err != nil || h.Xid != jute.XidNotification {
		rc.t.Fatalf("%s: expected a notification, got %+v (%v)", rc.name, h, err)
	}
	return rc.notification(h, d)
}

// closeSession sends closeSession, checks the reply and that the server
// then closes the connection.
func (rc *rawConn) closeSession() {
	rc.t.Helper()
	h, d := rc.call(jute.OpCloseSession, nil)
	if h.Err != jute.ErrOK || d.Remaining() != 0 {
		rc.t.Fatalf("%s: closeSession reply %+v, %d body bytes", rc.name, h, d.Remaining())
	}
	for {
		p, err := rc.fr.Next()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				rc.t.Fatalf("%s: after closeSession: %v; want io.EOF", rc.name, err)
			}
			return
		}
		// Only notifications may still arrive before the server closes.
		var h jute.ReplyHeader
		d := jute.NewDecoder(p)
		if err := h.Decode(d); err != nil || h.Xid != jute.XidNotification {
			rc.t.Fatalf("%s: after closeSession: frame %x", rc.name, p)
		}
		rc.pending = append(rc.pending, rc.notification(h, d))
	}
}

func TestRealServer(t *testing.T) {
	srv := zktest.Start(t)
	a := dialRaw(t, "A", srv.Addr())
	a.handshake()

	// create2
	var created jute.Create2Response
	hdr := a.ok(jute.OpCreate2, &jute.CreateRequest{Path: "/jute", Data: []byte("hello"), ACL: jute.WorldACL,
		Flags: jute.ModePersistent}, &created)
	st := created.Stat
	if created.Path != "/jute" {
		t.Fatalf("create2 path %q", created.Path)
	}
	if st.Czxid <= 0 || st.Mzxid != st.Czxid || st.Pzxid != st.Czxid || hdr.Zxid < st.Czxid {
		t.Fatalf("create2 zxids: %+v (reply zxid %d)", st, hdr.Zxid)
	}
	if st.Ctime <= 0 || st.Mtime != st.Ctime || st.Version != 0 || st.Cversion != 0 || st.Aversion != 0 ||
		st.EphemeralOwner != 0 || st.DataLength != 5 || st.NumChildren != 0 {
		t.Fatalf("create2 stat %+v", st)
	}

	// getData
	var got jute.GetDataResponse
	a.ok(jute.OpGetData, &jute.GetDataRequest{Path: "/jute"}, &got)
	if string(got.Data) != "hello" || got.Stat != st {
		t.Fatalf("getData %q %+v, want %+v", got.Data, got.Stat, st)
	}

	// setData
	var set jute.SetDataResponse
	a.ok(jute.OpSetData, &jute.SetDataRequest{Path: "/jute", Data: []byte("world!"), Version: 0}, &set)
	if set.Stat.Version != 1 || set.Stat.Czxid != st.Czxid || set.Stat.Mzxid <= st.Mzxid ||
		set.Stat.DataLength != 6 || set.Stat.Ctime != st.Ctime || set.Stat.Mtime < st.Mtime {
		t.Fatalf("setData stat %+v", set.Stat)
	}
	// A stale version is refused with BADVERSION and no body.
	if h, d := a.call(jute.OpSetData, &jute.SetDataRequest{Path: "/jute", Data: nil, Version: 0}); h.Err != jute.ErrBadVersion || d.Remaining() != 0 {
		t.Fatalf("stale setData: %+v, %d body bytes", h, d.Remaining())
	}

	// An ephemeral child, then getChildren2.
	var child jute.Create2Response
	a.ok(jute.OpCreate2, &jute.CreateRequest{Path: "/jute/c1", Data: nil, ACL: jute.WorldACL, Flags: jute.ModeEphemeral}, &child)
	if child.Path != "/jute/c1" || child.Stat.EphemeralOwner != a.session || child.Stat.DataLength != 0 {
		t.Fatalf("ephemeral create2 %+v (session %#x)", child, a.session)
	}
	var nulled jute.GetDataResponse
	a.ok(jute.OpGetData, &jute.GetDataRequest{Path: "/jute/c1"}, &nulled)
	if nulled.Data != nil {
		t.Fatalf("null data came back as %#v", nulled.Data)
	}
	var kids jute.GetChildren2Response
	a.ok(jute.OpGetChildren2, &jute.GetChildren2Request{Path: "/jute"}, &kids)
	if len(kids.Children) != 1 || kids.Children[0] != "c1" {
		t.Fatalf("children %q", kids.Children)
	}
	if kids.Stat.NumChildren != 1 || kids.Stat.Cversion != 1 || kids.Stat.Pzxid != child.Stat.Czxid ||
		kids.Stat.Version != 1 || kids.Stat.Czxid != st.Czxid {
		t.Fatalf("parent stat %+v", kids.Stat)
	}

	// A multi with one good op and one failing op: atomic, nothing applied.
	var failed jute.MultiResponse
	a.ok(jute.OpMulti, &jute.MultiRequest{Ops: []jute.MultiOp{
		{Type: jute.OpCreate2, Req: &jute.CreateRequest{Path: "/jute/m1", Data: []byte{}, ACL: jute.WorldACL}},
		{Type: jute.OpDelete, Req: &jute.DeleteRequest{Path: "/jute/missing", Version: -1}},
	}}, &failed)
	if len(failed.Results) != 2 ||
		failed.Results[0].Type != jute.OpError || failed.Results[0].Err != jute.ErrOK ||
		failed.Results[1].Type != jute.OpError || failed.Results[1].Err != jute.ErrNoNode {
		t.Fatalf("failed multi results %v", failed.Results)
	}
	if i, code := failed.FirstError(); i != 1 || code != jute.ErrNoNode {
		t.Fatalf("FirstError %d %v", i, code)
	}
	if h, d := a.call(jute.OpExists, &jute.ExistsRequest{Path: "/jute/m1"}); h.Err != jute.ErrNoNode || d.Remaining() != 0 {
		t.Fatalf("rolled-back node: exists %+v", h)
	}

	// A successful multi: create2, setData, check.
	var multi jute.MultiResponse
	a.ok(jute.OpMulti, &jute.MultiRequest{Ops: []jute.MultiOp{
		{Type: jute.OpCreate2, Req: &jute.CreateRequest{Path: "/jute/m2", Data: []byte("a"), ACL: jute.WorldACL}},
		{Type: jute.OpSetData, Req: &jute.SetDataRequest{Path: "/jute/m2", Data: []byte("bb"), Version: 0}},
		{Type: jute.OpCheck, Req: &jute.CheckVersionRequest{Path: "/jute/m2", Version: 1}},
	}}, &multi)
	if len(multi.Results) != 3 {
		t.Fatalf("multi results %v", multi.Results)
	}
	r0 := multi.Results[0]
	switch r0.Type {
	case jute.OpCreate: // what 3.8 sends for create2 inside a multi
		t.Logf("create2 in multi answered with a plain create result")
	case jute.OpCreate2:
		if r0.Stat.Czxid <= 0 {
			t.Fatalf("create2 result stat %+v", r0.Stat)
		}
	default:
		t.Fatalf("first multi result %v", r0)
	}
	if r0.Path != "/jute/m2" {
		t.Fatalf("multi create path %q", r0.Path)
	}
	r1 := multi.Results[1]
	if r1.Type != jute.OpSetData || r1.Stat.Version != 1 || r1.Stat.DataLength != 2 || r1.Stat.Czxid != r1.Stat.Mzxid {
		t.Fatalf("multi setData result %+v (create and set share one zxid)", r1)
	}
	if multi.Results[2].Type != jute.OpCheck {
		t.Fatalf("multi check result %v", multi.Results[2])
	}

	// addWatch (persistent recursive) on A; B creates below it.
	var addWatch jute.ErrorResponse
	a.ok(jute.OpAddWatch, &jute.AddWatchRequest{Path: "/jute", Mode: jute.AddWatchPersistentRecursive}, &addWatch)
	if addWatch.Err != jute.ErrOK {
		t.Fatalf("addWatch body %v", addWatch.Err)
	}
	b := dialRaw(t, "B", srv.Addr())
	b.handshake()
	if b.session == a.session {
		t.Fatal("two connections got the same session")
	}
	var plain jute.CreateResponse
	b.ok(jute.OpCreate, &jute.CreateRequest{Path: "/jute/fromB", Data: []byte("x"), ACL: jute.WorldACL}, &plain)
	if plain.Path != "/jute/fromB" {
		t.Fatalf("create path %q", plain.Path)
	}
	ev := a.nextEvent()
	if ev != (jute.WatcherEvent{Type: jute.EventNodeCreated, State: jute.StateSyncConnected, Path: "/jute/fromB"}) {
		t.Fatalf("event %+v", ev)
	}

	// ping: xid -2, no body.
	ping := a.ok(jute.OpPing, nil, nil)
	if ping.Xid != jute.XidPing {
		t.Fatalf("ping reply %+v", ping)
	}

	// closeSession, then EOF. Closing deletes A's ephemeral, which A's own
	// recursive watch may report before the reply.
	a.closeSession()
	t.Logf("A saw %d notification(s) while closing", len(a.pending))
	for _, ev := range a.pending {
		if ev != (jute.WatcherEvent{Type: jute.EventNodeDeleted, State: jute.StateSyncConnected, Path: "/jute/c1"}) {
			t.Fatalf("unexpected event on A: %+v", ev)
		}
	}
	if h, _ := b.call(jute.OpExists, &jute.ExistsRequest{Path: "/jute/c1"}); h.Err != jute.ErrNoNode {
		t.Fatalf("A's ephemeral survived closeSession: %+v", h)
	}
	var count jute.GetAllChildrenNumberResponse
	b.ok(jute.OpGetAllChildrenNumber, &jute.GetAllChildrenNumberRequest{Path: "/jute"}, &count)
	if count.TotalNumber != 2 { // m2, fromB
		t.Fatalf("getAllChildrenNumber %d", count.TotalNumber)
	}
	var who jute.WhoAmIResponse
	b.ok(jute.OpWhoAmI, nil, &who)
	if len(who.ClientInfo) != 1 || who.ClientInfo[0].AuthScheme != "ip" || who.ClientInfo[0].User != "127.0.0.1" {
		t.Fatalf("whoAmI %+v", who.ClientInfo)
	}
	b.closeSession()
}
