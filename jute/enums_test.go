package jute

import (
	"fmt"
	"testing"
)

func TestEnumStrings(t *testing.T) {
	cases := []struct {
		v    fmt.Stringer
		want string
	}{
		{OpGetData, "getData"},
		{OpCreate2, "create2"},
		{OpPing, "ping"},
		{OpCloseSession, "closeSession"},
		{OpSetWatches2, "setWatches2"},
		{OpWhoAmI, "whoAmI"},
		{OpError, "error"},
		{OpCode(999), "OpCode(999)"},
		{ErrOK, "OK"},
		{ErrNoNode, "NONODE"},
		{ErrNodeExists, "NODEEXISTS"},
		{ErrSessionExpired, "SESSIONEXPIRED"},
		{ErrSessionClosedRequireSASLAuth, "SESSIONCLOSEDREQUIRESASLAUTH"},
		{ErrThrottledOp, "THROTTLEDOP"},
		{ErrCode(-999), "ErrCode(-999)"},
		{ErrCode(-126), "ErrCode(-126)"},
		{EventNone, "None"},
		{EventNodeCreated, "NodeCreated"},
		{EventNodeChildrenChanged, "NodeChildrenChanged"},
		{EventPersistentWatchRemoved, "PersistentWatchRemoved"},
		{EventType(42), "EventType(42)"},
		{StateSyncConnected, "SyncConnected"},
		{StateExpired, "Expired"},
		{StateClosed, "Closed"},
		{KeeperState(2), "KeeperState(2)"},
		{WatcherChildren, "Children"},
		{WatcherAny, "Any"},
		{WatcherType(4), "WatcherType(4)"},
		{AddWatchPersistent, "PERSISTENT"},
		{AddWatchPersistentRecursive, "PERSISTENT_RECURSIVE"},
		{AddWatchMode(2), "AddWatchMode(2)"},
		{ModePersistent, "PERSISTENT"},
		{ModeEphemeralSequential, "EPHEMERAL_SEQUENTIAL"},
		{ModePersistentSequentialTTL, "PERSISTENT_SEQUENTIAL_WITH_TTL"},
		{CreateMode(7), "CreateMode(7)"},
	}
	for _, c := range cases {
		if got := c.v.String(); got != c.want {
			t.Errorf("%T(%v).String() = %q, want %q", c.v, c.v, got, c.want)
		}
	}
}

// TestErrCodeTable checks every code of zk-protocol.md §12 by value.
func TestErrCodeTable(t *testing.T) {
	want := map[int32]string{
		0: "OK", -1: "SYSTEMERROR", -2: "RUNTIMEINCONSISTENCY", -3: "DATAINCONSISTENCY",
		-4: "CONNECTIONLOSS", -5: "MARSHALLINGERROR", -6: "UNIMPLEMENTED", -7: "OPERATIONTIMEOUT",
		-8: "BADARGUMENTS", -9: "INVALIDSTATE", -12: "UNKNOWNSESSION", -13: "NEWCONFIGNOQUORUM",
		-14: "RECONFIGINPROGRESS", -15: "SSLCONNECTIONERROR", -100: "APIERROR", -101: "NONODE",
		-102: "NOAUTH", -103: "BADVERSION", -108: "NOCHILDRENFOREPHEMERALS", -110: "NODEEXISTS",
		-111: "NOTEMPTY", -112: "SESSIONEXPIRED", -113: "INVALIDCALLBACK", -114: "INVALIDACL",
		-115: "AUTHFAILED", -116: "CLOSING", -117: "NOTHING", -118: "SESSIONMOVED",
		-119: "NOTREADONLY", -120: "EPHEMERALONLOCALSESSION", -121: "NOWATCHER",
		-122: "REQUESTTIMEOUT", -123: "RECONFIGDISABLED", -124: "SESSIONCLOSEDREQUIRESASLAUTH",
		-125: "QUOTAEXCEEDED", -127: "THROTTLEDOP",
	}
	if len(errNames) != len(want) {
		t.Errorf("errNames has %d codes, want %d", len(errNames), len(want))
	}
	for v, name := range want {
		c := ErrCode(v)
		if c.String() != name || !c.Known() {
			t.Errorf("ErrCode(%d) = %q (known %v), want %q", v, c.String(), c.Known(), name)
		}
	}
	if ErrCode(-126).Known() {
		t.Error("-126 must be unknown")
	}
}

func TestOpCodeValues(t *testing.T) {
	want := map[OpCode]int32{
		OpNotification: 0, OpCreate: 1, OpDelete: 2, OpExists: 3, OpGetData: 4, OpSetData: 5, OpGetACL: 6,
		OpSetACL: 7, OpGetChildren: 8, OpSync: 9, OpPing: 11, OpGetChildren2: 12, OpCheck: 13, OpMulti: 14,
		OpCreate2: 15, OpReconfig: 16, OpCheckWatches: 17, OpRemoveWatches: 18, OpCreateContainer: 19,
		OpDeleteContainer: 20, OpCreateTTL: 21, OpMultiRead: 22, OpAuth: 100, OpSetWatches: 101, OpSASL: 102,
		OpGetEphemerals: 103, OpGetAllChildrenNumber: 104, OpSetWatches2: 105, OpAddWatch: 106,
		OpWhoAmI: 107, OpCreateSession: -10, OpCloseSession: -11, OpError: -1,
	}
	for op, v := range want {
		if int32(op) != v {
			t.Errorf("%v = %d, want %d", op, int32(op), v)
		}
		if _, ok := opNames[op]; !ok {
			t.Errorf("%d has no name", v)
		}
	}
	if len(opNames) != len(want) {
		t.Errorf("opNames has %d entries, want %d", len(opNames), len(want))
	}
	if !OpSetData.IsWrite() || OpGetData.IsWrite() || OpPing.IsWrite() || !OpMulti.IsWrite() || OpMultiRead.IsWrite() {
		t.Error("IsWrite is wrong")
	}
}

func TestCreateModePredicates(t *testing.T) {
	type preds struct{ eph, seq, ttl, cont, valid bool }
	cases := map[CreateMode]preds{
		ModePersistent:              {false, false, false, false, true},
		ModeEphemeral:               {true, false, false, false, true},
		ModePersistentSequential:    {false, true, false, false, true},
		ModeEphemeralSequential:     {true, true, false, false, true},
		ModeContainer:               {false, false, false, true, true},
		ModePersistentTTL:           {false, false, true, false, true},
		ModePersistentSequentialTTL: {false, true, true, false, true},
		CreateMode(7):               {false, false, false, false, false},
		CreateMode(-1):              {false, false, false, false, false},
	}
	for m, w := range cases {
		got := preds{m.IsEphemeral(), m.IsSequential(), m.IsTTL(), m.IsContainer(), m.Valid()}
		if got != w {
			t.Errorf("%v: got %+v, want %+v", m, got, w)
		}
	}
	if ModeContainer.OpCode() != OpCreateContainer || ModePersistentTTL.OpCode() != OpCreateTTL ||
		ModeEphemeral.OpCode() != OpCreate2 {
		t.Error("CreateMode.OpCode is wrong")
	}
	if len(WorldACL) != 1 || WorldACL[0].Perms != PermAll || WorldACL[0].ID != (ID{"world", "anyone"}) {
		t.Errorf("WorldACL %+v", WorldACL)
	}
	if PermRead|PermWrite|PermCreate|PermDelete|PermAdmin != PermAll {
		t.Error("PermAll is not the union of the bits")
	}
}
