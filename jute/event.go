package jute

import "strconv"

// EventType is the type field of a WatcherEvent (zk-protocol.md §10.1).
type EventType int32

// Event types; the comments give the Java names String returns.
const (
	EventNone                   EventType = -1 // None
	EventNodeCreated            EventType = 1  // NodeCreated
	EventNodeDeleted            EventType = 2  // NodeDeleted
	EventNodeDataChanged        EventType = 3  // NodeDataChanged
	EventNodeChildrenChanged    EventType = 4  // NodeChildrenChanged
	EventDataWatchRemoved       EventType = 5  // DataWatchRemoved
	EventChildWatchRemoved      EventType = 6  // ChildWatchRemoved
	EventPersistentWatchRemoved EventType = 7  // PersistentWatchRemoved
)

// String returns the Java name, e.g. "NodeCreated", or "EventType(N)".
func (t EventType) String() string {
	switch t {
	case EventNone:
		return "None"
	case EventNodeCreated:
		return "NodeCreated"
	case EventNodeDeleted:
		return "NodeDeleted"
	case EventNodeDataChanged:
		return "NodeDataChanged"
	case EventNodeChildrenChanged:
		return "NodeChildrenChanged"
	case EventDataWatchRemoved:
		return "DataWatchRemoved"
	case EventChildWatchRemoved:
		return "ChildWatchRemoved"
	case EventPersistentWatchRemoved:
		return "PersistentWatchRemoved"
	}
	return "EventType(" + strconv.Itoa(int(t)) + ")"
}

// KeeperState is the state field of a WatcherEvent and the state of a
// session (zk-protocol.md §10.2).
type KeeperState int32

// Keeper states; the comments give the Java names String returns.
const (
	StateUnknown           KeeperState = -1   // Unknown
	StateDisconnected      KeeperState = 0    // Disconnected
	StateNoSyncConnected   KeeperState = 1    // NoSyncConnected
	StateSyncConnected     KeeperState = 3    // SyncConnected
	StateAuthFailed        KeeperState = 4    // AuthFailed
	StateConnectedReadOnly KeeperState = 5    // ConnectedReadOnly
	StateSaslAuthenticated KeeperState = 6    // SaslAuthenticated
	StateExpired           KeeperState = -112 // Expired
	StateClosed            KeeperState = 7    // Closed
)

// String returns the Java name, e.g. "SyncConnected", or "KeeperState(N)".
func (s KeeperState) String() string {
	switch s {
	case StateUnknown:
		return "Unknown"
	case StateDisconnected:
		return "Disconnected"
	case StateNoSyncConnected:
		return "NoSyncConnected"
	case StateSyncConnected:
		return "SyncConnected"
	case StateAuthFailed:
		return "AuthFailed"
	case StateConnectedReadOnly:
		return "ConnectedReadOnly"
	case StateSaslAuthenticated:
		return "SaslAuthenticated"
	case StateExpired:
		return "Expired"
	case StateClosed:
		return "Closed"
	}
	return "KeeperState(" + strconv.Itoa(int(s)) + ")"
}

// WatcherType selects watches in checkWatches and removeWatches
// (zk-protocol.md §10.3).
type WatcherType int32

// Watcher types.
const (
	WatcherChildren WatcherType = 1 // Children
	WatcherData     WatcherType = 2 // Data (data and exist watches)
	WatcherAny      WatcherType = 3 // Any
)

// String returns the Java name, e.g. "Children", or "WatcherType(N)".
func (w WatcherType) String() string {
	switch w {
	case WatcherChildren:
		return "Children"
	case WatcherData:
		return "Data"
	case WatcherAny:
		return "Any"
	}
	return "WatcherType(" + strconv.Itoa(int(w)) + ")"
}

// AddWatchMode is the mode of an addWatch request (zk-protocol.md §10.4).
type AddWatchMode int32

// AddWatch modes.
const (
	AddWatchPersistent          AddWatchMode = 0 // PERSISTENT
	AddWatchPersistentRecursive AddWatchMode = 1 // PERSISTENT_RECURSIVE
)

// String returns the Java name, e.g. "PERSISTENT_RECURSIVE", or
// "AddWatchMode(N)".
func (m AddWatchMode) String() string {
	switch m {
	case AddWatchPersistent:
		return "PERSISTENT"
	case AddWatchPersistentRecursive:
		return "PERSISTENT_RECURSIVE"
	}
	return "AddWatchMode(" + strconv.Itoa(int(m)) + ")"
}
