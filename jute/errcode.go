package jute

import "strconv"

// ErrCode is a KeeperException code as carried by ReplyHeader.Err,
// MultiHeader.Err and ErrorResponse.Err (zk-protocol.md §12).
type ErrCode int32

// Error codes. The comments give the Java name String returns.
const (
	ErrOK                           ErrCode = 0    // OK
	ErrSystemError                  ErrCode = -1   // SYSTEMERROR
	ErrRuntimeInconsistency         ErrCode = -2   // RUNTIMEINCONSISTENCY
	ErrDataInconsistency            ErrCode = -3   // DATAINCONSISTENCY
	ErrConnectionLoss               ErrCode = -4   // CONNECTIONLOSS
	ErrMarshallingError             ErrCode = -5   // MARSHALLINGERROR
	ErrUnimplemented                ErrCode = -6   // UNIMPLEMENTED
	ErrOperationTimeout             ErrCode = -7   // OPERATIONTIMEOUT
	ErrBadArguments                 ErrCode = -8   // BADARGUMENTS
	ErrInvalidState                 ErrCode = -9   // INVALIDSTATE (C client ZINVALIDSTATE)
	ErrUnknownSession               ErrCode = -12  // UNKNOWNSESSION
	ErrNewConfigNoQuorum            ErrCode = -13  // NEWCONFIGNOQUORUM
	ErrReconfigInProgress           ErrCode = -14  // RECONFIGINPROGRESS
	ErrSSLConnectionError           ErrCode = -15  // SSLCONNECTIONERROR (C client ZSSLCONNECTIONERROR)
	ErrAPIError                     ErrCode = -100 // APIERROR
	ErrNoNode                       ErrCode = -101 // NONODE
	ErrNoAuth                       ErrCode = -102 // NOAUTH
	ErrBadVersion                   ErrCode = -103 // BADVERSION
	ErrNoChildrenForEphemerals      ErrCode = -108 // NOCHILDRENFOREPHEMERALS
	ErrNodeExists                   ErrCode = -110 // NODEEXISTS
	ErrNotEmpty                     ErrCode = -111 // NOTEMPTY
	ErrSessionExpired               ErrCode = -112 // SESSIONEXPIRED
	ErrInvalidCallback              ErrCode = -113 // INVALIDCALLBACK
	ErrInvalidACL                   ErrCode = -114 // INVALIDACL
	ErrAuthFailed                   ErrCode = -115 // AUTHFAILED
	ErrClosing                      ErrCode = -116 // CLOSING (C client ZCLOSING)
	ErrNothing                      ErrCode = -117 // NOTHING (C client ZNOTHING)
	ErrSessionMoved                 ErrCode = -118 // SESSIONMOVED
	ErrNotReadOnly                  ErrCode = -119 // NOTREADONLY
	ErrEphemeralOnLocalSession      ErrCode = -120 // EPHEMERALONLOCALSESSION
	ErrNoWatcher                    ErrCode = -121 // NOWATCHER
	ErrRequestTimeout               ErrCode = -122 // REQUESTTIMEOUT
	ErrReconfigDisabled             ErrCode = -123 // RECONFIGDISABLED
	ErrSessionClosedRequireSASLAuth ErrCode = -124 // SESSIONCLOSEDREQUIRESASLAUTH
	ErrQuotaExceeded                ErrCode = -125 // QUOTAEXCEEDED
	ErrThrottledOp                  ErrCode = -127 // THROTTLEDOP
)

var errNames = map[ErrCode]string{
	ErrOK:                           "OK",
	ErrSystemError:                  "SYSTEMERROR",
	ErrRuntimeInconsistency:         "RUNTIMEINCONSISTENCY",
	ErrDataInconsistency:            "DATAINCONSISTENCY",
	ErrConnectionLoss:               "CONNECTIONLOSS",
	ErrMarshallingError:             "MARSHALLINGERROR",
	ErrUnimplemented:                "UNIMPLEMENTED",
	ErrOperationTimeout:             "OPERATIONTIMEOUT",
	ErrBadArguments:                 "BADARGUMENTS",
	ErrInvalidState:                 "INVALIDSTATE",
	ErrUnknownSession:               "UNKNOWNSESSION",
	ErrNewConfigNoQuorum:            "NEWCONFIGNOQUORUM",
	ErrReconfigInProgress:           "RECONFIGINPROGRESS",
	ErrSSLConnectionError:           "SSLCONNECTIONERROR",
	ErrAPIError:                     "APIERROR",
	ErrNoNode:                       "NONODE",
	ErrNoAuth:                       "NOAUTH",
	ErrBadVersion:                   "BADVERSION",
	ErrNoChildrenForEphemerals:      "NOCHILDRENFOREPHEMERALS",
	ErrNodeExists:                   "NODEEXISTS",
	ErrNotEmpty:                     "NOTEMPTY",
	ErrSessionExpired:               "SESSIONEXPIRED",
	ErrInvalidCallback:              "INVALIDCALLBACK",
	ErrInvalidACL:                   "INVALIDACL",
	ErrAuthFailed:                   "AUTHFAILED",
	ErrClosing:                      "CLOSING",
	ErrNothing:                      "NOTHING",
	ErrSessionMoved:                 "SESSIONMOVED",
	ErrNotReadOnly:                  "NOTREADONLY",
	ErrEphemeralOnLocalSession:      "EPHEMERALONLOCALSESSION",
	ErrNoWatcher:                    "NOWATCHER",
	ErrRequestTimeout:               "REQUESTTIMEOUT",
	ErrReconfigDisabled:             "RECONFIGDISABLED",
	ErrSessionClosedRequireSASLAuth: "SESSIONCLOSEDREQUIRESASLAUTH",
	ErrQuotaExceeded:                "QUOTAEXCEEDED",
	ErrThrottledOp:                  "THROTTLEDOP",
}

// String returns the Java name of the code, e.g. "NONODE", or
// "ErrCode(N)" for an unknown value.
func (c ErrCode) String() string {
	if s, ok := errNames[c]; ok {
		return s
	}
	return "ErrCode(" + strconv.Itoa(int(c)) + ")"
}

// Known reports whether c is one of the codes above.
func (c ErrCode) Known() bool {
	_, ok := errNames[c]
	return ok
}
