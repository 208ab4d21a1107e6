package jute

// This file holds the records of the session-level and administrative
// operations (zk-protocol.md §6.3): reconfig, checkWatches, removeWatches,
// addWatch, getEphemerals, getAllChildrenNumber and whoAmI.

// ReconfigRequest is the body of reconfig (16). CurConfigID -1 is
// unconditional. The reply is a GetDataResponse.
type ReconfigRequest struct {
	JoiningServers string
	LeavingServers string
	NewMembers     string
	CurConfigID    int64
}

// Append encodes r onto b.
func (r *ReconfigRequest) Append(b []byte) []byte {
	b = AppendString(b, r.JoiningServers)
	b = AppendString(b, r.LeavingServers)
	b = AppendString(b, r.NewMembers)
	return AppendInt64(b, r.CurConfigID)
}

// Decode reads r from d.
func (r *ReconfigRequest) Decode(d *Decoder) error {
	r.JoiningServers = d.string()
	r.LeavingServers = d.string()
	r.NewMembers = d.string()
	r.CurConfigID = d.int64()
	return d.err
}

// CheckWatchesRequest is the body of checkWatches (17).
type CheckWatchesRequest struct {
	Path string
	Type WatcherType
}

// Append encodes r onto b.
func (r *CheckWatchesRequest) Append(b []byte) []byte {
	b = AppendString(b, r.Path)
	return AppendInt32(b, int32(r.Type))
}

// Decode reads r from d.
func (r *CheckWatchesRequest) Decode(d *Decoder) error {
	r.Path = d.string()
	r.Type = WatcherType(d.int32())
	return d.err
}

// RemoveWatchesRequest is the body of removeWatches (18).
type RemoveWatchesRequest struct {
	Path string
	Type WatcherType
}

// Append encodes r onto b.
func (r *RemoveWatchesRequest) Append(b []byte) []byte {
	b = AppendString(b, r.Path)
	return AppendInt32(b, int32(r.Type))
}

// Decode reads r from d.
func (r *RemoveWatchesRequest) Decode(d *Decoder) error {
	r.Path = d.string()
	r.Type = WatcherType(d.int32())
	return d.err
}

// AddWatchRequest is the body of addWatch (106). The reply body is an
// ErrorResponse holding 0.
type AddWatchRequest struct {
	Path string
	Mode AddWatchMode
}

// Append encodes r onto b.
func (r *AddWatchRequest) Append(b []byte) []byte {
	b = AppendString(b, r.Path)
	return AppendInt32(b, int32(r.Mode))
}

// Decode reads r from d.
func (r *AddWatchRequest) Decode(d *Decoder) error {
	r.Path = d.string()
	r.Mode = AddWatchMode(d.int32())
	return d.err
}

// GetEphemeralsRequest is the body of getEphemerals (103).
type GetEphemeralsRequest struct {
	PrefixPath string
}

// Append encodes r onto b.
func (r *GetEphemeralsRequest) Append(b []byte) []byte { return AppendString(b, r.PrefixPath) }

// Decode reads r from d.
func (r *GetEphemeralsRequest) Decode(d *Decoder) error {
	r.PrefixPath = d.string()
	return d.err
}

// GetEphemeralsResponse is the reply of getEphemerals: full server paths.
type GetEphemeralsResponse struct {
	Ephemerals []string
}

// Append encodes r onto b.
func (r *GetEphemeralsResponse) Append(b []byte) []byte { return AppendStrings(b, r.Ephemerals) }

// Decode reads r from d.
func (r *GetEphemeralsResponse) Decode(d *Decoder) error {
	r.Ephemerals = d.strings()
	return d.err
}

// GetAllChildrenNumberRequest is the body of getAllChildrenNumber (104).
type GetAllChildrenNumberRequest struct {
	Path string
}

// Append encodes r onto b.
func (r *GetAllChildrenNumberRequest) Append(b []byte) []byte { return AppendString(b, r.Path) }

// Decode reads r from d.
func (r *GetAllChildrenNumberRequest) Decode(d *Decoder) error {
	r.Path = d.string()
	return d.err
}

// GetAllChildrenNumberResponse is the reply of getAllChildrenNumber: the
// number of all descendants.
type GetAllChildrenNumberResponse struct {
	TotalNumber int32
}

// Append encodes r onto b.
func (r *GetAllChildrenNumberResponse) Append(b []byte) []byte {
	return AppendInt32(b, r.TotalNumber)
}

// Decode reads r from d.
func (r *GetAllChildrenNumberResponse) Decode(d *Decoder) error {
	r.TotalNumber = d.int32()
	return d.err
}

// minClientInfoSize is the smallest encoding of a ClientInfo.
const minClientInfoSize = 8

// WhoAmIResponse is the reply of whoAmI (107), which has no request body.
type WhoAmIResponse struct {
	ClientInfo []ClientInfo
}

// Append encodes r onto b; a nil slice is written as count -1.
func (r *WhoAmIResponse) Append(b []byte) []byte {
	if r.ClientInfo == nil {
		return AppendInt32(b, -1)
	}
	b = AppendInt32(b, int32(len(r.ClientInfo)))
	for i := range r.ClientInfo {
		b = r.ClientInfo[i].Append(b)
	}
	return b
}

// Decode reads r from d. The count is checked against Remaining()/8 before
// the slice is allocated.
func (r *WhoAmIResponse) Decode(d *Decoder) error {
	r.ClientInfo = nil
	n := d.length("client info count", minClientInfoSize)
	if n < 0 {
		return d.err
	}
	v := make([]ClientInfo, n)
	for i := range v {
		if v[i].Decode(d) != nil {
			return d.err
		}
	}
	r.ClientInfo = v
	return nil
}
