// Package zkclient is a ZooKeeper 3.8 client: one session, many requests in
// flight on one connection, a context on every call, typed errors, watches
// that survive reconnects, and explicit session expiry.
//
// # Ownership
//
// A Client runs one session goroutine (session.go) that owns the session
// state: which connection is current, the session id and password, the
// negotiated timeout, reconnects and expiry. Each connection has one reader
// and one writer goroutine (conn.go); the reader alone matches replies to
// requests, strictly in the order the requests were written, and alone
// updates lastZxid and the watch registry, so both follow wire order. Events
// leave through one unbounded queue (events.go) in the order they arrived.
//
// # Guarantees
//
//   - Replies are matched in FIFO order; a reply whose xid is not the oldest
//     outstanding request drops the connection.
//   - A request in flight when the connection drops fails with
//     ErrConnectionLoss: it may or may not have been applied. A request made
//     while disconnected waits (within its context) for the next connection.
//     Nothing is retried by the client.
//   - Cancelling a call's context returns at once; the request, if already
//     written, still completes on the wire and its reply is discarded.
//   - Watch events and state changes are delivered on Events in wire order,
//     never dropped; an event is queued before any later reply is handed to
//     its caller.
//   - After a reconnect, authentication and watches are sent again before any
//     user request.
//   - Session expiry is terminal: the server reported it, or no server
//     answered for 4/3 of the session timeout. Every call then fails with
//     ErrSessionExpired and Events ends with a StateExpired event; make a new
//     Client for a new session.
package zkclient
