package jute

import "strconv"

// CreateMode is the flags field of a create request (zk-protocol.md §8).
type CreateMode int32

// Create modes; the comments give the Java names String returns.
const (
	ModePersistent              CreateMode = 0 // PERSISTENT
	ModeEphemeral               CreateMode = 1 // EPHEMERAL
	ModePersistentSequential    CreateMode = 2 // PERSISTENT_SEQUENTIAL
	ModeEphemeralSequential     CreateMode = 3 // EPHEMERAL_SEQUENTIAL
	ModeContainer               CreateMode = 4 // CONTAINER
	ModePersistentTTL           CreateMode = 5 // PERSISTENT_WITH_TTL
	ModePersistentSequentialTTL CreateMode = 6 // PERSISTENT_SEQUENTIAL_WITH_TTL
)

// String returns the Java name, e.g. "EPHEMERAL_SEQUENTIAL", or
// "CreateMode(N)".
func (m CreateMode) String() string {
	switch m {
	case ModePersistent:
		return "PERSISTENT"
	case ModeEphemeral:
		return "EPHEMERAL"
	case ModePersistentSequential:
		return "PERSISTENT_SEQUENTIAL"
	case ModeEphemeralSequential:
		return "EPHEMERAL_SEQUENTIAL"
	case ModeContainer:
		return "CONTAINER"
	case ModePersistentTTL:
		return "PERSISTENT_WITH_TTL"
	case ModePersistentSequentialTTL:
		return "PERSISTENT_SEQUENTIAL_WITH_TTL"
	}
	return "CreateMode(" + strconv.Itoa(int(m)) + ")"
}

// Valid reports whether m is one of the seven modes a server accepts.
func (m CreateMode) Valid() bool {
	return m >= ModePersistent && m <= ModePersistentSequentialTTL
}

// IsEphemeral reports whether nodes of this mode die with their session.
func (m CreateMode) IsEphemeral() bool {
	return m == ModeEphemeral || m == ModeEphemeralSequential
}

// IsSequential reports whether the server appends a sequence suffix.
func (m CreateMode) IsSequential() bool {
	return m == ModePersistentSequential || m == ModeEphemeralSequential ||
		m == ModePersistentSequentialTTL
}

// IsTTL reports whether the mode carries a time to live (createTTL).
func (m CreateMode) IsTTL() bool {
	return m == ModePersistentTTL || m == ModePersistentSequentialTTL
}

// IsContainer reports whether m is the container mode (createContainer).
func (m CreateMode) IsContainer() bool {
	return m == ModeContainer
}

// OpCode returns the opcode Java uses to create a node of this mode when
// the caller wants the Stat back: createContainer for containers, createTTL
// for TTL modes, and create2 otherwise.
func (m CreateMode) OpCode() OpCode {
	switch {
	case m.IsContainer():
		return OpCreateContainer
	case m.IsTTL():
		return OpCreateTTL
	}
	return OpCreate2
}

// ACL permission bits (ZooDefs.Perms).
const (
	PermRead   int32 = 1
	PermWrite  int32 = 2
	PermCreate int32 = 4
	PermDelete int32 = 8
	PermAdmin  int32 = 16
	PermAll    int32 = 31
)

// WorldACL gives everyone every permission (Java's OPEN_ACL_UNSAFE).
// Treat it as read-only.
var WorldACL = []ACL{{Perms: PermAll, ID: ID{Scheme: "world", ID: "anyone"}}}
