package jute

// Sizes of the fixed-size records.
const (
	RequestHeaderSize = 8  // xid, type
	ReplyHeaderSize   = 16 // xid, zxid, err
	MultiHeaderSize   = 9  // type, done, err
	StatSize          = 68 // eleven fields
)

// Special xids (zk-protocol.md §3.1).
const (
	XidNotification int32 = -1 // server → client watch event
	XidPing         int32 = -2 // ping request and reply
	XidAuth         int32 = -4 // auth packet and its reply
	XidSetWatches   int32 = -8 // Java's constant for SetWatches (overwritten at send time)
)

// RequestHeader starts every client frame after the ConnectRequest.
type RequestHeader struct {
	Xid  int32
	Type OpCode
}

// Append encodes r onto b.
func (r *RequestHeader) Append(b []byte) []byte {
	b = AppendInt32(b, r.Xid)
	return AppendInt32(b, int32(r.Type))
}

// Decode reads r from d.
func (r *RequestHeader) Decode(d *Decoder) error {
	r.Xid = d.int32()
	r.Type = OpCode(d.int32())
	return d.err
}

// ReplyHeader starts every server frame after the ConnectResponse.
type ReplyHeader struct {
	Xid  int32
	Zxid int64
	Err  ErrCode
}

// Append encodes r onto b.
func (r *ReplyHeader) Append(b []byte) []byte {
	b = AppendInt32(b, r.Xid)
	b = AppendInt64(b, r.Zxid)
	return AppendInt32(b, int32(r.Err))
}

// Decode reads r from d.
func (r *ReplyHeader) Decode(d *Decoder) error {
	r.Xid = d.int32()
	r.Zxid = d.int64()
	r.Err = ErrCode(d.int32())
	return d.err
}

// MultiHeader precedes every sub-request and sub-result of a multi, and
// terminates the list with Done set (zk-protocol.md §9).
type MultiHeader struct {
	Type OpCode
	Done bool
	Err  ErrCode
}

// Append encodes r onto b.
func (r *MultiHeader) Append(b []byte) []byte {
	b = AppendInt32(b, int32(r.Type))
	b = AppendBool(b, r.Done)
	return AppendInt32(b, int32(r.Err))
}

// Decode reads r from d.
func (r *MultiHeader) Decode(d *Decoder) error {
	r.Type = OpCode(d.int32())
	r.Done = d.bool()
	r.Err = ErrCode(d.int32())
	return d.err
}
