package jute

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

func TestFrameReaderSequence(t *testing.T) {
	var stream []byte
	stream = AppendRequest(stream, 1, OpGetData, &GetDataRequest{Path: "/a"})
	stream = append(stream, goldenPing...)
	b, start := BeginFrame(stream)
	stream = EndFrame(b, start) // an empty frame
	big := bytes.Repeat([]byte{7}, 300<<10)
	b, start = BeginFrame(stream)
	stream = EndFrame(append(b, big...), start)

	for _, oneByte := range []bool{false, true} {
		var r io.Reader = bytes.NewReader(stream)
		if oneByte {
			r = iotest.OneByteReader(r)
		}
		fr := NewFrameReader(r, 0)
		if fr.Max() != DefaultMaxFrame {
			t.Fatalf("default max %d", fr.Max())
		}
		p, err := fr.Next()
		var h RequestHeader
		var req GetDataRequest
		d := NewDecoder(p)
		if err != nil || h.Decode(d) != nil || req.Decode(d) != nil || h.Xid != 1 || req.Path != "/a" {
			t.Fatalf("frame 1: %x %v", p, err)
		}
		if p, err = fr.Next(); err != nil || !bytes.Equal(p, goldenPing[4:]) {
			t.Fatalf("frame 2: %x %v", p, err)
		}
		if p, err = fr.Next(); err != nil || len(p) != 0 {
			t.Fatalf("frame 3: %x %v", p, err)
		}
		if p, err = fr.Next(); err != nil || !bytes.Equal(p, big) {
			t.Fatalf("frame 4: len %d %v", len(p), err)
		}
		if cap(fr.buf) > 2*len(big) {
			t.Fatalf("buffer cap %d for a %d-byte frame", cap(fr.buf), len(big))
		}
		if _, err = fr.Next(); err != io.EOF {
			t.Fatalf("end: %v", err)
		}
	}
}

func TestFrameReaderTooLarge(t *testing.T) {
	cases := [][]byte{
		{0x00, 0x10, 0x00, 0x00}, // 1 MiB: one over the default limit
		{0xFF, 0xFF, 0xFF, 0xFF}, // -1
		{0x80, 0x00, 0x00, 0x00}, // MinInt32
	}
	for _, c := range cases {
		_, err := NewFrameReader(bytes.NewReader(c), 0).Next()
		if !errors.Is(err, ErrFrameTooLarge) || !errors.Is(err, ErrMalformed) {
			t.Errorf("length %x: %v", c, err)
		}
	}
	// Exactly the limit is fine.
	frame := append([]byte{0, 0, 0, 16}, make([]byte, 16)...)
	if p, err := NewFrameReader(bytes.NewReader(frame), 16).Next(); err != nil || len(p) != 16 {
		t.Fatalf("frame at limit: %d %v", len(p), err)
	}
	if _, err := NewFrameReader(bytes.NewReader(frame), 15).Next(); !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("frame over limit: %v", err)
	}
}

func TestFrameReaderTruncated(t *testing.T) {
	for n := 1; n < len(goldenPing); n++ {
		_, err := NewFrameReader(bytes.NewReader(goldenPing[:n]), 0).Next()
		if err != io.ErrUnexpectedEOF {
			t.Errorf("prefix %d: %v", n, err)
		}
	}
	if _, err := NewFrameReader(bytes.NewReader(nil), 0).Next(); err != io.EOF {
		t.Errorf("empty stream: %v", err)
	}
	boom := errors.New("boom")
	r := io.MultiReader(bytes.NewReader(goldenPing[:6]), iotest.ErrReader(boom))
	if _, err := NewFrameReader(r, 0).Next(); err != boom {
		t.Errorf("reader error: %v", err)
	}
}

// maxReadRecorder records the largest buffer handed to Read.
type maxReadRecorder struct {
	r   io.Reader
	max int
}

func (m *maxReadRecorder) Read(p []byte) (int, error) {
	m.max = max(m.max, len(p))
	return m.r.Read(p)
}

// TestFrameReaderGrowsWithArrival checks that a peer announcing a frame of
// almost 1 MiB and sending 10 bytes costs a small buffer, and that reads
// are made in chunks of at most 64 KiB.
func TestFrameReaderGrowsWithArrival(t *testing.T) {
	claim := []byte{0x00, 0x0F, 0xFF, 0xFF} // DefaultMaxFrame
	r := &maxReadRecorder{r: bytes.NewReader(append(claim, make([]byte, 10)...))}
	fr := NewFrameReader(r, 0)
	var err error
	allocated := testing.AllocsPerRun(10, func() {
		r.r = bytes.NewReader(append(claim, make([]byte, 10)...))
		fr.buf = nil
		_, err = fr.Next()
	})
	if err != io.ErrUnexpectedEOF {
		t.Fatalf("err %v", err)
	}
	if cap(fr.buf) > 4<<10 {
		t.Fatalf("buffer grew to %d bytes for 10 bytes received", cap(fr.buf))
	}
	if allocated > 4 {
		t.Fatalf("%v allocations", allocated)
	}

	full := append(append([]byte(nil), claim...), bytes.Repeat([]byte{1}, DefaultMaxFrame)...)
	r = &maxReadRecorder{r: bytes.NewReader(full)}
	fr = NewFrameReader(r, 0)
	p, err := fr.Next()
	if err != nil || len(p) != DefaultMaxFrame {
		t.Fatalf("full frame: %d %v", len(p), err)
	}
	if r.max > 64<<10 {
		t.Fatalf("read of %d bytes at once", r.max)
	}
	// Reusing the buffer: a second frame of the same size allocates nothing.
	r.r = bytes.NewReader(full)
	if n := testing.AllocsPerRun(5, func() {
		r.r = bytes.NewReader(full)
		_, err = fr.Next()
	}); n > 1 || err != nil {
		t.Fatalf("second frame: %v allocs, %v", n, err)
	}
}
