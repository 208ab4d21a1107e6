package fs

import (
	"context"
	"errors"
	"log/slog"
	"syscall"

	"github.com/zkfs/zkfs/jute"
	"github.com/zkfs/zkfs/zkclient"
)

// errnoRule maps one ZooKeeper (or local) error to the errno a user sees.
// userCaused marks errors that are the caller's own doing (a missing name,
// a name that exists, a conflicting version, ...): those are not logged.
type errnoRule struct {
	err        error
	errno      syscall.Errno
	userCaused bool
}

// errnoTable is THE table from ZooKeeper errors to errno. The first matching
// rule (errors.Is) wins. Choices that are not obvious:
//
//   - BadVersion → ESTALE: the value changed since the file was opened
//     (another client wrote it); nothing was overwritten.
//   - ConnectionLoss, OperationTimeout, RequestTimeout, ThrottledOp and an
//     expired per-request deadline → EAGAIN ("Resource temporarily
//     unavailable"): the server could not be reached in time; retrying the
//     command is the right action. They are logged.
//   - SessionExpired, Closed, AuthFailed → EIO: the session is gone; the
//     daemon starts a new one (or is shutting down). Logged.
//   - NotReadOnly (the server is in read-only mode) → EROFS.
//   - a request larger than the server accepts → EFBIG.
//   - an interrupted request (the caller got a signal) → EINTR.
//   - anything else → EIO, logged.
var errnoTable = []errnoRule{
	{zkclient.ErrNoNode, syscall.ENOENT, true},
	{zkclient.ErrNodeExists, syscall.EEXIST, true},
	{zkclient.ErrNotEmpty, syscall.ENOTEMPTY, true},
	{zkclient.ErrNoAuth, syscall.EACCES, true},
	{zkclient.ErrBadVersion, syscall.ESTALE, true},
	{zkclient.ErrNoChildrenForEphemerals, syscall.EPERM, true},
	{zkclient.ErrNotReadOnly, syscall.EROFS, true},
	{errReadOnly, syscall.EROFS, true},
	{zkclient.ErrTooLarge, syscall.EFBIG, true},
	{errTooLarge, syscall.EFBIG, true},
	{zkclient.ErrQuotaExceeded, syscall.EDQUOT, true},
	{zkclient.ErrInvalidPath, syscall.EINVAL, true},
	{jute.ErrInvalidPath, syscall.EINVAL, true},
	{zkclient.ErrBadArguments, syscall.EINVAL, true},
	{zkclient.ErrInvalidACL, syscall.EINVAL, true},
	{errBadACL, syscall.EINVAL, true},
	{zkclient.ErrUnimplemented, syscall.ENOTSUP, false},
	{zkclient.ErrConnectionLoss, syscall.EAGAIN, false},
	{zkclient.ErrOperationTimeout, syscall.EAGAIN, false},
	{zkclient.ErrRequestTimeout, syscall.EAGAIN, false},
	{zkclient.ErrThrottledOp, syscall.EAGAIN, false},
	{context.DeadlineExceeded, syscall.EAGAIN, false},
	{context.Canceled, syscall.EINTR, true},
	{zkclient.ErrSessionExpired, syscall.EIO, false},
	{zkclient.ErrClosed, syscall.EIO, false},
	{zkclient.ErrAuthFailed, syscall.EIO, false},
}

// Local errors that share the table with ZooKeeper's.
var (
	errReadOnly = errors.New("zkfs: read-only mount")
	errTooLarge = errors.New("zkfs: value larger than the server accepts")
	errBadACL   = errors.New("zkfs: malformed ACL text")
)

// lookupErrno returns the errno for err and whether the failure is the
// caller's own (not worth a log line). err == nil gives 0.
func lookupErrno(err error) (syscall.Errno, bool) {
	if err == nil {
		return 0, true
	}
	for _, r := range errnoTable {
		if errors.Is(err, r.err) {
			return r.errno, r.userCaused
		}
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno, true
	}
	return syscall.EIO, false
}

// toErrno maps err through errnoTable and logs failures that are not the
// caller's own, naming the operation and the path.
func toErrno(log *slog.Logger, op, path string, err error) syscall.Errno {
	errno, user := lookupErrno(err)
	if !user && log != nil {
		log.Warn("zookeeper request failed", "op", op, "path", path, "err", err, "errno", errno.Error())
	}
	return errno
}
