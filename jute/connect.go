package jute

// PasswordLength is the length of a session password a server hands out.
const PasswordLength = 16

// ConnectRequest is the first client frame; it has no RequestHeader
// (zk-protocol.md §4.1). Append always writes the trailing ReadOnly byte
// and Decode requires it.
type ConnectRequest struct {
	ProtocolVersion int32
	LastZxidSeen    int64
	TimeOut         int32 // requested session timeout, ms
	SessionID       int64 // 0 for a new session
	Passwd          []byte
	ReadOnly        bool // whether the client accepts a read-only server
}

// Append encodes r onto b.
func (r *ConnectRequest) Append(b []byte) []byte {
	b = AppendInt32(b, r.ProtocolVersion)
	b = AppendInt64(b, r.LastZxidSeen)
	b = AppendInt32(b, r.TimeOut)
	b = AppendInt64(b, r.SessionID)
	b = AppendBuffer(b, r.Passwd)
	return AppendBool(b, r.ReadOnly)
}

// Decode reads r from d.
func (r *ConnectRequest) Decode(d *Decoder) error {
	r.ProtocolVersion = d.int32()
	r.LastZxidSeen = d.int64()
	r.TimeOut = d.int32()
	r.SessionID = d.int64()
	r.Passwd = d.buffer()
	r.ReadOnly = d.bool()
	return d.err
}

// ConnectResponse is the first server frame; it has no ReplyHeader
// (zk-protocol.md §4.2). Append always writes the ReadOnly byte; Decode
// accepts its absence (old servers, or a client that sent none) as false.
type ConnectResponse struct {
	ProtocolVersion int32
	TimeOut         int32 // negotiated session timeout, ms; <= 0 means expired
	SessionID       int64
	Passwd          []byte
	ReadOnly        bool // whether the server is in read-only mode
}

// Append encodes r onto b.
func (r *ConnectResponse) Append(b []byte) []byte {
	b = AppendInt32(b, r.ProtocolVersion)
	b = AppendInt32(b, r.TimeOut)
	b = AppendInt64(b, r.SessionID)
	b = AppendBuffer(b, r.Passwd)
	return AppendBool(b, r.ReadOnly)
}

// Decode reads r from d.
func (r *ConnectResponse) Decode(d *Decoder) error {
	r.ProtocolVersion = d.int32()
	r.TimeOut = d.int32()
	r.SessionID = d.int64()
	r.Passwd = d.buffer()
	r.ReadOnly = false
	if d.err == nil && d.Remaining() > 0 {
		r.ReadOnly = d.bool()
	}
	return d.err
}
