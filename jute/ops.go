package jute

// This file holds the request and response records of the znode
// operations (zk-protocol.md §6.3): create, delete, exists, getData,
// setData, getACL, setACL, getChildren, getChildren2, sync and check.

// CreateRequest is the body of create (1), create2 (15) and
// createContainer (19).
type CreateRequest struct {
	Path  string
	Data  []byte
	ACL   []ACL
	Flags CreateMode
}

// Append encodes r onto b.
func (r *CreateRequest) Append(b []byte) []byte {
	b = AppendString(b, r.Path)
	b = AppendBuffer(b, r.Data)
	b = AppendACLs(b, r.ACL)
	return AppendInt32(b, int32(r.Flags))
}

// Decode reads r from d.
func (r *CreateRequest) Decode(d *Decoder) error {
	r.Path = d.string()
	r.Data = d.buffer()
	r.ACL = d.acls()
	r.Flags = CreateMode(d.int32())
	return d.err
}

// CreateTTLRequest is the body of createTTL (21).
type CreateTTLRequest struct {
	Path  string
	Data  []byte
	ACL   []ACL
	Flags CreateMode
	TTL   int64 // ms
}

// Append encodes r onto b.
func (r *CreateTTLRequest) Append(b []byte) []byte {
	b = AppendString(b, r.Path)
	b = AppendBuffer(b, r.Data)
	b = AppendACLs(b, r.ACL)
	b = AppendInt32(b, int32(r.Flags))
	return AppendInt64(b, r.TTL)
}

// Decode reads r from d.
func (r *CreateTTLRequest) Decode(d *Decoder) error {
	r.Path = d.string()
	r.Data = d.buffer()
	r.ACL = d.acls()
	r.Flags = CreateMode(d.int32())
	r.TTL = d.int64()
	return d.err
}

// CreateResponse is the reply of create (1): the actual path.
type CreateResponse struct {
	Path string
}

// Append encodes r onto b.
func (r *CreateResponse) Append(b []byte) []byte { return AppendString(b, r.Path) }

// Decode reads r from d.
func (r *CreateResponse) Decode(d *Decoder) error {
	r.Path = d.string()
	return d.err
}

// Create2Response is the reply of create2, createContainer and createTTL.
type Create2Response struct {
	Path string
	Stat Stat
}

// Append encodes r onto b.
func (r *Create2Response) Append(b []byte) []byte {
	b = AppendString(b, r.Path)
	return r.Stat.Append(b)
}

// Decode reads r from d.
func (r *Create2Response) Decode(d *Decoder) error {
	r.Path = d.string()
	return r.Stat.Decode(d)
}

// DeleteRequest is the body of delete (2). Version -1 matches any version.
type DeleteRequest struct {
	Path    string
	Version int32
}

// Append encodes r onto b.
func (r *DeleteRequest) Append(b []byte) []byte {
	b = AppendString(b, r.Path)
	return AppendInt32(b, r.Version)
}

// Decode reads r from d.
func (r *DeleteRequest) Decode(d *Decoder) error {
	r.Path = d.string()
	r.Version = d.int32()
	return d.err
}

// ExistsRequest is the body of exists (3).
type ExistsRequest struct {
	Path  string
	Watch bool
}

// Append encodes r onto b.
func (r *ExistsRequest) Append(b []byte) []byte { return appendPathWatch(b, r.Path, r.Watch) }

// Decode reads r from d.
func (r *ExistsRequest) Decode(d *Decoder) error {
	r.Path, r.Watch = d.string(), d.bool()
	return d.err
}

// ExistsResponse is the reply of exists.
type ExistsResponse struct {
	Stat Stat
}

// Append encodes r onto b.
func (r *ExistsResponse) Append(b []byte) []byte { return r.Stat.Append(b) }

// Decode reads r from d.
func (r *ExistsResponse) Decode(d *Decoder) error { return r.Stat.Decode(d) }

// GetDataRequest is the body of getData (4).
type GetDataRequest struct {
	Path  string
	Watch bool
}

// Append encodes r onto b.
func (r *GetDataRequest) Append(b []byte) []byte { return appendPathWatch(b, r.Path, r.Watch) }

// Decode reads r from d.
func (r *GetDataRequest) Decode(d *Decoder) error {
	r.Path, r.Watch = d.string(), d.bool()
	return d.err
}

// GetDataResponse is the reply of getData and reconfig. Data is nil when
// the node holds null data, and a copy of the input otherwise.
type GetDataResponse struct {
	Data []byte
	Stat Stat
}

// Append encodes r onto b.
func (r *GetDataResponse) Append(b []byte) []byte {
	b = AppendBuffer(b, r.Data)
	return r.Stat.Append(b)
}

// Decode reads r from d.
func (r *GetDataResponse) Decode(d *Decoder) error {
	r.Data = d.buffer()
	return r.Stat.Decode(d)
}

// SetDataRequest is the body of setData (5). Version -1 matches any.
type SetDataRequest struct {
	Path    string
	Data    []byte
	Version int32
}

// Append encodes r onto b.
func (r *SetDataRequest) Append(b []byte) []byte {
	b = AppendString(b, r.Path)
	b = AppendBuffer(b, r.Data)
	return AppendInt32(b, r.Version)
}

// Decode reads r from d.
func (r *SetDataRequest) Decode(d *Decoder) error {
	r.Path = d.string()
	r.Data = d.buffer()
	r.Version = d.int32()
	return d.err
}

// SetDataResponse is the reply of setData.
type SetDataResponse struct {
	Stat Stat
}

// Append encodes r onto b.
func (r *SetDataResponse) Append(b []byte) []byte { return r.Stat.Append(b) }

// Decode reads r from d.
func (r *SetDataResponse) Decode(d *Decoder) error { return r.Stat.Decode(d) }

// GetACLRequest is the body of getACL (6).
type GetACLRequest struct {
	Path string
}

// Append encodes r onto b.
func (r *GetACLRequest) Append(b []byte) []byte { return AppendString(b, r.Path) }

// Decode reads r from d.
func (r *GetACLRequest) Decode(d *Decoder) error {
	r.Path = d.string()
	return d.err
}

// GetACLResponse is the reply of getACL.
type GetACLResponse struct {
	ACL  []ACL
	Stat Stat
}

// Append encodes r onto b.
func (r *GetACLResponse) Append(b []byte) []byte {
	b = AppendACLs(b, r.ACL)
	return r.Stat.Append(b)
}

// Decode reads r from d.
func (r *GetACLResponse) Decode(d *Decoder) error {
	r.ACL = d.acls()
	return r.Stat.Decode(d)
}

// SetACLRequest is the body of setACL (7). Version is compared with the
// node's aversion; -1 matches any.
type SetACLRequest struct {
	Path    string
	ACL     []ACL
	Version int32
}

// Append encodes r onto b.
func (r *SetACLRequest) Append(b []byte) []byte {
	b = AppendString(b, r.Path)
	b = AppendACLs(b, r.ACL)
	return AppendInt32(b, r.Version)
}

// Decode reads r from d.
func (r *SetACLRequest) Decode(d *Decoder) error {
	r.Path = d.string()
	r.ACL = d.acls()
	r.Version = d.int32()
	return d.err
}

// SetACLResponse is the reply of setACL.
type SetACLResponse struct {
	Stat Stat
}

// Append encodes r onto b.
func (r *SetACLResponse) Append(b []byte) []byte { return r.Stat.Append(b) }

// Decode reads r from d.
func (r *SetACLResponse) Decode(d *Decoder) error { return r.Stat.Decode(d) }

// GetChildrenRequest is the body of getChildren (8).
type GetChildrenRequest struct {
	Path  string
	Watch bool
}

// Append encodes r onto b.
func (r *GetChildrenRequest) Append(b []byte) []byte { return appendPathWatch(b, r.Path, r.Watch) }

// Decode reads r from d.
func (r *GetChildrenRequest) Decode(d *Decoder) error {
	r.Path, r.Watch = d.string(), d.bool()
	return d.err
}

// GetChildrenResponse is the reply of getChildren: names, unsorted.
type GetChildrenResponse struct {
	Children []string
}

// Append encodes r onto b.
func (r *GetChildrenResponse) Append(b []byte) []byte { return AppendStrings(b, r.Children) }

// Decode reads r from d.
func (r *GetChildrenResponse) Decode(d *Decoder) error {
	r.Children = d.strings()
	return d.err
}

// GetChildren2Request is the body of getChildren2 (12).
type GetChildren2Request struct {
	Path  string
	Watch bool
}

// Append encodes r onto b.
func (r *GetChildren2Request) Append(b []byte) []byte { return appendPathWatch(b, r.Path, r.Watch) }

// Decode reads r from d.
func (r *GetChildren2Request) Decode(d *Decoder) error {
	r.Path, r.Watch = d.string(), d.bool()
	return d.err
}

// GetChildren2Response is the reply of getChildren2: names plus the
// parent's Stat.
type GetChildren2Response struct {
	Children []string
	Stat     Stat
}

// Append encodes r onto b.
func (r *GetChildren2Response) Append(b []byte) []byte {
	b = AppendStrings(b, r.Children)
	return r.Stat.Append(b)
}

// Decode reads r from d.
func (r *GetChildren2Response) Decode(d *Decoder) error {
	r.Children = d.strings()
	return r.Stat.Decode(d)
}

// SyncRequest is the body of sync (9).
type SyncRequest struct {
	Path string
}

// Append encodes r onto b.
func (r *SyncRequest) Append(b []byte) []byte { return AppendString(b, r.Path) }

// Decode reads r from d.
func (r *SyncRequest) Decode(d *Decoder) error {
	r.Path = d.string()
	return d.err
}

// SyncResponse is the reply of sync; it echoes the path.
type SyncResponse struct {
	Path string
}

// Append encodes r onto b.
func (r *SyncResponse) Append(b []byte) []byte { return AppendString(b, r.Path) }

// Decode reads r from d.
func (r *SyncResponse) Decode(d *Decoder) error {
	r.Path = d.string()
	return d.err
}

// CheckVersionRequest is the body of check (13), valid only inside multi.
type CheckVersionRequest struct {
	Path    string
	Version int32
}

// Append encodes r onto b.
func (r *CheckVersionRequest) Append(b []byte) []byte {
	b = AppendString(b, r.Path)
	return AppendInt32(b, r.Version)
}

// Decode reads r from d.
func (r *CheckVersionRequest) Decode(d *Decoder) error {
	r.Path = d.string()
	r.Version = d.int32()
	return d.err
}

func appendPathWatch(b []byte, path string, watch bool) []byte {
	b = AppendString(b, path)
	return AppendBool(b, watch)
}
