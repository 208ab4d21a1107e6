package jute

// Golden encodings of the operation records (zk-protocol.md §6.3) and of
// multi bodies (§9). See golden_test.go for conventions.

func goldenOps() []golden {
	return []golden{
		{"CreateRequest", &CreateRequest{Path: "/a", Data: []byte("hi"), ACL: WorldACL, Flags: ModeEphemeralSequential},
			func() Record { return new(CreateRequest) }, cat([]byte{
				0x00, 0x00, 0x00, 0x02, '/', 'a', // path length 2, "/a"
				0x00, 0x00, 0x00, 0x02, 'h', 'i', // data length 2, "hi"
				0x00, 0x00, 0x00, 0x01, // acl count 1
			}, goldenACL, []byte{ // acl[0]: ALL world:anyone
				0x00, 0x00, 0x00, 0x03, // flags 3 (EPHEMERAL_SEQUENTIAL)
			})},
		{"CreateRequest/nulldata", &CreateRequest{Path: "/n", Data: nil, ACL: []ACL{}, Flags: ModePersistent},
			func() Record { return new(CreateRequest) }, []byte{
				0x00, 0x00, 0x00, 0x02, '/', 'n', // path length 2, "/n"
				0xFF, 0xFF, 0xFF, 0xFF, // data length -1 (null)
				0x00, 0x00, 0x00, 0x00, // acl count 0
				0x00, 0x00, 0x00, 0x00, // flags 0 (PERSISTENT)
			}},
		{"CreateTTLRequest", &CreateTTLRequest{Path: "/t", Data: []byte{}, ACL: WorldACL, Flags: ModePersistentTTL, TTL: 3600000},
			func() Record { return new(CreateTTLRequest) }, cat([]byte{
				0x00, 0x00, 0x00, 0x02, '/', 't', // path length 2, "/t"
				0x00, 0x00, 0x00, 0x00, // data length 0 (empty, not null)
				0x00, 0x00, 0x00, 0x01, // acl count 1
			}, goldenACL, []byte{ // acl[0]
				0x00, 0x00, 0x00, 0x05, // flags 5 (PERSISTENT_WITH_TTL)
				0x00, 0x00, 0x00, 0x00, 0x00, 0x36, 0xEE, 0x80, // ttl 3600000 ms
			})},
		{"CreateResponse", &CreateResponse{Path: "/q0000000042"}, func() Record { return new(CreateResponse) }, []byte{
			0x00, 0x00, 0x00, 0x0C, // path length 12
			'/', 'q', '0', '0', '0', '0', '0', '0', '0', '0', '4', '2', // path "/q0000000042"
		}},
		{"Create2Response", &Create2Response{Path: "/a", Stat: statValue}, func() Record { return new(Create2Response) }, cat([]byte{
			0x00, 0x00, 0x00, 0x02, '/', 'a', // path length 2, "/a"
		}, goldenStat)}, // stat
		{"DeleteRequest", &DeleteRequest{Path: "/a", Version: -1}, func() Record { return new(DeleteRequest) }, []byte{
			0x00, 0x00, 0x00, 0x02, '/', 'a', // path length 2, "/a"
			0xFF, 0xFF, 0xFF, 0xFF, // version -1 (any)
		}},
		{"ExistsRequest", &ExistsRequest{Path: "/a", Watch: true}, func() Record { return new(ExistsRequest) }, []byte{
			0x00, 0x00, 0x00, 0x02, '/', 'a', // path length 2, "/a"
			0x01, // watch true
		}},
		{"ExistsResponse", &ExistsResponse{Stat: statValue}, func() Record { return new(ExistsResponse) }, goldenStat},
		{"GetDataRequest", &GetDataRequest{Path: "/hello", Watch: false}, func() Record { return new(GetDataRequest) }, []byte{
			0x00, 0x00, 0x00, 0x06, // path length 6
			'/', 'h', 'e', 'l', 'l', 'o', // path "/hello"
			0x00, // watch false
		}},
		{"GetDataResponse", &GetDataResponse{Data: []byte("world"), Stat: statValue}, func() Record { return new(GetDataResponse) }, cat([]byte{
			0x00, 0x00, 0x00, 0x05, // data length 5
			'w', 'o', 'r', 'l', 'd', // data "world"
		}, goldenStat)}, // stat
		{"GetDataResponse/null", &GetDataResponse{Data: nil, Stat: statValue}, func() Record { return new(GetDataResponse) }, cat([]byte{
			0xFF, 0xFF, 0xFF, 0xFF, // data length -1 (null)
		}, goldenStat)}, // stat
		{"SetDataRequest", &SetDataRequest{Path: "/a", Data: []byte{0x00, 0xFF}, Version: 3}, func() Record { return new(SetDataRequest) }, []byte{
			0x00, 0x00, 0x00, 0x02, '/', 'a', // path length 2, "/a"
			0x00, 0x00, 0x00, 0x02, // data length 2
			0x00, 0xFF, // data bytes
			0x00, 0x00, 0x00, 0x03, // version 3
		}},
		{"SetDataResponse", &SetDataResponse{Stat: statValue}, func() Record { return new(SetDataResponse) }, goldenStat},
		{"GetACLRequest", &GetACLRequest{Path: "/a"}, func() Record { return new(GetACLRequest) }, []byte{
			0x00, 0x00, 0x00, 0x02, '/', 'a', // path length 2, "/a"
		}},
		{"GetACLResponse", &GetACLResponse{ACL: []ACL{WorldACL[0], {Perms: PermRead | PermAdmin, ID: ID{Scheme: "ip", ID: "10.0.0.1"}}}, Stat: statValue},
			func() Record { return new(GetACLResponse) }, cat([]byte{
				0x00, 0x00, 0x00, 0x02, // acl count 2
			}, goldenACL, []byte{ // acl[0]
				0x00, 0x00, 0x00, 0x11, // acl[1] perms 17 (READ|ADMIN)
				0x00, 0x00, 0x00, 0x02, 'i', 'p', // acl[1] scheme length 2, "ip"
				0x00, 0x00, 0x00, 0x08, // acl[1] id length 8
				'1', '0', '.', '0', '.', '0', '.', '1', // acl[1] id "10.0.0.1"
			}, goldenStat)}, // stat
		{"SetACLRequest", &SetACLRequest{Path: "/a", ACL: WorldACL, Version: 0}, func() Record { return new(SetACLRequest) }, cat([]byte{
			0x00, 0x00, 0x00, 0x02, '/', 'a', // path length 2, "/a"
			0x00, 0x00, 0x00, 0x01, // acl count 1
		}, goldenACL, []byte{ // acl[0]
			0x00, 0x00, 0x00, 0x00, // version 0 (aversion)
		})},
		{"SetACLResponse", &SetACLResponse{Stat: statValue}, func() Record { return new(SetACLResponse) }, goldenStat},
		{"GetChildrenRequest", &GetChildrenRequest{Path: "/", Watch: true}, func() Record { return new(GetChildrenRequest) }, []byte{
			0x00, 0x00, 0x00, 0x01, '/', // path length 1, "/"
			0x01, // watch true
		}},
		{"GetChildrenResponse", &GetChildrenResponse{Children: []string{"zookeeper", "é"}}, func() Record { return new(GetChildrenResponse) }, []byte{
			0x00, 0x00, 0x00, 0x02, // children count 2
			0x00, 0x00, 0x00, 0x09, // children[0] length 9
			'z', 'o', 'o', 'k', 'e', 'e', 'p', 'e', 'r', // children[0] "zookeeper"
			0x00, 0x00, 0x00, 0x02, // children[1] length 2 (bytes)
			0xC3, 0xA9, // children[1] "é" (U+00E9 in UTF-8)
		}},
		{"GetChildren2Request", &GetChildren2Request{Path: "/a", Watch: false}, func() Record { return new(GetChildren2Request) }, []byte{
			0x00, 0x00, 0x00, 0x02, '/', 'a', // path length 2, "/a"
			0x00, // watch false
		}},
		{"GetChildren2Response", &GetChildren2Response{Children: []string{}, Stat: statValue}, func() Record { return new(GetChildren2Response) }, cat([]byte{
			0x00, 0x00, 0x00, 0x00, // children count 0
		}, goldenStat)}, // stat
		{"SyncRequest", &SyncRequest{Path: "/s"}, func() Record { return new(SyncRequest) }, []byte{
			0x00, 0x00, 0x00, 0x02, '/', 's', // path length 2, "/s"
		}},
		{"SyncResponse", &SyncResponse{Path: "/s"}, func() Record { return new(SyncResponse) }, []byte{
			0x00, 0x00, 0x00, 0x02, '/', 's', // path length 2, "/s"
		}},
		{"CheckVersionRequest", &CheckVersionRequest{Path: "/c", Version: 7}, func() Record { return new(CheckVersionRequest) }, []byte{
			0x00, 0x00, 0x00, 0x02, '/', 'c', // path length 2, "/c"
			0x00, 0x00, 0x00, 0x07, // version 7
		}},
	}
}

func goldenAdmin() []golden {
	return []golden{
		{"ReconfigRequest", &ReconfigRequest{JoiningServers: "j", LeavingServers: "", NewMembers: "m", CurConfigID: -1},
			func() Record { return new(ReconfigRequest) }, []byte{
				0x00, 0x00, 0x00, 0x01, 'j', // joiningServers length 1, "j"
				0x00, 0x00, 0x00, 0x00, // leavingServers length 0
				0x00, 0x00, 0x00, 0x01, 'm', // newMembers length 1, "m"
				0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, // curConfigId -1
			}},
		{"CheckWatchesRequest", &CheckWatchesRequest{Path: "/w", Type: WatcherData}, func() Record { return new(CheckWatchesRequest) }, []byte{
			0x00, 0x00, 0x00, 0x02, '/', 'w', // path length 2, "/w"
			0x00, 0x00, 0x00, 0x02, // type 2 (Data)
		}},
		{"RemoveWatchesRequest", &RemoveWatchesRequest{Path: "/w", Type: WatcherAny}, func() Record { return new(RemoveWatchesRequest) }, []byte{
			0x00, 0x00, 0x00, 0x02, '/', 'w', // path length 2, "/w"
			0x00, 0x00, 0x00, 0x03, // type 3 (Any)
		}},
		{"AddWatchRequest", &AddWatchRequest{Path: "/w", Mode: AddWatchPersistentRecursive}, func() Record { return new(AddWatchRequest) }, []byte{
			0x00, 0x00, 0x00, 0x02, '/', 'w', // path length 2, "/w"
			0x00, 0x00, 0x00, 0x01, // mode 1 (PERSISTENT_RECURSIVE)
		}},
		{"GetEphemeralsRequest", &GetEphemeralsRequest{PrefixPath: "/e"}, func() Record { return new(GetEphemeralsRequest) }, []byte{
			0x00, 0x00, 0x00, 0x02, '/', 'e', // prefixPath length 2, "/e"
		}},
		{"GetEphemeralsResponse", &GetEphemeralsResponse{Ephemerals: []string{"/e/1"}}, func() Record { return new(GetEphemeralsResponse) }, []byte{
			0x00, 0x00, 0x00, 0x01, // ephemerals count 1
			0x00, 0x00, 0x00, 0x04, '/', 'e', '/', '1', // ephemerals[0] "/e/1"
		}},
		{"GetEphemeralsResponse/null", &GetEphemeralsResponse{Ephemerals: nil}, func() Record { return new(GetEphemeralsResponse) }, []byte{
			0xFF, 0xFF, 0xFF, 0xFF, // ephemerals count -1 (null)
		}},
		{"GetAllChildrenNumberRequest", &GetAllChildrenNumberRequest{Path: "/"}, func() Record { return new(GetAllChildrenNumberRequest) }, []byte{
			0x00, 0x00, 0x00, 0x01, '/', // path length 1, "/"
		}},
		{"GetAllChildrenNumberResponse", &GetAllChildrenNumberResponse{TotalNumber: 258}, func() Record { return new(GetAllChildrenNumberResponse) }, []byte{
			0x00, 0x00, 0x01, 0x02, // totalNumber 258
		}},
		{"WhoAmIResponse", &WhoAmIResponse{ClientInfo: []ClientInfo{{AuthScheme: "ip", User: "::1"}}}, func() Record { return new(WhoAmIResponse) }, []byte{
			0x00, 0x00, 0x00, 0x01, // clientInfo count 1
			0x00, 0x00, 0x00, 0x02, 'i', 'p', // clientInfo[0] authScheme "ip"
			0x00, 0x00, 0x00, 0x03, ':', ':', '1', // clientInfo[0] user "::1"
		}},
	}
}

func goldenMulti() []golden {
	return []golden{
		{"MultiRequest", &MultiRequest{Ops: []MultiOp{
			{Type: OpCreate2, Req: &CreateRequest{Path: "/m", Data: []byte{}, ACL: WorldACL, Flags: ModePersistent}},
			{Type: OpSetData, Req: &SetDataRequest{Path: "/m", Data: []byte("x"), Version: -1}},
			{Type: OpCheck, Req: &CheckVersionRequest{Path: "/m", Version: 1}},
			{Type: OpDelete, Req: &DeleteRequest{Path: "/m", Version: 1}},
		}}, func() Record { return new(MultiRequest) }, cat([]byte{
			0x00, 0x00, 0x00, 0x0F, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, // header: type 15 (create2), done false, err -1
			0x00, 0x00, 0x00, 0x02, '/', 'm', // create path "/m"
			0x00, 0x00, 0x00, 0x00, // create data length 0
			0x00, 0x00, 0x00, 0x01, // create acl count 1
		}, goldenACL, []byte{ // create acl[0]
			0x00, 0x00, 0x00, 0x00, // create flags 0
			0x00, 0x00, 0x00, 0x05, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, // header: type 5 (setData), done false, err -1
			0x00, 0x00, 0x00, 0x02, '/', 'm', // setData path "/m"
			0x00, 0x00, 0x00, 0x01, 'x', // setData data "x"
			0xFF, 0xFF, 0xFF, 0xFF, // setData version -1
			0x00, 0x00, 0x00, 0x0D, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, // header: type 13 (check), done false, err -1
			0x00, 0x00, 0x00, 0x02, '/', 'm', // check path "/m"
			0x00, 0x00, 0x00, 0x01, // check version 1
			0x00, 0x00, 0x00, 0x02, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, // header: type 2 (delete), done false, err -1
			0x00, 0x00, 0x00, 0x02, '/', 'm', // delete path "/m"
			0x00, 0x00, 0x00, 0x01, // delete version 1
			0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, // terminator: type -1, done true, err -1
		})},
		{"MultiRequest/read", &MultiRequest{Ops: []MultiOp{
			{Type: OpGetData, Req: &GetDataRequest{Path: "/r"}},
			{Type: OpGetChildren, Req: &GetChildrenRequest{Path: "/r"}},
			{Type: OpCreateTTL, Req: &CreateTTLRequest{Path: "/t", Data: nil, ACL: []ACL{}, Flags: ModePersistentTTL, TTL: 1}},
		}}, func() Record { return new(MultiRequest) }, []byte{
			0x00, 0x00, 0x00, 0x04, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, // header: type 4 (getData), done false, err -1
			0x00, 0x00, 0x00, 0x02, '/', 'r', 0x00, // getData path "/r", watch false
			0x00, 0x00, 0x00, 0x08, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, // header: type 8 (getChildren), done false, err -1
			0x00, 0x00, 0x00, 0x02, '/', 'r', 0x00, // getChildren path "/r", watch false
			0x00, 0x00, 0x00, 0x15, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, // header: type 21 (createTTL), done false, err -1
			0x00, 0x00, 0x00, 0x02, '/', 't', // createTTL path "/t"
			0xFF, 0xFF, 0xFF, 0xFF, // createTTL data null
			0x00, 0x00, 0x00, 0x00, // createTTL acl count 0
			0x00, 0x00, 0x00, 0x05, // createTTL flags 5
			0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, // createTTL ttl 1
			0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, // terminator: type -1, done true, err -1
		}},
		{"MultiRequest/empty", &MultiRequest{}, func() Record { return new(MultiRequest) }, []byte{
			0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, // terminator: type -1, done true, err -1
		}},
		{"MultiResponse", &MultiResponse{Results: []MultiResult{
			{Type: OpCreate, Path: "/m"},
			{Type: OpCreate2, Path: "/n", Stat: statValue},
			{Type: OpSetData, Stat: statValue},
			{Type: OpCheck},
			{Type: OpDelete},
		}}, func() Record { return new(MultiResponse) }, cat([]byte{
			0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, // header: type 1 (create), done false, err 0
			0x00, 0x00, 0x00, 0x02, '/', 'm', // create path "/m" (3.8 answers create2 this way)
			0x00, 0x00, 0x00, 0x0F, 0x00, 0x00, 0x00, 0x00, 0x00, // header: type 15 (create2), done false, err 0
			0x00, 0x00, 0x00, 0x02, '/', 'n', // create2 path "/n"
		}, goldenStat, []byte{ // create2 stat
			0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, // header: type 5 (setData), done false, err 0
		}, goldenStat, []byte{ // setData stat
			0x00, 0x00, 0x00, 0x0D, 0x00, 0x00, 0x00, 0x00, 0x00, // header: type 13 (check), done false, err 0
			0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, // header: type 2 (delete), done false, err 0
			0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, // terminator: type -1, done true, err -1
		})},
		{"MultiResponse/failed", &MultiResponse{Results: []MultiResult{
			{Type: OpError, Err: ErrOK},
			{Type: OpError, Err: ErrNoNode},
			{Type: OpError, Err: ErrRuntimeInconsistency},
		}}, func() Record { return new(MultiResponse) }, []byte{
			0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, 0x00, // header: type -1 (error), done false, err 0
			0x00, 0x00, 0x00, 0x00, // ErrorResponse err 0 (rolled back)
			0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0xFF, 0xFF, 0xFF, 0x9B, // header: type -1, done false, err -101
			0xFF, 0xFF, 0xFF, 0x9B, // ErrorResponse err -101 (NONODE)
			0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0xFF, 0xFF, 0xFF, 0xFE, // header: type -1, done false, err -2
			0xFF, 0xFF, 0xFF, 0xFE, // ErrorResponse err -2 (RUNTIMEINCONSISTENCY)
			0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, // terminator: type -1, done true, err -1
		}},
		{"MultiResponse/read", &MultiResponse{Results: []MultiResult{
			{Type: OpGetData, Data: []byte("d"), Stat: statValue},
			{Type: OpGetChildren, Children: []string{"c"}},
			{Type: OpError, Err: ErrNoNode},
		}}, func() Record { return new(MultiResponse) }, cat([]byte{
			0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, // header: type 4 (getData), done false, err 0
			0x00, 0x00, 0x00, 0x01, 'd', // getData data "d"
		}, goldenStat, []byte{ // getData stat
			0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, // header: type 8 (getChildren), done false, err 0
			0x00, 0x00, 0x00, 0x01, // children count 1
			0x00, 0x00, 0x00, 0x01, 'c', // children[0] "c"
			0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0xFF, 0xFF, 0xFF, 0x9B, // header: type -1, done false, err -101
			0xFF, 0xFF, 0xFF, 0x9B, // ErrorResponse err -101 (NONODE)
			0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, // terminator: type -1, done true, err -1
		})},
	}
}

// allGoldens returns every golden record encoding.
func allGoldens() []golden {
	var all []golden
	for _, g := range [][]golden{goldenHeaders(), goldenDataRecords(), goldenOps(), goldenAdmin(), goldenMulti()} {
		all = append(all, g...)
	}
	return all
}
