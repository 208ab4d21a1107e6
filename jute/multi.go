package jute

import "fmt"

// This file holds the bodies of multi (14) and multiRead (22)
// (zk-protocol.md §9). Neither body has a count prefix: every entry is a
// MultiHeader followed by a record, and a header with Done set ends the list.

// MultiOp is one sub-request of a multi or multiRead.
type MultiOp struct {
	// Type is the sub-request's opcode: OpCreate, OpCreate2,
	// OpCreateContainer, OpCreateTTL, OpDelete, OpSetData, OpCheck (multi),
	// or OpGetData, OpGetChildren (multiRead).
	Type OpCode
	// Req is the matching record: *CreateRequest (create, create2,
	// createContainer), *CreateTTLRequest, *DeleteRequest, *SetDataRequest,
	// *CheckVersionRequest, *GetDataRequest or *GetChildrenRequest. It must
	// not be nil.
	Req Record
}

// MultiRequest is the body of multi and multiRead.
type MultiRequest struct {
	Ops []MultiOp
}

// multiDone terminates both request and response lists.
var multiDone = MultiHeader{Type: OpError, Done: true, Err: -1}

// Append encodes r onto b: for each op a MultiHeader{Type, false, -1} and
// its record, then the terminator {-1, true, -1}.
func (r *MultiRequest) Append(b []byte) []byte {
	for i := range r.Ops {
		h := MultiHeader{Type: r.Ops[i].Type, Done: false, Err: -1}
		b = h.Append(b)
		b = r.Ops[i].Req.Append(b)
	}
	return multiDone.Append(b)
}

// Decode reads r from d up to and including the terminator. An opcode that
// may not appear in a multi is ErrMalformed.
func (r *MultiRequest) Decode(d *Decoder) error {
	r.Ops = nil
	for {
		start := d.off
		var h MultiHeader
		if err := h.Decode(d); err != nil {
			return err
		}
		if h.Done {
			return nil
		}
		var req Record
		switch h.Type {
		case OpCreate, OpCreate2, OpCreateContainer:
			req = new(CreateRequest)
		case OpCreateTTL:
			req = new(CreateTTLRequest)
		case OpDelete:
			req = new(DeleteRequest)
		case OpSetData:
			req = new(SetDataRequest)
		case OpCheck:
			req = new(CheckVersionRequest)
		case OpGetData:
			req = new(GetDataRequest)
		case OpGetChildren:
			req = new(GetChildrenRequest)
		default:
			d.failMalformed(start, "opcode %v in multi request", h.Type)
			return d.err
		}
		if err := req.Decode(d); err != nil {
			return err
		}
		r.Ops = append(r.Ops, MultiOp{Type: h.Type, Req: req})
	}
}

// MultiResult is one sub-result of a multi or multiRead reply.
type MultiResult struct {
	// Type is the result header's type: OpCreate, OpCreate2, OpDelete,
	// OpSetData, OpCheck, OpGetData, OpGetChildren, or OpError. A 3.8
	// server answers a create2 sub-op with a plain OpCreate result (no
	// Stat), so callers must look at Type, not at what they asked for.
	Type OpCode
	// Err is the code of an OpError result: 0 for an op rolled back
	// because another failed, RUNTIMEINCONSISTENCY for ops after the
	// failing one, and the real code for the failing op. It is 0 for all
	// other types.
	Err      ErrCode
	Path     string   // OpCreate, OpCreate2
	Stat     Stat     // OpCreate2, OpSetData, OpGetData
	Data     []byte   // OpGetData
	Children []string // OpGetChildren
}

// MultiResponse is the reply body of multi and multiRead.
type MultiResponse struct {
	Results []MultiResult
}

// Append encodes r onto b: for each result a MultiHeader{Type, false, err}
// and its record, then the terminator {-1, true, -1}. OpCreateContainer and
// OpCreateTTL results are encoded like OpCreate2 ones.
func (r *MultiResponse) Append(b []byte) []byte {
	for i := range r.Results {
		res := &r.Results[i]
		h := MultiHeader{Type: res.Type}
		if res.Type == OpError {
			h.Err = res.Err
		}
		b = h.Append(b)
		switch res.Type {
		case OpCreate:
			b = AppendString(b, res.Path)
		case OpCreate2, OpCreateContainer, OpCreateTTL:
			b = AppendString(b, res.Path)
			b = res.Stat.Append(b)
		case OpSetData:
			b = res.Stat.Append(b)
		case OpGetData:
			b = AppendBuffer(b, res.Data)
			b = res.Stat.Append(b)
		case OpGetChildren:
			b = AppendStrings(b, res.Children)
		case OpError:
			b = AppendInt32(b, int32(res.Err))
		}
	}
	return multiDone.Append(b)
}

// Decode reads r from d up to and including the terminator. Each result is
// decoded by the type its header names, whatever the request asked for. A
// type no server sends is ErrMalformed.
func (r *MultiResponse) Decode(d *Decoder) error {
	r.Results = nil
	for {
		start := d.off
		var h MultiHeader
		if err := h.Decode(d); err != nil {
			return err
		}
		if h.Done {
			return nil
		}
		res := MultiResult{Type: h.Type}
		switch h.Type {
		case OpCreate:
			res.Path = d.string()
		case OpCreate2, OpCreateContainer, OpCreateTTL:
			res.Path = d.string()
			res.Stat.Decode(d)
		case OpDelete, OpCheck:
		case OpSetData:
			res.Stat.Decode(d)
		case OpGetData:
			res.Data = d.buffer()
			res.Stat.Decode(d)
		case OpGetChildren:
			res.Children = d.strings()
		case OpError:
			res.Err = ErrCode(d.int32())
		default:
			d.failMalformed(start, "opcode %v in multi response", h.Type)
		}
		if d.err != nil {
			return d.err
		}
		r.Results = append(r.Results, res)
	}
}

// FirstError returns the index and code of the first OpError result with a
// non-zero code, or -1 and ErrOK when there is none. For an atomic multi
// this is the op that made the whole transaction fail.
func (r *MultiResponse) FirstError() (int, ErrCode) {
	for i := range r.Results {
		if r.Results[i].Type == OpError && r.Results[i].Err != ErrOK {
			return i, r.Results[i].Err
		}
	}
	return -1, ErrOK
}

// String describes the result for test failures and logs.
func (m MultiResult) String() string {
	if m.Type == OpError {
		return fmt.Sprintf("error(%v)", m.Err)
	}
	if m.Path != "" {
		return fmt.Sprintf("%v(%s)", m.Type, m.Path)
	}
	return m.Type.String()
}
