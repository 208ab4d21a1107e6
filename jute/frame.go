package jute

import (
	"encoding/binary"
	"fmt"
	"io"
)

// DefaultMaxFrame is the largest frame payload accepted by default: the
// jute.maxbuffer default of both Java client and server.
const DefaultMaxFrame = 1<<20 - 1

// frameChunk bounds a single read into a frame buffer.
const frameChunk = 64 << 10

// BeginFrame reserves four length bytes at the end of b. It returns the
// extended slice and the offset of the length bytes, to pass to EndFrame
// once the payload has been appended.
func BeginFrame(b []byte) (out []byte, start int) {
	start = len(b)
	return append(b, 0, 0, 0, 0), start
}

// EndFrame back-fills the length reserved by BeginFrame at start with the
// number of bytes appended after it, big-endian.
func EndFrame(b []byte, start int) []byte {
	binary.BigEndian.PutUint32(b[start:], uint32(len(b)-start-4))
	return b
}

// AppendRequest appends a whole request frame: the length, a RequestHeader
// {xid, op} and body, which may be nil for ops without a body (ping,
// closeSession, whoAmI).
func AppendRequest(b []byte, xid int32, op OpCode, body Record) []byte {
	b, start := BeginFrame(b)
	h := RequestHeader{Xid: xid, Type: op}
	b = h.Append(b)
	if body != nil {
		b = body.Append(b)
	}
	return EndFrame(b, start)
}

// FrameLength returns the payload length of a frame built with BeginFrame
// at start; callers use it to refuse requests over a limit before sending.
func FrameLength(b []byte, start int) int {
	return len(b) - start - 4
}

// FrameReader reads length-prefixed frames from a stream. It is not safe for
// concurrent use; one goroutine (a connection's reader) owns it.
type FrameReader struct {
	r   io.Reader
	max int
	hdr [4]byte
	buf []byte // payload of the last frame; grows as bytes arrive
}

// NewFrameReader returns a FrameReader over r that refuses frames longer
// than max bytes; max <= 0 means DefaultMaxFrame.
func NewFrameReader(r io.Reader, max int) *FrameReader {
	if max <= 0 {
		max = DefaultMaxFrame
	}
	return &FrameReader{r: r, max: max}
}

// Max returns the frame limit.
func (fr *FrameReader) Max() int { return fr.max }

// Next reads the next frame and returns its payload, which stays valid until
// the next call. A clean end of stream between frames is io.EOF; one inside a
// frame is io.ErrUnexpectedEOF. A length that is negative or above the limit
// gives an error wrapping both ErrFrameTooLarge and ErrMalformed; the stream
// is then unusable.
//
// The buffer grows only as payload bytes actually arrive, a chunk at a
// time, so a peer that announces a large frame and sends little costs
// little memory.
func (fr *FrameReader) Next() ([]byte, error) {
	if _, err := io.ReadFull(fr.r, fr.hdr[:]); err != nil {
		return nil, err
	}
	n := int64(int32(binary.BigEndian.Uint32(fr.hdr[:])))
	if n < 0 || n > int64(fr.max) {
		return nil, fmt.Errorf("%w: %w: length %d, limit %d", ErrFrameTooLarge, ErrMalformed, n, fr.max)
	}
	size := int(n)
	buf := fr.buf[:0]
	for len(buf) < size {
		if len(buf) == cap(buf) {
			buf = growFrame(buf, size)
		}
		end := min(cap(buf), size, len(buf)+frameChunk)
		m, err := fr.r.Read(buf[len(buf):end])
		buf = buf[:len(buf)+m]
		if err != nil && len(buf) < size {
			fr.buf = buf[:0]
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
	}
	fr.buf = buf
	return buf, nil
}

// growFrame returns buf with more capacity: twice what has arrived (at
// least 4 KiB), never beyond size. Memory thus stays within twice the bytes
// the peer really sent, and a frame costs O(size) copying in total.
func growFrame(buf []byte, size int) []byte {
	c := min(max(2*len(buf), 4<<10), size)
	nb := make([]byte, len(buf), c)
	copy(nb, buf)
	return nb
}
