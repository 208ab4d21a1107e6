package jute

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
)

func TestGoldenEncode(t *testing.T) {
	for _, g := range allGoldens() {
		t.Run(g.name, func(t *testing.T) {
			got := g.rec.Append(nil)
			if !bytes.Equal(got, g.wire) {
				t.Fatalf("Append:\n got %x\nwant %x", got, g.wire)
			}
			// Appending to a non-empty buffer must leave the prefix alone.
			prefix := []byte{0xAA, 0xBB}
			got = g.rec.Append(append([]byte(nil), prefix...))
			if !bytes.Equal(got[:2], prefix) || !bytes.Equal(got[2:], g.wire) {
				t.Fatalf("Append after prefix: %x", got)
			}
		})
	}
}

func TestGoldenDecode(t *testing.T) {
	for _, g := range allGoldens() {
		t.Run(g.name, func(t *testing.T) {
			r := g.newRec()
			d := NewDecoder(g.wire)
			if err := r.Decode(d); err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if d.Remaining() != 0 {
				t.Fatalf("Decode left %d bytes", d.Remaining())
			}
			if !reflect.DeepEqual(r, g.rec) {
				t.Fatalf("Decode:\n got %+v\nwant %+v", r, g.rec)
			}
			// Trailing bytes are left for the caller.
			r = g.newRec()
			d = NewDecoder(append(append([]byte(nil), g.wire...), 1, 2, 3))
			if err := r.Decode(d); err != nil || d.Remaining() != 3 {
				t.Fatalf("Decode with trailer: err %v, remaining %d", err, d.Remaining())
			}
			if g.name != "ConnectResponse" && !reflect.DeepEqual(r, g.rec) {
				t.Fatalf("Decode with trailer:\n got %+v\nwant %+v", r, g.rec)
			}
		})
	}
}

// TestTruncated checks that every strict prefix of every golden encoding
// fails with ErrShortBuffer, except the one optional trailing byte of
// ConnectResponse.
func TestTruncated(t *testing.T) {
	for _, g := range allGoldens() {
		t.Run(g.name, func(t *testing.T) {
			for n := 0; n < len(g.wire); n++ {
				r := g.newRec()
				err := Decode(g.wire[:n], r)
				if g.name == "ConnectResponse" && n == len(g.wire)-1 {
					if err != nil {
						t.Fatalf("ConnectResponse without readOnly byte: %v", err)
					}
					if r.(*ConnectResponse).ReadOnly {
						t.Fatal("ConnectResponse without readOnly byte: ReadOnly true")
					}
					continue
				}
				if err != ErrShortBuffer {
					t.Fatalf("prefix %d/%d: err %v, want ErrShortBuffer", n, len(g.wire), err)
				}
			}
		})
	}
}

func TestConnectResponseReadOnlyOptional(t *testing.T) {
	wire := (&ConnectResponse{TimeOut: 1, SessionID: 2, Passwd: []byte{}, ReadOnly: true}).Append(nil)
	var r ConnectResponse
	if err := Decode(wire, &r); err != nil || !r.ReadOnly {
		t.Fatalf("with byte: %+v %v", r, err)
	}
	r.ReadOnly = true // Decode must reset it when the byte is absent
	if err := Decode(wire[:len(wire)-1], &r); err != nil || r.ReadOnly || r.SessionID != 2 {
		t.Fatalf("without byte: %+v %v", r, err)
	}
}

// TestEveryRecordHasGolden makes sure no record type lacks a golden case.
func TestEveryRecordHasGolden(t *testing.T) {
	want := strings.Fields(`RequestHeader ReplyHeader MultiHeader ConnectRequest ConnectResponse Stat ID ACL
		ClientInfo AuthPacket SetWatches SetWatches2 WatcherEvent ErrorResponse CreateRequest CreateTTLRequest
		CreateResponse Create2Response DeleteRequest ExistsRequest ExistsResponse GetDataRequest GetDataResponse
		SetDataRequest SetDataResponse GetACLRequest GetACLResponse SetACLRequest SetACLResponse GetChildrenRequest
		GetChildrenResponse GetChildren2Request GetChildren2Response SyncRequest SyncResponse CheckVersionRequest
		ReconfigRequest CheckWatchesRequest RemoveWatchesRequest AddWatchRequest GetEphemeralsRequest
		GetEphemeralsResponse GetAllChildrenNumberRequest GetAllChildrenNumberResponse WhoAmIResponse
		GetSASLRequest SetSASLResponse MultiRequest MultiResponse`)
	have := map[string]bool{}
	for _, g := range allGoldens() {
		have[reflect.TypeOf(g.rec).Elem().Name()] = true
		if reflect.TypeOf(g.rec) != reflect.TypeOf(g.newRec()) {
			t.Errorf("%s: newRec returns %T", g.name, g.newRec())
		}
	}
	for _, name := range want {
		if !have[name] {
			t.Errorf("no golden encoding for %s", name)
		}
	}
	for _, rec := range fuzzRecords {
		delete(have, reflect.TypeOf(rec()).Elem().Name())
	}
	for name := range have {
		t.Errorf("%s is not reachable from FuzzRecords", name)
	}
}

func TestPingFrame(t *testing.T) {
	got := AppendRequest(nil, XidPing, OpPing, nil)
	if !bytes.Equal(got, goldenPing) {
		t.Fatalf("ping frame %x, want %x", got, goldenPing)
	}
	fr := NewFrameReader(bytes.NewReader(got), 0)
	payload, err := fr.Next()
	if err != nil {
		t.Fatal(err)
	}
	var h RequestHeader
	if err := Decode(payload, &h); err != nil || h != (RequestHeader{Xid: -2, Type: OpPing}) {
		t.Fatalf("decoded %+v, %v", h, err)
	}
}

func TestAppendRequestFrame(t *testing.T) {
	req := &GetDataRequest{Path: "/hello", Watch: true}
	got := AppendRequest([]byte{9}, 5, OpGetData, req)
	want := cat([]byte{
		0x09,                   // caller's prefix, untouched
		0x00, 0x00, 0x00, 0x13, // frame length 19 = 8 header + 11 body
		0x00, 0x00, 0x00, 0x05, // xid 5
		0x00, 0x00, 0x00, 0x04, // type 4 (getData)
		0x00, 0x00, 0x00, 0x06, // path length 6
		'/', 'h', 'e', 'l', 'l', 'o', // path "/hello"
		0x01, // watch true
	})
	if !bytes.Equal(got, want) {
		t.Fatalf("frame\n got %x\nwant %x", got, want)
	}
	b, start := BeginFrame(nil)
	b = append(b, 1, 2, 3)
	if FrameLength(b, start) != 3 {
		t.Fatalf("FrameLength %d", FrameLength(b, start))
	}
	if b = EndFrame(b, start); !bytes.Equal(b, []byte{0, 0, 0, 3, 1, 2, 3}) {
		t.Fatalf("EndFrame %x", b)
	}
}

// roundTrips holds values beyond the goldens: zero values, extremes and
// non-ASCII text. Each must survive Append then Decode unchanged.
var roundTrips = []Record{
	&RequestHeader{Xid: math.MaxInt32, Type: OpCloseSession},
	&ReplyHeader{Xid: math.MinInt32, Zxid: math.MaxInt64, Err: ErrThrottledOp},
	&MultiHeader{},
	&ConnectRequest{},
	&ConnectRequest{ProtocolVersion: 0, LastZxidSeen: -1, TimeOut: math.MaxInt32, SessionID: math.MinInt64, Passwd: []byte{}, ReadOnly: false},
	&ConnectResponse{TimeOut: 0, SessionID: 0, Passwd: make([]byte, 16), ReadOnly: true},
	&Stat{},
	&Stat{Czxid: math.MinInt64, Mzxid: math.MaxInt64, Version: -1, EphemeralOwner: math.MinInt64, Pzxid: -1},
	&ID{},
	&ID{Scheme: "sasl", ID: "日本語"},
	&ACL{Perms: PermRead | PermWrite, ID: ID{Scheme: "auth", ID: ""}},
	&ClientInfo{},
	&AuthPacket{Type: 0, Scheme: "digest", Auth: nil},
	&SetWatches{},
	&SetWatches{RelativeZxid: 1, DataWatches: []string{"/a", "/b/c"}, ExistWatches: []string{"/x"}, ChildWatches: []string{}},
	&SetWatches2{},
	&SetWatches2{DataWatches: []string{""}, PersistentWatches: []string{"/é"}, PersistentRecursiveWatches: []string{"/"}},
	&WatcherEvent{Type: EventNone, State: StateExpired, Path: ""},
	&WatcherEvent{Type: EventNodeChildrenChanged, State: StateSyncConnected, Path: "/a/b/c"},
	&ErrorResponse{Err: ErrOK},
	&CreateRequest{},
	&CreateRequest{Path: "/x", Data: bytes.Repeat([]byte{0xAB}, 1000), ACL: []ACL{{Perms: 1, ID: ID{"ip", "1.2.3.4"}}, WorldACL[0]}, Flags: ModeContainer},
	&CreateTTLRequest{Path: "/ttl", Data: []byte("d"), ACL: WorldACL, Flags: ModePersistentSequentialTTL, TTL: 0xFFFFFFFFFF},
	&CreateResponse{},
	&Create2Response{},
	&DeleteRequest{Path: "/d", Version: 0},
	&ExistsRequest{},
	&ExistsResponse{Stat: Stat{Version: 5}},
	&GetDataRequest{Path: "/g", Watch: true},
	&GetDataResponse{Data: []byte{}, Stat: Stat{DataLength: 0}},
	&SetDataRequest{Path: "/s", Data: nil, Version: -1},
	&SetDataResponse{},
	&GetACLRequest{},
	&GetACLResponse{ACL: []ACL{}},
	&GetACLResponse{ACL: nil},
	&SetACLRequest{Path: "/a", ACL: nil, Version: -1},
	&SetACLResponse{Stat: Stat{Aversion: 9}},
	&GetChildrenRequest{},
	&GetChildrenResponse{},
	&GetChildrenResponse{Children: []string{}},
	&GetChildren2Request{Path: "/", Watch: true},
	&GetChildren2Response{Children: []string{"a", "b", "c"}},
	&SyncRequest{Path: "/"},
	&SyncResponse{},
	&CheckVersionRequest{Path: "/c", Version: -1},
	&ReconfigRequest{},
	&CheckWatchesRequest{Path: "/", Type: WatcherAny},
	&RemoveWatchesRequest{Path: "/", Type: WatcherChildren},
	&AddWatchRequest{Path: "/", Mode: AddWatchPersistent},
	&GetEphemeralsRequest{},
	&GetEphemeralsResponse{Ephemerals: []string{}},
	&GetAllChildrenNumberRequest{},
	&GetAllChildrenNumberResponse{TotalNumber: -1},
	&WhoAmIResponse{},
	&WhoAmIResponse{ClientInfo: []ClientInfo{}},
	&WhoAmIResponse{ClientInfo: []ClientInfo{{"ip", "127.0.0.1"}, {"digest", "u"}}},
	&GetSASLRequest{Token: []byte{}},
	&SetSASLResponse{Token: []byte{1}},
	&MultiRequest{Ops: []MultiOp{{Type: OpCreateContainer, Req: &CreateRequest{Path: "/c", Data: nil, ACL: WorldACL, Flags: ModeContainer}}}},
	&MultiResponse{},
	&MultiResponse{Results: []MultiResult{
		{Type: OpCreateContainer, Path: "/c", Stat: Stat{Czxid: 1}},
		{Type: OpCreateTTL, Path: "/t", Stat: Stat{Czxid: 2}},
		{Type: OpGetData, Data: nil},
		{Type: OpGetChildren, Children: nil},
		{Type: OpGetChildren, Children: []string{}},
	}},
}

func TestRoundTrip(t *testing.T) {
	recs := append([]Record(nil), roundTrips...)
	for _, g := range allGoldens() {
		recs = append(recs, g.rec)
	}
	for i, rec := range recs {
		t.Run(fmt.Sprintf("%d-%T", i, rec), func(t *testing.T) {
			wire := rec.Append(nil)
			got := reflect.New(reflect.TypeOf(rec).Elem()).Interface().(Record)
			d := NewDecoder(wire)
			if err := got.Decode(d); err != nil {
				t.Fatalf("Decode(%x): %v", wire, err)
			}
			if d.Remaining() != 0 {
				t.Fatalf("%d bytes left", d.Remaining())
			}
			if !reflect.DeepEqual(got, rec) {
				t.Fatalf("round trip\n got %+v\nwant %+v", got, rec)
			}
			if again := got.Append(nil); !bytes.Equal(again, wire) {
				t.Fatalf("re-encode differs:\n%x\n%x", again, wire)
			}
		})
	}
}

func TestFixedSizes(t *testing.T) {
	for _, c := range []struct {
		rec  Record
		size int
	}{
		{&RequestHeader{}, RequestHeaderSize},
		{&ReplyHeader{}, ReplyHeaderSize},
		{&MultiHeader{}, MultiHeaderSize},
		{&Stat{}, StatSize},
		{&ConnectRequest{Passwd: make([]byte, PasswordLength)}, 45},
		{&ConnectResponse{Passwd: make([]byte, PasswordLength)}, 37},
	} {
		if n := len(c.rec.Append(nil)); n != c.size {
			t.Errorf("%T encodes to %d bytes, want %d", c.rec, n, c.size)
		}
	}
}

func TestDecodeConvenienceAndSticky(t *testing.T) {
	d := NewDecoder([]byte{0, 0, 0, 1, 0xFF})
	if v, err := d.Int32(); v != 1 || err != nil {
		t.Fatalf("Int32 %d %v", v, err)
	}
	if v, err := d.Bool(); !v || err != nil {
		t.Fatalf("Bool: any non-zero byte is true; got %v %v", v, err)
	}
	if _, err := d.Int64(); err != ErrShortBuffer {
		t.Fatalf("Int64 past end: %v", err)
	}
	// Errors are sticky until Reset.
	if _, err := d.Bool(); err != ErrShortBuffer || d.Err() != ErrShortBuffer {
		t.Fatalf("sticky: %v", err)
	}
	d.Reset([]byte{0, 0, 0, 0, 0, 0, 0, 7})
	if v, err := d.Int64(); v != 7 || err != nil || d.Offset() != 8 {
		t.Fatalf("after Reset: %d %v", v, err)
	}
}

func TestBufferNullVersusEmpty(t *testing.T) {
	d := NewDecoder([]byte{0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0})
	b, err := d.Buffer()
	if err != nil || b != nil {
		t.Fatalf("length -1: %v %v", b, err)
	}
	b, err = d.Buffer()
	if err != nil || b == nil || len(b) != 0 {
		t.Fatalf("length 0: %#v %v", b, err)
	}
	if got := AppendBuffer(nil, nil); !bytes.Equal(got, []byte{0xFF, 0xFF, 0xFF, 0xFF}) {
		t.Fatalf("AppendBuffer(nil) %x", got)
	}
	if got := AppendBuffer(nil, []byte{}); !bytes.Equal(got, []byte{0, 0, 0, 0}) {
		t.Fatalf("AppendBuffer(empty) %x", got)
	}
	if got := AppendStrings(nil, nil); !bytes.Equal(got, []byte{0xFF, 0xFF, 0xFF, 0xFF}) {
		t.Fatalf("AppendStrings(nil) %x", got)
	}
	if got := AppendStrings(nil, []string{}); !bytes.Equal(got, []byte{0, 0, 0, 0}) {
		t.Fatalf("AppendStrings(empty) %x", got)
	}
	// A null string decodes as "".
	d.Reset([]byte{0xFF, 0xFF, 0xFF, 0xFF})
	if s, err := d.String(); s != "" || err != nil {
		t.Fatalf("null string %q %v", s, err)
	}
	d.Reset([]byte{0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0})
	if v, err := d.Strings(); v != nil || err != nil {
		t.Fatalf("null vector %v %v", v, err)
	}
	if v, err := d.Strings(); v == nil || len(v) != 0 || err != nil {
		t.Fatalf("empty vector %#v %v", v, err)
	}
}

func TestBufferIsCopy(t *testing.T) {
	in := []byte{0, 0, 0, 2, 'h', 'i'}
	d := NewDecoder(in)
	b, err := d.Buffer()
	if err != nil {
		t.Fatal(err)
	}
	in[4] = 'X'
	if string(b) != "hi" {
		t.Fatalf("Buffer aliases its input: %q", b)
	}
}

func TestMultiResponseFirstError(t *testing.T) {
	var r MultiResponse
	if err := Decode(goldenMulti()[4].wire, &r); err != nil {
		t.Fatal(err)
	}
	if i, code := r.FirstError(); i != 1 || code != ErrNoNode {
		t.Fatalf("FirstError %d %v", i, code)
	}
	ok := MultiResponse{Results: []MultiResult{{Type: OpCreate, Path: "/x"}}}
	if i, code := ok.FirstError(); i != -1 || code != ErrOK {
		t.Fatalf("FirstError on success %d %v", i, code)
	}
	if s := r.Results[1].String(); s != "error(NONODE)" {
		t.Fatalf("MultiResult.String %q", s)
	}
	if s := ok.Results[0].String(); s != "create(/x)" {
		t.Fatalf("MultiResult.String %q", s)
	}
}

func TestErrorsAreDistinct(t *testing.T) {
	all := []error{ErrShortBuffer, ErrMalformed, ErrFrameTooLarge, ErrInvalidPath}
	for i, a := range all {
		for j, b := range all {
			if (i == j) != errors.Is(a, b) {
				t.Errorf("errors.Is(%v, %v) = %v", a, b, errors.Is(a, b))
			}
		}
	}
}
