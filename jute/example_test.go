package jute_test

import (
	"bytes"
	"fmt"

	"github.com/zkfs/zkfs/jute"
)

func ExampleAppendRequest() {
	// A ping frame: length, then RequestHeader{-2, ping}, no body.
	fmt.Printf("% x\n", jute.AppendRequest(nil, jute.XidPing, jute.OpPing, nil))
	// Output: 00 00 00 08 ff ff ff fe 00 00 00 0b
}

func ExampleFrameReader() {
	// A server reply to getData: ReplyHeader then GetDataResponse, framed.
	b, start := jute.BeginFrame(nil)
	b = (&jute.ReplyHeader{Xid: 1, Zxid: 42}).Append(b)
	b = (&jute.GetDataResponse{Data: []byte("hi"), Stat: jute.Stat{Version: 3}}).Append(b)
	b = jute.EndFrame(b, start)

	fr := jute.NewFrameReader(bytes.NewReader(b), 0)
	payload, err := fr.Next()
	if err != nil {
		panic(err)
	}
	var h jute.ReplyHeader
	var resp jute.GetDataResponse
	d := jute.NewDecoder(payload)
	if err := h.Decode(d); err != nil {
		panic(err)
	}
	if h.Err == jute.ErrOK {
		if err := resp.Decode(d); err != nil {
			panic(err)
		}
	}
	fmt.Println(h.Xid, h.Zxid, h.Err, string(resp.Data), resp.Stat.Version)
	// Output: 1 42 OK hi 3
}

func ExampleValidatePath() {
	fmt.Println(jute.ValidatePath("/a/b"))
	fmt.Println(jute.ValidatePath("/a/"))
	fmt.Println(jute.ValidateCreatePath("/queue/", jute.ModePersistentSequential))
	// Output:
	// <nil>
	// jute: invalid path: "/a/": path must not end with /
	// <nil>
}
