package jute

import (
	"encoding/binary"
	"errors"
	"fmt"
	"unicode/utf8"
)

// Errors returned by this package. Decoding failures are ErrShortBuffer
// itself or wrap ErrMalformed; compare with errors.Is.
var (
	// ErrShortBuffer means the input ended before the value was complete.
	ErrShortBuffer = errors.New("jute: need more bytes")
	// ErrMalformed means the input holds a value no correct peer sends,
	// such as a negative length other than -1 or invalid UTF-8.
	ErrMalformed = errors.New("jute: malformed input")
	// ErrFrameTooLarge means a frame length is negative or above the limit.
	ErrFrameTooLarge = errors.New("jute: frame too large")
	// ErrInvalidPath means a znode path breaks ZooKeeper's path rules.
	ErrInvalidPath = errors.New("jute: invalid path")
)

// MaxFieldLength bounds the encoded size of any single length-prefixed value
// (buffer, ustring, vector) a Decoder accepts. A length or count whose minimal
// encoding exceeds it is ErrMalformed rather than ErrShortBuffer, in the
// spirit of Java's "Unreasonable length" check. It is far above any frame a
// ZooKeeper server accepts.
const MaxFieldLength = 1 << 28

// AppendInt32 appends v as a big-endian int32.
func AppendInt32(b []byte, v int32) []byte {
	return binary.BigEndian.AppendUint32(b, uint32(v))
}

// AppendInt64 appends v as a big-endian int64.
func AppendInt64(b []byte, v int64) []byte {
	return binary.BigEndian.AppendUint64(b, uint64(v))
}

// AppendBool appends v as one byte, 1 or 0.
func AppendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

// AppendBuffer appends a jute buffer: an int32 length and the bytes. A nil
// slice is written as length -1 (null); a non-nil empty slice as length 0.
func AppendBuffer(b []byte, v []byte) []byte {
	if v == nil {
		return AppendInt32(b, -1)
	}
	b = AppendInt32(b, int32(len(v)))
	return append(b, v...)
}

// AppendString appends a jute ustring: an int32 byte length and the UTF-8
// bytes. It never writes the null string; the caller validates UTF-8.
func AppendString(b []byte, s string) []byte {
	b = AppendInt32(b, int32(len(s)))
	return append(b, s...)
}

// AppendStrings appends a jute vector<ustring>. A nil slice is written as
// count -1 (null); a non-nil empty slice as count 0.
func AppendStrings(b []byte, v []string) []byte {
	if v == nil {
		return AppendInt32(b, -1)
	}
	b = AppendInt32(b, int32(len(v)))
	for _, s := range v {
		b = AppendString(b, s)
	}
	return b
}

// A Decoder reads jute primitives from a byte slice.
//
// Errors are sticky: once a read fails, every later read returns the same
// error until Reset. Values that [Decoder.Buffer], [Decoder.String] and
// [Decoder.Strings] return are copies; the input may be reused afterwards.
type Decoder struct {
	buf []byte
	off int
	err error
}

// NewDecoder returns a Decoder reading b.
func NewDecoder(b []byte) *Decoder {
	return &Decoder{buf: b}
}

// Reset makes d read b from its start and clears any error.
func (d *Decoder) Reset(b []byte) {
	d.buf, d.off, d.err = b, 0, nil
}

// Remaining returns the number of unread bytes.
func (d *Decoder) Remaining() int {
	return len(d.buf) - d.off
}

// Offset returns the number of bytes consumed so far.
func (d *Decoder) Offset() int {
	return d.off
}

// Err returns the first error a read met, or nil.
func (d *Decoder) Err() error {
	return d.err
}

// Int32 reads a big-endian int32.
func (d *Decoder) Int32() (int32, error) {
	v := d.int32()
	return v, d.err
}

// Int64 reads a big-endian int64.
func (d *Decoder) Int64() (int64, error) {
	v := d.int64()
	return v, d.err
}

// Bool reads one byte; any non-zero value is true, as in Java's reader.
func (d *Decoder) Bool() (bool, error) {
	v := d.bool()
	return v, d.err
}

// Buffer reads a jute buffer. Length -1 gives nil; length 0 gives a non-nil
// empty slice. Otherwise the result is a fresh copy. The length is checked
// against Remaining before anything is allocated.
func (d *Decoder) Buffer() ([]byte, error) {
	v := d.buffer()
	return v, d.err
}

// String reads a jute ustring. Length -1 (null) gives "". Invalid UTF-8 is
// ErrMalformed.
func (d *Decoder) String() (string, error) {
	v := d.string()
	return v, d.err
}

// Strings reads a jute vector<ustring>. Count -1 gives nil; count 0 gives a
// non-nil empty slice. The count is checked against Remaining()/4 before the
// slice is allocated.
func (d *Decoder) Strings() ([]string, error) {
	v := d.strings()
	return v, d.err
}

// failShort records ErrShortBuffer unless an error is already recorded.
func (d *Decoder) failShort() {
	if d.err == nil {
		d.err = ErrShortBuffer
	}
}

// failMalformed records an error wrapping ErrMalformed, with the offset of
// the offending value.
func (d *Decoder) failMalformed(off int, format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s at offset %d", ErrMalformed, fmt.Sprintf(format, args...), off)
	}
}

func (d *Decoder) int32() int32 {
	if d.err != nil {
		return 0
	}
	if d.Remaining() < 4 {
		d.failShort()
		return 0
	}
	v := int32(binary.BigEndian.Uint32(d.buf[d.off:]))
	d.off += 4
	return v
}

func (d *Decoder) int64() int64 {
	if d.err != nil {
		return 0
	}
	if d.Remaining() < 8 {
		d.failShort()
		return 0
	}
	v := int64(binary.BigEndian.Uint64(d.buf[d.off:]))
	d.off += 8
	return v
}

func (d *Decoder) bool() bool {
	if d.err != nil {
		return false
	}
	if d.Remaining() < 1 {
		d.failShort()
		return false
	}
	v := d.buf[d.off] != 0
	d.off++
	return v
}

// length reads an int32 length or count for elements that each take at
// least minElem bytes. It returns -1 for null. A negative value other than
// -1, or one whose minimal encoding exceeds MaxFieldLength, is malformed; one
// needing more bytes than remain is ErrShortBuffer. On error it returns -1.
func (d *Decoder) length(what string, minElem int) int {
	start := d.off
	n := d.int32()
	if d.err != nil {
		return -1
	}
	if n == -1 {
		return -1
	}
	if n < 0 {
		d.failMalformed(start, "negative %s %d", what, n)
		return -1
	}
	need := int64(n) * int64(minElem)
	if need > MaxFieldLength {
		d.failMalformed(start, "unreasonable %s %d", what, n)
		return -1
	}
	if need > int64(d.Remaining()) {
		d.failShort()
		return -1
	}
	return int(n)
}

// bytes returns the next n raw bytes without copying; n was checked.
func (d *Decoder) bytes(n int) []byte {
	b := d.buf[d.off : d.off+n : d.off+n]
	d.off += n
	return b
}

func (d *Decoder) buffer() []byte {
	n := d.length("buffer length", 1)
	if n < 0 {
		return nil
	}
	v := make([]byte, n)
	copy(v, d.bytes(n))
	return v
}

func (d *Decoder) string() string {
	start := d.off
	n := d.length("string length", 1)
	if n < 0 {
		return ""
	}
	raw := d.bytes(n)
	if !utf8.Valid(raw) {
		d.failMalformed(start, "invalid UTF-8 in string")
		return ""
	}
	return string(raw)
}

func (d *Decoder) strings() []string {
	n := d.length("string count", 4)
	if n < 0 {
		return nil
	}
	v := make([]string, n)
	for i := range v {
		v[i] = d.string()
		if d.err != nil {
			return nil
		}
	}
	return v
}

// Record is implemented by every jute record in this package.
type Record interface {
	// Append encodes the record onto b and returns the extended slice.
	Append(b []byte) []byte
	// Decode reads the record's fields from d. Trailing bytes stay in d.
	Decode(d *Decoder) error
}

// Decode decodes r from b, ignoring any trailing bytes.
func Decode(b []byte, r Record) error {
	d := Decoder{buf: b}
	return r.Decode(&d)
}
