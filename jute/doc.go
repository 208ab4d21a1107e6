// Package jute encodes and decodes the ZooKeeper client wire protocol: the
// jute "binary archive" primitives, every record a ZooKeeper 3.8 client and
// server exchange, multi bodies, and length-prefixed frames.
//
// The code is written by hand and uses no reflection. Encoding appends to a
// caller-supplied buffer and allocates nothing when the buffer has room.
// Decoding reads from a [Decoder] that checks every length and count taken
// from the wire against the bytes that remain before it allocates anything.
//
// Every decoding failure is either [ErrShortBuffer] (the input ended early) or
// an error wrapping [ErrMalformed] (a value no correct peer sends). The package
// starts no goroutines and performs no I/O except in [FrameReader].
package jute
