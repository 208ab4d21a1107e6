package zkclient

import (
	"errors"
	"fmt"

	"github.com/zkfs/zkfs/jute"
)

// CodeError is a ZooKeeper error code as an error. The package's Err*
// variables for server codes are CodeErrors; errors returned by calls wrap
// them, so test with errors.Is(err, zkclient.ErrNoNode).
type CodeError struct {
	Code jute.ErrCode
	msg  string
}

func (e *CodeError) Error() string { return e.msg }

// Is makes every CodeError with the same code match.
func (e *CodeError) Is(target error) bool {
	t, ok := target.(*CodeError)
	return ok && t.Code == e.Code
}

// Errors for the server's codes (zk-protocol.md §12).
var (
	ErrSystemError                  = codeErr(jute.ErrSystemError, "system error")
	ErrRuntimeInconsistency         = codeErr(jute.ErrRuntimeInconsistency, "runtime inconsistency")
	ErrDataInconsistency            = codeErr(jute.ErrDataInconsistency, "data inconsistency")
	ErrConnectionLoss               = codeErr(jute.ErrConnectionLoss, "connection lost (the request may or may not have been applied)")
	ErrMarshallingError             = codeErr(jute.ErrMarshallingError, "marshalling error")
	ErrUnimplemented                = codeErr(jute.ErrUnimplemented, "operation not implemented by the server")
	ErrOperationTimeout             = codeErr(jute.ErrOperationTimeout, "operation timeout")
	ErrBadArguments                 = codeErr(jute.ErrBadArguments, "bad arguments")
	ErrInvalidState                 = codeErr(jute.ErrInvalidState, "invalid state")
	ErrUnknownSession               = codeErr(jute.ErrUnknownSession, "unknown session")
	ErrNewConfigNoQuorum            = codeErr(jute.ErrNewConfigNoQuorum, "new config has no quorum")
	ErrReconfigInProgress           = codeErr(jute.ErrReconfigInProgress, "reconfig in progress")
	ErrSSLConnectionError           = codeErr(jute.ErrSSLConnectionError, "TLS connection error")
	ErrAPIError                     = codeErr(jute.ErrAPIError, "API error")
	ErrNoNode                       = codeErr(jute.ErrNoNode, "node does not exist")
	ErrNoAuth                       = codeErr(jute.ErrNoAuth, "not authorized")
	ErrBadVersion                   = codeErr(jute.ErrBadVersion, "version conflict")
	ErrNoChildrenForEphemerals      = codeErr(jute.ErrNoChildrenForEphemerals, "ephemeral nodes may not have children")
	ErrNodeExists                   = codeErr(jute.ErrNodeExists, "node already exists")
	ErrNotEmpty                     = codeErr(jute.ErrNotEmpty, "node has children")
	ErrSessionExpired               = codeErr(jute.ErrSessionExpired, "session expired")
	ErrInvalidCallback              = codeErr(jute.ErrInvalidCallback, "invalid callback")
	ErrInvalidACL                   = codeErr(jute.ErrInvalidACL, "invalid ACL")
	ErrAuthFailed                   = codeErr(jute.ErrAuthFailed, "authentication failed")
	ErrClosing                      = codeErr(jute.ErrClosing, "server is closing")
	ErrNothing                      = codeErr(jute.ErrNothing, "nothing")
	ErrSessionMoved                 = codeErr(jute.ErrSessionMoved, "session moved to another server")
	ErrNotReadOnly                  = codeErr(jute.ErrNotReadOnly, "server is read-only")
	ErrEphemeralOnLocalSession      = codeErr(jute.ErrEphemeralOnLocalSession, "ephemeral on a local session")
	ErrNoWatcher                    = codeErr(jute.ErrNoWatcher, "no such watcher")
	ErrRequestTimeout               = codeErr(jute.ErrRequestTimeout, "request timeout")
	ErrReconfigDisabled             = codeErr(jute.ErrReconfigDisabled, "reconfig disabled")
	ErrSessionClosedRequireSASLAuth = codeErr(jute.ErrSessionClosedRequireSASLAuth, "session closed: SASL authentication required")
	ErrQuotaExceeded                = codeErr(jute.ErrQuotaExceeded, "quota exceeded")
	ErrThrottledOp                  = codeErr(jute.ErrThrottledOp, "operation throttled")
)

// Errors made by the client itself.
var (
	// ErrClosed: the Client was closed.
	ErrClosed = errors.New("zkclient: client closed")
	// ErrTooLarge: the request is over the frame limit; it was not sent and
	// the session is unaffected.
	ErrTooLarge = errors.New("request larger than the frame limit")
	// ErrInvalidPath: the path breaks ZooKeeper's rules; nothing was sent.
	ErrInvalidPath = jute.ErrInvalidPath
	// ErrNoServer: Connect found no server that answered.
	ErrNoServer = errors.New("no ZooKeeper server answered")
)

var byCode = map[jute.ErrCode]*CodeError{}

func codeErr(c jute.ErrCode, msg string) *CodeError {
	e := &CodeError{Code: c, msg: msg}
	byCode[c] = e
	return e
}

// errorFor returns the error for a non-zero server code.
func errorFor(c jute.ErrCode) error {
	if e, ok := byCode[c]; ok {
		return e
	}
	return &CodeError{Code: c, msg: fmt.Sprintf("server error %d", int32(c))}
}

// Error is what calls return: the operation, the path (as the caller gave it)
// and the cause, which errors.Is/As see through.
type Error struct {
	Op   string
	Path string
	Err  error
}

func (e *Error) Error() string {
	if e.Path == "" {
		return "zkclient: " + e.Op + ": " + e.Err.Error()
	}
	return "zkclient: " + e.Op + " " + e.Path + ": " + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

func opErr(op, path string, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Op: op, Path: path, Err: err}
}
