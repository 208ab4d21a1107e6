package jute

// Golden encodings, derived by hand from the field tables in
// zk-protocol.md §3, §4, §6 and §9. Each byte group carries a comment
// naming the field it encodes. Composite records reuse the hand-derived
// encodings of the records they embed (goldenStat, goldenACL).

// golden is one record value and its exact wire encoding.
type golden struct {
	name   string
	rec    Record        // the value; Append(nil) must equal wire
	newRec func() Record // a zero record to decode wire into
	wire   []byte
}

// cat concatenates byte slices into a fresh slice.
func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

var statValue = Stat{
	Czxid:          0x100000001,
	Mzxid:          0x100000002,
	Ctime:          1700000000000,
	Mtime:          1700000000123,
	Version:        1,
	Cversion:       2,
	Aversion:       3,
	EphemeralOwner: 0x0123456789ABCDEF,
	DataLength:     5,
	NumChildren:    2,
	Pzxid:          0x100000003,
}

var goldenStat = []byte{
	0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, // czxid 0x100000001
	0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, // mzxid 0x100000002
	0x00, 0x00, 0x01, 0x8B, 0xCF, 0xE5, 0x68, 0x00, // ctime 1700000000000
	0x00, 0x00, 0x01, 0x8B, 0xCF, 0xE5, 0x68, 0x7B, // mtime 1700000000123
	0x00, 0x00, 0x00, 0x01, // version 1
	0x00, 0x00, 0x00, 0x02, // cversion 2
	0x00, 0x00, 0x00, 0x03, // aversion 3
	0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF, // ephemeralOwner 0x0123456789ABCDEF
	0x00, 0x00, 0x00, 0x05, // dataLength 5
	0x00, 0x00, 0x00, 0x02, // numChildren 2
	0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x03, // pzxid 0x100000003
}

// goldenACL is one ACL: perms ALL for world:anyone.
var goldenACL = []byte{
	0x00, 0x00, 0x00, 0x1F, // perms 31 (ALL)
	0x00, 0x00, 0x00, 0x05, // scheme length 5
	'w', 'o', 'r', 'l', 'd', // scheme "world"
	0x00, 0x00, 0x00, 0x06, // id length 6
	'a', 'n', 'y', 'o', 'n', 'e', // id "anyone"
}

// goldenPing is the complete ping frame of zk-protocol.md §1.
var goldenPing = []byte{
	0x00, 0x00, 0x00, 0x08, // frame length 8
	0xFF, 0xFF, 0xFF, 0xFE, // xid -2
	0x00, 0x00, 0x00, 0x0B, // type 11 (ping)
}

func goldenHeaders() []golden {
	return []golden{
		{"RequestHeader", &RequestHeader{Xid: 7, Type: OpGetData}, func() Record { return new(RequestHeader) }, []byte{
			0x00, 0x00, 0x00, 0x07, // xid 7
			0x00, 0x00, 0x00, 0x04, // type 4 (getData)
		}},
		{"ReplyHeader", &ReplyHeader{Xid: 7, Zxid: 0x100000005, Err: ErrNoNode}, func() Record { return new(ReplyHeader) }, []byte{
			0x00, 0x00, 0x00, 0x07, // xid 7
			0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x05, // zxid 0x100000005
			0xFF, 0xFF, 0xFF, 0x9B, // err -101 (NONODE)
		}},
		{"ReplyHeader/notification", &ReplyHeader{Xid: -1, Zxid: -1, Err: ErrOK}, func() Record { return new(ReplyHeader) }, []byte{
			0xFF, 0xFF, 0xFF, 0xFF, // xid -1 (notification)
			0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, // zxid -1
			0x00, 0x00, 0x00, 0x00, // err 0
		}},
		{"MultiHeader", &MultiHeader{Type: OpSetData, Done: false, Err: -1}, func() Record { return new(MultiHeader) }, []byte{
			0x00, 0x00, 0x00, 0x05, // type 5 (setData)
			0x00,                   // done false
			0xFF, 0xFF, 0xFF, 0xFF, // err -1
		}},
		{"MultiHeader/done", &MultiHeader{Type: OpError, Done: true, Err: -1}, func() Record { return new(MultiHeader) }, []byte{
			0xFF, 0xFF, 0xFF, 0xFF, // type -1
			0x01,                   // done true
			0xFF, 0xFF, 0xFF, 0xFF, // err -1
		}},
		{"ConnectRequest", &ConnectRequest{ProtocolVersion: 0, LastZxidSeen: 0x100000002, TimeOut: 10000, SessionID: 0, Passwd: make([]byte, 16), ReadOnly: true}, func() Record { return new(ConnectRequest) }, []byte{
			0x00, 0x00, 0x00, 0x00, // protocolVersion 0
			0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, // lastZxidSeen 0x100000002
			0x00, 0x00, 0x27, 0x10, // timeOut 10000 ms
			0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // sessionId 0 (new session)
			0x00, 0x00, 0x00, 0x10, // passwd length 16
			0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // passwd bytes 0-7 (zero)
			0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // passwd bytes 8-15 (zero)
			0x01, // readOnly true
		}},
		{"ConnectResponse", &ConnectResponse{ProtocolVersion: 0, TimeOut: 4000, SessionID: 0x0123456789ABCDEF,
			Passwd: []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, ReadOnly: false}, func() Record { return new(ConnectResponse) }, []byte{
			0x00, 0x00, 0x00, 0x00, // protocolVersion 0
			0x00, 0x00, 0x0F, 0xA0, // timeOut 4000 ms (negotiated)
			0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF, // sessionId 0x0123456789ABCDEF
			0x00, 0x00, 0x00, 0x10, // passwd length 16
			0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, // passwd bytes 0-7
			0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F, 0x10, // passwd bytes 8-15
			0x00, // readOnly false
		}},
	}
}

func goldenDataRecords() []golden {
	return []golden{
		{"Stat", ptr(statValue), func() Record { return new(Stat) }, goldenStat},
		{"ID", &ID{Scheme: "digest", ID: "u:x"}, func() Record { return new(ID) }, []byte{
			0x00, 0x00, 0x00, 0x06, // scheme length 6
			'd', 'i', 'g', 'e', 's', 't', // scheme "digest"
			0x00, 0x00, 0x00, 0x03, // id length 3
			'u', ':', 'x', // id "u:x"
		}},
		{"ACL", &WorldACL[0], func() Record { return new(ACL) }, goldenACL},
		{"ClientInfo", &ClientInfo{AuthScheme: "ip", User: "127.0.0.1"}, func() Record { return new(ClientInfo) }, []byte{
			0x00, 0x00, 0x00, 0x02, // authScheme length 2
			'i', 'p', // authScheme "ip"
			0x00, 0x00, 0x00, 0x09, // user length 9
			'1', '2', '7', '.', '0', '.', '0', '.', '1', // user "127.0.0.1"
		}},
		{"AuthPacket", &AuthPacket{Type: 0, Scheme: "digest", Auth: []byte("u:p")}, func() Record { return new(AuthPacket) }, []byte{
			0x00, 0x00, 0x00, 0x00, // type 0
			0x00, 0x00, 0x00, 0x06, // scheme length 6
			'd', 'i', 'g', 'e', 's', 't', // scheme "digest"
			0x00, 0x00, 0x00, 0x03, // auth length 3
			'u', ':', 'p', // auth "u:p"
		}},
		{"SetWatches", &SetWatches{RelativeZxid: 0x100000009, DataWatches: []string{"/a"}, ExistWatches: []string{}, ChildWatches: []string{"/", "/b"}},
			func() Record { return new(SetWatches) }, []byte{
				0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x09, // relativeZxid 0x100000009
				0x00, 0x00, 0x00, 0x01, // dataWatches count 1
				0x00, 0x00, 0x00, 0x02, '/', 'a', // dataWatches[0] "/a"
				0x00, 0x00, 0x00, 0x00, // existWatches count 0
				0x00, 0x00, 0x00, 0x02, // childWatches count 2
				0x00, 0x00, 0x00, 0x01, '/', // childWatches[0] "/"
				0x00, 0x00, 0x00, 0x02, '/', 'b', // childWatches[1] "/b"
			}},
		{"SetWatches2", &SetWatches2{RelativeZxid: 5, DataWatches: []string{}, ExistWatches: []string{"/e"}, ChildWatches: []string{},
			PersistentWatches: []string{"/p"}, PersistentRecursiveWatches: []string{"/r"}}, func() Record { return new(SetWatches2) }, []byte{
			0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, // relativeZxid 5
			0x00, 0x00, 0x00, 0x00, // dataWatches count 0
			0x00, 0x00, 0x00, 0x01, // existWatches count 1
			0x00, 0x00, 0x00, 0x02, '/', 'e', // existWatches[0] "/e"
			0x00, 0x00, 0x00, 0x00, // childWatches count 0
			0x00, 0x00, 0x00, 0x01, // persistentWatches count 1
			0x00, 0x00, 0x00, 0x02, '/', 'p', // persistentWatches[0] "/p"
			0x00, 0x00, 0x00, 0x01, // persistentRecursiveWatches count 1
			0x00, 0x00, 0x00, 0x02, '/', 'r', // persistentRecursiveWatches[0] "/r"
		}},
		{"WatcherEvent", &WatcherEvent{Type: EventNodeCreated, State: StateSyncConnected, Path: "/watched"}, func() Record { return new(WatcherEvent) }, []byte{
			0x00, 0x00, 0x00, 0x01, // type 1 (NodeCreated)
			0x00, 0x00, 0x00, 0x03, // state 3 (SyncConnected)
			0x00, 0x00, 0x00, 0x08, // path length 8
			'/', 'w', 'a', 't', 'c', 'h', 'e', 'd', // path "/watched"
		}},
		{"ErrorResponse", &ErrorResponse{Err: ErrNodeExists}, func() Record { return new(ErrorResponse) }, []byte{
			0xFF, 0xFF, 0xFF, 0x92, // err -110 (NODEEXISTS)
		}},
		{"GetSASLRequest", &GetSASLRequest{Token: []byte{0xDE, 0xAD}}, func() Record { return new(GetSASLRequest) }, []byte{
			0x00, 0x00, 0x00, 0x02, // token length 2
			0xDE, 0xAD, // token bytes
		}},
		{"SetSASLResponse", &SetSASLResponse{Token: nil}, func() Record { return new(SetSASLResponse) }, []byte{
			0xFF, 0xFF, 0xFF, 0xFF, // token length -1 (null)
		}},
	}
}

func ptr[T any](v T) *T { return &v }
