package zkclient

import (
	"encoding/binary"
	"fmt"
	"sync"
	"time"

	"github.com/zkfs/zkfs/jute"
)

// watchKind is the watch a successful reply registers.
type watchKind uint8

const (
	watchNone       watchKind = iota
	watchData                 // getData, or exists on an existing node
	watchExist                // exists (on a missing node it becomes an exist watch)
	watchChild                // getChildren
	watchPersistent           // addWatch PERSISTENT
	watchRecursive            // addWatch PERSISTENT_RECURSIVE
	watchRemove               // removeWatches: drop watches of wtype on success
)

// request is one call in flight. The caller fills op, buf and the watch
// fields and hands it to Client.do; from then until done fires, the
// connection's reader owns it and writes the results. A caller whose
// context ends first abandons it (it is then never reused).
type request struct {
	xid   int32
	op    jute.OpCode
	buf   []byte // whole frame; the xid is patched in at send time
	start int

	watch  watchKind
	wtype  jute.WatcherType // for watchRemove
	wpath  string           // server path the watch is on
	notify bool             // false for internal requests (nobody waits)

	done chan struct{} // capacity 1; one send per use
	sent time.Time     // when a caller made the call (set only with Config.OnReply)

	// Results, written by the reader before done fires.
	err      error
	stat     jute.Stat
	data     []byte
	path     string
	strs     []string
	acl      []jute.ACL
	num      int32
	multi    []jute.MultiResult
	identity []jute.ClientInfo
}

var reqPool = sync.Pool{New: func() any { return &request{done: make(chan struct{}, 1)} }}

// newRequest returns a request with a frame started for op (header written,
// xid 0 until sent).
func newRequest(op jute.OpCode) *request {
	r := reqPool.Get().(*request)
	r.op = op
	r.buf, r.start = jute.BeginFrame(r.buf[:0])
	r.buf = jute.AppendInt32(r.buf, 0)
	r.buf = jute.AppendInt32(r.buf, int32(op))
	r.notify = true
	return r
}

// release returns r to the pool; only after done fired and the caller has
// copied what it needs.
func (r *request) release() {
	if cap(r.buf) > 64<<10 {
		r.buf = nil
	}
	buf, done := r.buf, r.done
	*r = request{buf: buf, done: done}
	reqPool.Put(r)
}

// finish closes the frame and checks it against the limit.
func (r *request) finish(maxFrame int) error {
	r.buf = jute.EndFrame(r.buf, r.start)
	if n := jute.FrameLength(r.buf, r.start); n > maxFrame {
		return fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, n, maxFrame)
	}
	return nil
}

// setXid patches the xid into the frame.
func (r *request) setXid(xid int32) {
	r.xid = xid
	binary.BigEndian.PutUint32(r.buf[r.start+4:], uint32(xid))
}

// complete hands the result to the waiting caller.
func (r *request) complete(err error) {
	r.err = err
	if r.notify {
		r.done <- struct{}{}
	}
}

// decodeBody reads the reply body of a successful request. The reader calls
// it; an error means the server sent something malformed.
func (r *request) decodeBody(d *jute.Decoder) error {
	switch r.op {
	case jute.OpCreate2, jute.OpCreateContainer, jute.OpCreateTTL:
		var v jute.Create2Response
		err := v.Decode(d)
		r.path, r.stat = v.Path, v.Stat
		return err
	case jute.OpCreate, jute.OpSync:
		s, err := d.String()
		r.path = s
		return err
	case jute.OpExists, jute.OpSetData, jute.OpSetACL:
		return r.stat.Decode(d)
	case jute.OpGetData:
		var v jute.GetDataResponse
		err := v.Decode(d)
		r.data, r.stat = v.Data, v.Stat
		return err
	case jute.OpGetACL:
		var v jute.GetACLResponse
		err := v.Decode(d)
		r.acl, r.stat = v.ACL, v.Stat
		return err
	case jute.OpGetChildren2:
		var v jute.GetChildren2Response
		err := v.Decode(d)
		r.strs, r.stat = v.Children, v.Stat
		return err
	case jute.OpGetChildren, jute.OpGetEphemerals:
		s, err := d.Strings()
		r.strs = s
		return err
	case jute.OpGetAllChildrenNumber:
		n, err := d.Int32()
		r.num = n
		return err
	case jute.OpWhoAmI:
		var v jute.WhoAmIResponse
		err := v.Decode(d)
		r.identity = v.ClientInfo
		return err
	case jute.OpMulti, jute.OpMultiRead:
		var v jute.MultiResponse
		err := v.Decode(d)
		r.multi = v.Results
		return err
	}
	// delete, check, addWatch, removeWatches, checkWatches, closeSession,
	// setWatches: no body worth reading.
	return nil
}
