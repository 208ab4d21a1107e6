package zkclient

import (
	"sync/atomic"
	"time"

	"github.com/zkfs/zkfs/jute"
)

// opSlots indexes the counters by opcode.
var opSlots = map[jute.OpCode]int{}

var countedOps = []jute.OpCode{
	jute.OpCreate, jute.OpCreate2, jute.OpCreateContainer, jute.OpCreateTTL, jute.OpDelete,
	jute.OpExists, jute.OpGetData, jute.OpSetData, jute.OpGetACL, jute.OpSetACL,
	jute.OpGetChildren, jute.OpGetChildren2, jute.OpSync, jute.OpMulti, jute.OpMultiRead,
	jute.OpCheckWatches, jute.OpRemoveWatches, jute.OpAddWatch, jute.OpGetEphemerals,
	jute.OpGetAllChildrenNumber, jute.OpWhoAmI, jute.OpCloseSession, jute.OpSetWatches2,
}

func init() {
	for i, op := range countedOps {
		opSlots[op] = i
	}
}

// metrics are the client's counters; atomics, written by the reader.
type metrics struct {
	ok         [32]atomic.Uint64
	failed     [32]atomic.Uint64
	reconnects atomic.Uint64
}

func (c *Client) count(op jute.OpCode, ok bool) {
	i, known := opSlots[op]
	if !known {
		return
	}
	if ok {
		c.metrics.ok[i].Add(1)
	} else {
		c.metrics.failed[i].Add(1)
	}
}

// observe reports a reply to Config.OnReply; r must not have been completed yet.
func (c *Client) observe(r *request, code jute.ErrCode, now time.Time) {
	if f := c.cfg.OnReply; f != nil && !r.sent.IsZero() {
		f(r.op, code, now.Sub(r.sent))
	}
}

// OpCount is the number of replies for one opcode.
type OpCount struct {
	Op     jute.OpCode
	OK     uint64 // replies without error
	Failed uint64 // replies with a server error code
}

// Stats is a snapshot of the client's counters.
type Stats struct {
	Ops        []OpCount // opcodes with at least one reply
	Reconnects uint64    // connections lost and re-established within the session
	State      jute.KeeperState
	SessionID  int64
}

// Stats returns the counters. Requests that failed without a reply
// (connection loss, cancellation) are not counted.
func (c *Client) Stats() Stats {
	s := Stats{Reconnects: c.metrics.reconnects.Load(), State: c.State(), SessionID: c.SessionID()}
	for i, op := range countedOps {
		ok, failed := c.metrics.ok[i].Load(), c.metrics.failed[i].Load()
		if ok+failed > 0 {
			s.Ops = append(s.Ops, OpCount{Op: op, OK: ok, Failed: failed})
		}
	}
	return s
}
