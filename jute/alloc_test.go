package jute

import "testing"

// Allocation counts of the hot paths. Encoding appends into a buffer with
// room and must not allocate; fixed-size records decode without allocating;
// GetDataResponse copies its data (one allocation).

func allocs(t *testing.T, name string, want float64, f func()) {
	t.Helper()
	got := testing.AllocsPerRun(200, f)
	t.Logf("%s: %.0f allocs/op", name, got)
	if got != want {
		t.Errorf("%s: %v allocs/op, want %v", name, got, want)
	}
}

func TestEncodeAllocs(t *testing.T) {
	buf := make([]byte, 0, 4096)
	getData := &GetDataRequest{Path: "/some/node", Watch: true}
	setData := &SetDataRequest{Path: "/some/node", Data: make([]byte, 512), Version: 3}
	create := &CreateRequest{Path: "/some/node", Data: []byte("x"), ACL: WorldACL, Flags: ModeEphemeral}
	header := &RequestHeader{Xid: 42, Type: OpGetData}
	multi := &MultiRequest{Ops: []MultiOp{
		{Type: OpCreate, Req: create},
		{Type: OpSetData, Req: setData},
		{Type: OpCheck, Req: &CheckVersionRequest{Path: "/some", Version: 1}},
	}}
	var body Record = getData
	allocs(t, "GetDataRequest.Append", 0, func() { buf = getData.Append(buf[:0]) })
	allocs(t, "SetDataRequest.Append", 0, func() { buf = setData.Append(buf[:0]) })
	allocs(t, "CreateRequest.Append (with ACL)", 0, func() { buf = create.Append(buf[:0]) })
	allocs(t, "RequestHeader.Append", 0, func() { buf = header.Append(buf[:0]) })
	allocs(t, "MultiRequest.Append (3 ops)", 0, func() { buf = multi.Append(buf[:0]) })
	allocs(t, "AppendRequest (whole getData frame)", 0, func() { buf = AppendRequest(buf[:0], 7, OpGetData, body) })
	allocs(t, "AppendRequest (multi frame)", 0, func() { buf = AppendRequest(buf[:0], 8, OpMulti, multi) })
}

func TestDecodeAllocs(t *testing.T) {
	reply := (&ReplyHeader{Xid: 1, Zxid: 2, Err: 0}).Append(nil)
	stat := goldenStat
	getData := (&GetDataResponse{Data: make([]byte, 100), Stat: statValue}).Append(nil)
	var d Decoder
	var h ReplyHeader
	var s Stat
	var gd GetDataResponse
	allocs(t, "ReplyHeader.Decode", 0, func() {
		d.Reset(reply)
		if h.Decode(&d) != nil {
			t.Fatal("decode failed")
		}
	})
	allocs(t, "Stat.Decode", 0, func() {
		d.Reset(stat)
		if s.Decode(&d) != nil {
			t.Fatal("decode failed")
		}
	})
	allocs(t, "GetDataResponse.Decode (data copied)", 1, func() {
		d.Reset(getData)
		if gd.Decode(&d) != nil {
			t.Fatal("decode failed")
		}
	})
}

func BenchmarkAppendRequestGetData(b *testing.B) {
	buf := make([]byte, 0, 256)
	req := &GetDataRequest{Path: "/some/node", Watch: true}
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendRequest(buf[:0], 7, OpGetData, req)
	}
}

func BenchmarkDecodeGetDataResponse(b *testing.B) {
	wire := (&GetDataResponse{Data: make([]byte, 100), Stat: statValue}).Append(nil)
	var d Decoder
	var r GetDataResponse
	b.ReportAllocs()
	for b.Loop() {
		d.Reset(wire)
		if err := r.Decode(&d); err != nil {
			b.Fatal(err)
		}
	}
}
