package jute

// Stat is a znode's metadata (zk-protocol.md §6.1). It encodes to StatSize
// bytes.
type Stat struct {
	Czxid          int64 // zxid of the create
	Mzxid          int64 // zxid of the last data change
	Ctime          int64 // ms since the epoch
	Mtime          int64 // ms since the epoch
	Version        int32 // data changes
	Cversion       int32 // child list changes
	Aversion       int32 // ACL changes
	EphemeralOwner int64 // owner session, 0 if not ephemeral
	DataLength     int32
	NumChildren    int32
	Pzxid          int64 // zxid of the last child list change
}

// Append encodes r onto b.
func (r *Stat) Append(b []byte) []byte {
	b = AppendInt64(b, r.Czxid)
	b = AppendInt64(b, r.Mzxid)
	b = AppendInt64(b, r.Ctime)
	b = AppendInt64(b, r.Mtime)
	b = AppendInt32(b, r.Version)
	b = AppendInt32(b, r.Cversion)
	b = AppendInt32(b, r.Aversion)
	b = AppendInt64(b, r.EphemeralOwner)
	b = AppendInt32(b, r.DataLength)
	b = AppendInt32(b, r.NumChildren)
	return AppendInt64(b, r.Pzxid)
}

// Decode reads r from d.
func (r *Stat) Decode(d *Decoder) error {
	if d.err == nil && d.Remaining() < StatSize {
		d.failShort()
	}
	r.Czxid = d.int64()
	r.Mzxid = d.int64()
	r.Ctime = d.int64()
	r.Mtime = d.int64()
	r.Version = d.int32()
	r.Cversion = d.int32()
	r.Aversion = d.int32()
	r.EphemeralOwner = d.int64()
	r.DataLength = d.int32()
	r.NumChildren = d.int32()
	r.Pzxid = d.int64()
	return d.err
}

// ID names an identity within an auth scheme, e.g. world:anyone.
type ID struct {
	Scheme string
	ID     string
}

// Append encodes r onto b.
func (r *ID) Append(b []byte) []byte {
	b = AppendString(b, r.Scheme)
	return AppendString(b, r.ID)
}

// Decode reads r from d.
func (r *ID) Decode(d *Decoder) error {
	r.Scheme = d.string()
	r.ID = d.string()
	return d.err
}

// ACL grants the permission bits Perms (PermRead...) to ID.
type ACL struct {
	Perms int32
	ID    ID
}

// Append encodes r onto b.
func (r *ACL) Append(b []byte) []byte {
	b = AppendInt32(b, r.Perms)
	return r.ID.Append(b)
}

// Decode reads r from d.
func (r *ACL) Decode(d *Decoder) error {
	r.Perms = d.int32()
	return r.ID.Decode(d)
}

// minACLSize is the smallest encoding of an ACL: perms and two empty strings.
const minACLSize = 12

// AppendACLs appends a jute vector<ACL>; nil is written as count -1.
func AppendACLs(b []byte, v []ACL) []byte {
	if v == nil {
		return AppendInt32(b, -1)
	}
	b = AppendInt32(b, int32(len(v)))
	for i := range v {
		b = v[i].Append(b)
	}
	return b
}

// ACLs reads a jute vector<ACL>. Count -1 gives nil. The count is checked
// against Remaining()/12 before the slice is allocated.
func (d *Decoder) ACLs() ([]ACL, error) {
	v := d.acls()
	return v, d.err
}

func (d *Decoder) acls() []ACL {
	n := d.length("ACL count", minACLSize)
	if n < 0 {
		return nil
	}
	v := make([]ACL, n)
	for i := range v {
		if v[i].Decode(d) != nil {
			return nil
		}
	}
	return v
}

// ClientInfo is one identity of a session, as whoAmI reports it.
type ClientInfo struct {
	AuthScheme string
	User       string
}

// Append encodes r onto b.
func (r *ClientInfo) Append(b []byte) []byte {
	b = AppendString(b, r.AuthScheme)
	return AppendString(b, r.User)
}

// Decode reads r from d.
func (r *ClientInfo) Decode(d *Decoder) error {
	r.AuthScheme = d.string()
	r.User = d.string()
	return d.err
}

// AuthPacket is the body of an auth (100) request, e.g. scheme "digest" with
// Auth "user:password". Type is always 0.
type AuthPacket struct {
	Type   int32
	Scheme string
	Auth   []byte
}

// Append encodes r onto b.
func (r *AuthPacket) Append(b []byte) []byte {
	b = AppendInt32(b, r.Type)
	b = AppendString(b, r.Scheme)
	return AppendBuffer(b, r.Auth)
}

// Decode reads r from d.
func (r *AuthPacket) Decode(d *Decoder) error {
	r.Type = d.int32()
	r.Scheme = d.string()
	r.Auth = d.buffer()
	return d.err
}

// SetWatches re-registers standard watches after a reconnect (opcode 101).
type SetWatches struct {
	RelativeZxid int64
	DataWatches  []string
	ExistWatches []string
	ChildWatches []string
}

// Append encodes r onto b.
func (r *SetWatches) Append(b []byte) []byte {
	b = AppendInt64(b, r.RelativeZxid)
	b = AppendStrings(b, r.DataWatches)
	b = AppendStrings(b, r.ExistWatches)
	return AppendStrings(b, r.ChildWatches)
}

// Decode reads r from d.
func (r *SetWatches) Decode(d *Decoder) error {
	r.RelativeZxid = d.int64()
	r.DataWatches = d.strings()
	r.ExistWatches = d.strings()
	r.ChildWatches = d.strings()
	return d.err
}

// SetWatches2 re-registers standard and persistent watches after a
// reconnect (opcode 105).
type SetWatches2 struct {
	RelativeZxid               int64
	DataWatches                []string
	ExistWatches               []string
	ChildWatches               []string
	PersistentWatches          []string
	PersistentRecursiveWatches []string
}

// Append encodes r onto b.
func (r *SetWatches2) Append(b []byte) []byte {
	b = AppendInt64(b, r.RelativeZxid)
	b = AppendStrings(b, r.DataWatches)
	b = AppendStrings(b, r.ExistWatches)
	b = AppendStrings(b, r.ChildWatches)
	b = AppendStrings(b, r.PersistentWatches)
	return AppendStrings(b, r.PersistentRecursiveWatches)
}

// Decode reads r from d.
func (r *SetWatches2) Decode(d *Decoder) error {
	r.RelativeZxid = d.int64()
	r.DataWatches = d.strings()
	r.ExistWatches = d.strings()
	r.ChildWatches = d.strings()
	r.PersistentWatches = d.strings()
	r.PersistentRecursiveWatches = d.strings()
	return d.err
}

// WatcherEvent is the body of a notification frame (xid -1).
type WatcherEvent struct {
	Type  EventType
	State KeeperState
	Path  string
}

// Append encodes r onto b.
func (r *WatcherEvent) Append(b []byte) []byte {
	b = AppendInt32(b, int32(r.Type))
	b = AppendInt32(b, int32(r.State))
	return AppendString(b, r.Path)
}

// Decode reads r from d.
func (r *WatcherEvent) Decode(d *Decoder) error {
	r.Type = EventType(d.int32())
	r.State = KeeperState(d.int32())
	r.Path = d.string()
	return d.err
}

// ErrorResponse carries an error code: the result of a failed multi
// sub-op, and the (ignorable) body of an addWatch reply.
type ErrorResponse struct {
	Err ErrCode
}

// Append encodes r onto b.
func (r *ErrorResponse) Append(b []byte) []byte {
	return AppendInt32(b, int32(r.Err))
}

// Decode reads r from d.
func (r *ErrorResponse) Decode(d *Decoder) error {
	r.Err = ErrCode(d.int32())
	return d.err
}

// GetSASLRequest carries a client SASL token (opcode 102).
type GetSASLRequest struct {
	Token []byte
}

// Append encodes r onto b.
func (r *GetSASLRequest) Append(b []byte) []byte { return AppendBuffer(b, r.Token) }

// Decode reads r from d.
func (r *GetSASLRequest) Decode(d *Decoder) error {
	r.Token = d.buffer()
	return d.err
}

// SetSASLResponse carries a server SASL token.
type SetSASLResponse struct {
	Token []byte
}

// Append encodes r onto b.
func (r *SetSASLResponse) Append(b []byte) []byte { return AppendBuffer(b, r.Token) }

// Decode reads r from d.
func (r *SetSASLResponse) Decode(d *Decoder) error {
	r.Token = d.buffer()
	return d.err
}
