package jute

import (
	"errors"
	"runtime"
	"testing"
)

// malformedCases must each fail with an error wrapping ErrMalformed.
var malformedCases = []struct {
	name   string
	newRec func() Record
	wire   []byte
}{
	{"buffer length -2", func() Record { return new(GetSASLRequest) }, []byte{
		0xFF, 0xFF, 0xFF, 0xFE, // token length -2
	}},
	{"buffer length MinInt32", func() Record { return new(GetSASLRequest) }, []byte{
		0x80, 0x00, 0x00, 0x00, // token length -2147483648
	}},
	{"buffer length MaxInt32", func() Record { return new(GetDataResponse) }, []byte{
		0x7F, 0xFF, 0xFF, 0xFF, // data length 2147483647 (over MaxFieldLength)
		0x01, 0x02,
	}},
	{"string length -5", func() Record { return new(CreateResponse) }, []byte{
		0xFF, 0xFF, 0xFF, 0xFB, // path length -5
	}},
	{"passwd length -7", func() Record { return new(ConnectResponse) }, []byte{
		0x00, 0x00, 0x00, 0x00, // protocolVersion
		0x00, 0x00, 0x0F, 0xA0, // timeOut
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, // sessionId
		0xFF, 0xFF, 0xFF, 0xF9, // passwd length -7
	}},
	{"invalid UTF-8 byte", func() Record { return new(WatcherEvent) }, []byte{
		0x00, 0x00, 0x00, 0x01, // type
		0x00, 0x00, 0x00, 0x03, // state
		0x00, 0x00, 0x00, 0x02, // path length 2
		'/', 0xFF, // "/" then an invalid byte
	}},
	{"overlong UTF-8", func() Record { return new(CreateResponse) }, []byte{
		0x00, 0x00, 0x00, 0x03, // path length 3
		'/', 0xC0, 0xAF, // overlong encoding of '/'
	}},
	{"UTF-8 encoded surrogate", func() Record { return new(CreateResponse) }, []byte{
		0x00, 0x00, 0x00, 0x04, // path length 4
		'/', 0xED, 0xA0, 0x80, // U+D800 as CESU-8
	}},
	{"string count -2", func() Record { return new(GetChildrenResponse) }, []byte{
		0xFF, 0xFF, 0xFF, 0xFE, // children count -2
	}},
	{"string count MaxInt32", func() Record { return new(GetChildrenResponse) }, []byte{
		0x7F, 0xFF, 0xFF, 0xFF, // children count 2147483647
		0x00, 0x00, 0x00, 0x00,
	}},
	{"string count huge in SetWatches2", func() Record { return new(SetWatches2) }, []byte{
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // relativeZxid
		0x00, 0x00, 0x00, 0x00, // dataWatches count 0
		0x10, 0x00, 0x00, 0x00, // existWatches count 268435456
	}},
	{"ACL count huge", func() Record { return new(GetACLResponse) }, []byte{
		0x02, 0x00, 0x00, 0x00, // acl count 33554432 (×12 bytes > MaxFieldLength)
	}},
	{"ACL count -3", func() Record { return new(SetACLRequest) }, []byte{
		0x00, 0x00, 0x00, 0x01, '/', // path "/"
		0xFF, 0xFF, 0xFF, 0xFD, // acl count -3
	}},
	{"client info count -3", func() Record { return new(WhoAmIResponse) }, []byte{
		0xFF, 0xFF, 0xFF, 0xFD, // clientInfo count -3
	}},
	{"client info count huge", func() Record { return new(WhoAmIResponse) }, []byte{
		0x7F, 0x00, 0x00, 0x00, // clientInfo count
	}},
	{"multi request opcode 3", func() Record { return new(MultiRequest) }, []byte{
		0x00, 0x00, 0x00, 0x03, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, // header: type 3 (exists), not allowed
		0x00, 0x00, 0x00, 0x01, '/', 0x00,
	}},
	{"multi response opcode 99", func() Record { return new(MultiResponse) }, []byte{
		0x00, 0x00, 0x00, 0x63, 0x00, 0x00, 0x00, 0x00, 0x00, // header: type 99
	}},
	{"multi response bad child string", func() Record { return new(MultiResponse) }, []byte{
		0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, // header: type 8 (getChildren)
		0x00, 0x00, 0x00, 0x01, // children count 1
		0xFF, 0xFF, 0xFF, 0xF0, // children[0] length -16
	}},
}

func TestMalformed(t *testing.T) {
	for _, c := range malformedCases {
		t.Run(c.name, func(t *testing.T) {
			var ms0, ms1 runtime.MemStats
			runtime.ReadMemStats(&ms0)
			err := Decode(c.wire, c.newRec())
			runtime.ReadMemStats(&ms1)
			if !errors.Is(err, ErrMalformed) || errors.Is(err, ErrShortBuffer) {
				t.Fatalf("err %v, want ErrMalformed", err)
			}
			// Nothing proportional to a claimed length may be allocated.
			if n := ms1.TotalAlloc - ms0.TotalAlloc; n > 1<<20 {
				t.Fatalf("decoding allocated %d bytes", n)
			}
		})
	}
}

// TestLargeClaimShort checks that plausible but unsatisfied lengths are
// ErrShortBuffer and are refused before any allocation.
func TestLargeClaimShort(t *testing.T) {
	cases := []struct {
		name   string
		newRec func() Record
		wire   []byte
	}{
		{"buffer 16 MiB", func() Record { return new(GetSASLRequest) }, []byte{0x01, 0x00, 0x00, 0x00, 1, 2, 3}},
		{"strings 1M", func() Record { return new(GetChildrenResponse) }, []byte{0x00, 0x10, 0x00, 0x00, 0, 0, 0, 0}},
		{"ACLs 1M", func() Record { return new(GetACLResponse) }, []byte{0x00, 0x10, 0x00, 0x00, 0, 0, 0, 0}},
		{"client infos 1M", func() Record { return new(WhoAmIResponse) }, []byte{0x00, 0x10, 0x00, 0x00, 0, 0, 0, 0}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var err error
			n := testing.AllocsPerRun(10, func() {
				err = Decode(c.wire, c.newRec())
			})
			if err != ErrShortBuffer {
				t.Fatalf("err %v, want ErrShortBuffer", err)
			}
			// One for the record, one for the Decoder; nothing else.
			if n > 2 {
				t.Fatalf("%v allocations", n)
			}
		})
	}
}
