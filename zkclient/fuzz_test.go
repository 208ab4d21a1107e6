package zkclient

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/zkfs/zkfs/jute"
)

// fuzzMaxFrame is the frame limit of the fuzzed client: small, so that the
// allocation bound below is tight.
const fuzzMaxFrame = 64 << 10

// fuzzFrame frames body (a reply header and what follows it).
func fuzzFrame(body ...[]byte) []byte {
	b, start := jute.BeginFrame(nil)
	for _, p := range body {
		b = append(b, p...)
	}
	return jute.EndFrame(b, start)
}

func fuzzReply(xid int32, zxid int64, code jute.ErrCode, rec jute.Record) []byte {
	h := jute.ReplyHeader{Xid: xid, Zxid: zxid, Err: code}
	b := h.Append(nil)
	if rec != nil {
		b = rec.Append(b)
	}
	return fuzzFrame(b)
}

func fuzzEvent(typ jute.EventType, path string) []byte {
	h := jute.ReplyHeader{Xid: -1, Zxid: -1}
	ev := jute.WatcherEvent{Type: typ, State: jute.StateSyncConnected, Path: path}
	return fuzzFrame(ev.Append(h.Append(nil)))
}

// FuzzServerStream plays a server that completes a valid handshake, reads
// the client's first request (a getData of /a, xid 1) and then sends
// arbitrary bytes before closing the connection. Whatever the bytes, the
// client must not panic, the call must end (with its result, a ZooKeeper
// error from a well-formed reply, or ErrConnectionLoss), Close must return,
// and the memory allocated must stay bounded by the frame limit, not by
// lengths announced on the wire. CI runs the seeds; run it for longer with
//
//	go test -run='^$' -fuzz=FuzzServerStream -fuzztime=10000000x ./zkclient
func FuzzServerStream(f *testing.F) {
	stat := jute.Stat{Czxid: 1, Mzxid: 2, Version: 3, DataLength: 2}
	get := jute.GetDataResponse{Data: []byte("ok"), Stat: stat}
	huge := make([]byte, 4)
	binary.BigEndian.PutUint32(huge, 0x7fffffff)
	neg := []byte{0xff, 0xff, 0xff, 0xfe}
	seeds := [][]byte{
		nil,
		fuzzReply(1, 5, jute.ErrOK, &get),
		fuzzReply(1, 5, jute.ErrNoNode, nil),
		fuzzReply(2, 5, jute.ErrOK, &get), // wrong xid
		append(fuzzReply(-2, 0, jute.ErrOK, nil), fuzzReply(1, 5, jute.ErrOK, &get)...), // ping reply first
		append(fuzzEvent(jute.EventNodeDataChanged, "/a"), fuzzReply(1, 5, jute.ErrOK, &get)...),
		fuzzEvent(jute.EventType(99), ""),
		fuzzEvent(jute.EventNodeCreated, "no-slash"),
		append(huge, 0, 0, 0, 1),
		neg,
		fuzzFrame([]byte{0, 0, 0, 1}), // a header cut short
		fuzzReply(1, 5, jute.ErrOK, nil)[:10],
		fuzzReply(-4, 0, jute.ErrAuthFailed, nil),
		fuzzReply(-8, 0, jute.ErrOK, nil),
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, stream []byte) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		fuzzOne(t, stream)
		runtime.ReadMemStats(&after)
		// A generous bound (other execs' goroutines may still be ending):
		// the client's own buffers and goroutines,
		// a few frames at the limit, and a constant factor of the input.
		limit := uint64(8<<20 + 4*fuzzMaxFrame + 64*len(stream))
		if grown := after.TotalAlloc - before.TotalAlloc; grown > limit {
			t.Fatalf("%d bytes allocated for a %d-byte stream (limit %d)", grown, len(stream), limit)
		}
	})
}

func fuzzOne(t *testing.T, stream []byte) {
	client, server := net.Pipe()
	dialed := false
	cfg := Config{
		Servers:        "127.0.0.1:1",
		SessionTimeout: 30 * time.Second,
		MaxFrame:       fuzzMaxFrame,
		// The first attempt reaches the scripted server; reconnects
		// find nobody.
		Dial: func(ctx context.Context, addr string) (net.Conn, error) {
			if dialed {
				return nil, errors.New("fuzz: no server")
			}
			dialed = true
			return client, nil
		},
	}
	served := make(chan struct{})
	// The scripted server: owned by fuzzOne, ends when it closed its side.
	go func() {
		defer close(served)
		defer server.Close()
		server.SetDeadline(time.Now().Add(30 * time.Second))
		fr := jute.NewFrameReader(server, 0)
		frame, err := fr.Next()
		if err != nil {
			return
		}
		var req jute.ConnectRequest
		if jute.Decode(frame, &req) != nil {
			return
		}
		resp := jute.ConnectResponse{TimeOut: 30000, SessionID: 42, Passwd: make([]byte, 16)}
		b, start := jute.BeginFrame(nil)
		if _, err := server.Write(jute.EndFrame(resp.Append(b), start)); err != nil {
			return
		}
		if _, err := fr.Next(); err != nil { // the getData
			return
		}
		// Drain what the client writes meanwhile (net.Pipe is
		// synchronous), then send the stream and hang up.
		go func() {
			for {
				if _, err := fr.Next(); err != nil {
					return
				}
			}
		}()
		server.Write(stream)
	}()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := Connect(ctx, cfg)
	if err != nil {
		t.Fatalf("connect after a valid handshake: %v", err)
	}
	// Events are read (and ignored) so the queue never matters.
	evDone := make(chan struct{})
	go func() {
		defer close(evDone)
		for range c.Events() {
		}
	}()
	_, _, err = c.Get(ctx, "/a")
	<-served
	var zerr *Error
	switch {
	case err == nil:
	case ctx.Err() != nil:
		t.Fatalf("the call did not end after the server hung up: %v", err)
	case errors.Is(err, ErrConnectionLoss):
	case errors.As(err, &zerr):
		// an error code carried by a well-formed reply
	default:
		t.Fatalf("get: untyped error %v", err)
	}
	closed := make(chan struct{})
	go func() { c.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(30 * time.Second):
		t.Fatalf("Close did not return")
	}
	<-evDone
}
