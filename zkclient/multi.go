package zkclient

import (
	"context"
	"fmt"

	"github.com/zkfs/zkfs/jute"
)

// Op is one operation of a Multi: CreateOp, DeleteOp, SetOp or CheckOp.
type Op struct {
	typ     jute.OpCode
	path    string
	data    []byte
	mode    jute.CreateMode
	acl     []jute.ACL
	version int32
}

// CreateOp creates a node (nil acl: jute.WorldACL). TTL modes are refused.
func CreateOp(path string, data []byte, mode jute.CreateMode, acl []jute.ACL) Op {
	return Op{typ: jute.OpCreate, path: path, data: data, mode: mode, acl: acl}
}

// DeleteOp deletes a node at version (-1: any).
func DeleteOp(path string, version int32) Op {
	return Op{typ: jute.OpDelete, path: path, version: version}
}

// SetOp sets a node's data at version (-1: any).
func SetOp(path string, data []byte, version int32) Op {
	return Op{typ: jute.OpSetData, path: path, data: data, version: version}
}

// CheckOp fails the Multi unless the node's version is version.
func CheckOp(path string, version int32) Op {
	return Op{typ: jute.OpCheck, path: path, version: version}
}

// Path returns the path the op names.
func (o Op) Path() string { return o.path }

// OpResult is the outcome of one op of a Multi.
type OpResult struct {
	// Path is the op's path; for a create, the path created (with its
	// sequence number).
	Path string
	// Stat is the new Stat of a SetOp (zero for other ops: a 3.8 server
	// returns none for creates inside a multi).
	Stat jute.Stat
	// Err is the op's error when the Multi failed: the failing op's cause,
	// or ErrRuntimeInconsistency / nil for ops rolled back.
	Err error
}

// Multi runs ops atomically: all are applied or none. On failure the error
// wraps the failing op's cause (errors.Is(err, ErrBadVersion)…) and names it;
// the results say what each op would have done.
func (c *Client) Multi(ctx context.Context, ops ...Op) ([]OpResult, error) {
	req := jute.MultiRequest{Ops: make([]jute.MultiOp, len(ops))}
	for i, o := range ops {
		if err := c.multiOp(&req.Ops[i], o); err != nil {
			return nil, opErr("multi", o.path, err)
		}
	}
	r := newRequest(jute.OpMulti)
	r.buf = req.Append(r.buf)
	if err := c.call(ctx, r, "multi", ""); err != nil {
		return nil, err
	}
	results := r.multi
	r.release()
	if len(results) != len(ops) {
		return nil, opErr("multi", "", fmt.Errorf("%w: %d results for %d ops", ErrMarshallingError, len(results), len(ops)))
	}
	out := make([]OpResult, len(ops))
	var first error
	for i, res := range results {
		out[i].Path = ops[i].path
		switch res.Type {
		case jute.OpCreate, jute.OpCreate2, jute.OpCreateContainer, jute.OpCreateTTL:
			out[i].Path = c.clientPath(res.Path)
			out[i].Stat = res.Stat
		case jute.OpSetData:
			out[i].Stat = res.Stat
		case jute.OpError:
			if res.Err != jute.ErrOK {
				out[i].Err = errorFor(res.Err)
				if first == nil && res.Err != jute.ErrRuntimeInconsistency {
					first = &Error{Op: fmt.Sprintf("multi (op %d, %s)", i, opName(ops[i].typ)), Path: ops[i].path, Err: out[i].Err}
				}
			}
		}
	}
	if first == nil {
		for i := range out {
			if out[i].Err != nil {
				first = &Error{Op: fmt.Sprintf("multi (op %d)", i), Path: ops[i].path, Err: out[i].Err}
				break
			}
		}
	}
	return out, first
}

func opName(t jute.OpCode) string {
	switch t {
	case jute.OpCreate:
		return "create"
	case jute.OpDelete:
		return "delete"
	case jute.OpSetData:
		return "set"
	case jute.OpCheck:
		return "check"
	}
	return t.String()
}

// multiOp translates o to its wire form, with the chroot applied.
func (c *Client) multiOp(m *jute.MultiOp, o Op) error {
	var err error
	if o.typ == jute.OpCreate {
		err = jute.ValidateCreatePath(o.path, o.mode)
	} else {
		err = jute.ValidatePath(o.path)
	}
	if err != nil {
		return err
	}
	if o.typ == jute.OpCreate || o.typ == jute.OpSetData {
		if n := c.readLimit(); len(o.data) > n {
			return fmt.Errorf("%w: %d bytes of data, limit %d", ErrTooLarge, len(o.data), n)
		}
	}
	sp := c.serverPath(o.path)
	switch o.typ {
	case jute.OpCreate:
		if !o.mode.Valid() || o.mode.IsTTL() {
			return fmt.Errorf("%w: create mode %v in a multi", ErrBadArguments, o.mode)
		}
		acl := o.acl
		if acl == nil {
			acl = jute.WorldACL
		}
		typ := jute.OpCreate
		if o.mode.IsContainer() {
			typ = jute.OpCreateContainer
		}
		*m = jute.MultiOp{Type: typ, Req: &jute.CreateRequest{Path: sp, Data: o.data, ACL: acl, Flags: o.mode}}
	case jute.OpDelete:
		*m = jute.MultiOp{Type: jute.OpDelete, Req: &jute.DeleteRequest{Path: sp, Version: o.version}}
	case jute.OpSetData:
		*m = jute.MultiOp{Type: jute.OpSetData, Req: &jute.SetDataRequest{Path: sp, Data: o.data, Version: o.version}}
	case jute.OpCheck:
		*m = jute.MultiOp{Type: jute.OpCheck, Req: &jute.CheckVersionRequest{Path: sp, Version: o.version}}
	default:
		return fmt.Errorf("%w: empty Op", ErrBadArguments)
	}
	return nil
}

// ReadOp is one read of a MultiRead: GetDataOp or GetChildrenOp.
type ReadOp struct {
	typ  jute.OpCode
	path string
}

// GetDataOp reads a node's data and Stat.
func GetDataOp(path string) ReadOp { return ReadOp{typ: jute.OpGetData, path: path} }

// GetChildrenOp reads a node's child names.
func GetChildrenOp(path string) ReadOp { return ReadOp{typ: jute.OpGetChildren, path: path} }

// ReadResult is the outcome of one ReadOp; each succeeds or fails alone.
type ReadResult struct {
	Data     []byte
	Stat     jute.Stat // of a GetDataOp
	Children []string
	Err      error
}

// MultiRead runs several reads in one request; unlike Multi they are not
// atomic and each has its own error.
func (c *Client) MultiRead(ctx context.Context, ops ...ReadOp) ([]ReadResult, error) {
	req := jute.MultiRequest{Ops: make([]jute.MultiOp, len(ops))}
	for i, o := range ops {
		if err := jute.ValidatePath(o.path); err != nil {
			return nil, opErr("multiRead", o.path, err)
		}
		sp := c.serverPath(o.path)
		switch o.typ {
		case jute.OpGetData:
			req.Ops[i] = jute.MultiOp{Type: o.typ, Req: &jute.GetDataRequest{Path: sp}}
		case jute.OpGetChildren:
			req.Ops[i] = jute.MultiOp{Type: o.typ, Req: &jute.GetChildrenRequest{Path: sp}}
		default:
			return nil, opErr("multiRead", o.path, fmt.Errorf("%w: empty ReadOp", ErrBadArguments))
		}
	}
	r := newRequest(jute.OpMultiRead)
	r.buf = req.Append(r.buf)
	if err := c.call(ctx, r, "multiRead", ""); err != nil {
		return nil, err
	}
	results := r.multi
	r.release()
	if len(results) != len(ops) {
		return nil, opErr("multiRead", "", fmt.Errorf("%w: %d results for %d ops", ErrMarshallingError, len(results), len(ops)))
	}
	out := make([]ReadResult, len(ops))
	for i, res := range results {
		switch res.Type {
		case jute.OpGetData:
			out[i].Data, out[i].Stat = res.Data, res.Stat
		case jute.OpGetChildren:
			out[i].Children = res.Children
		case jute.OpError:
			out[i].Err = opErr("multiRead", ops[i].path, errorFor(res.Err))
		}
	}
	return out, nil
}
