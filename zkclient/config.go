package zkclient

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/zkfs/zkfs/jute"
)

// Config says how to reach ZooKeeper and what session to ask for.
type Config struct {
	// Servers is a connect string: host:port[,host:port…][/chroot]. IPv6
	// hosts go in brackets; the port defaults to 2181. Names are resolved
	// again on every connection attempt.
	Servers string
	// SessionTimeout is the timeout asked of the server (default 10 s); the
	// server may negotiate it into its [2, 20] tick range.
	SessionTimeout time.Duration
	// DialTimeout bounds one connection attempt, handshake included
	// (default: the session timeout divided by the number of hosts, at
	// least 1 s).
	DialTimeout time.Duration
	// Auth is replayed (addAuth) first on every connection.
	Auth []Auth
	// TLS, when set, connects with TLS (to a secureClientPort). ServerName
	// defaults to the host being dialled.
	TLS *tls.Config
	// CanBeReadOnly lets the client accept a read-only server.
	CanBeReadOnly bool
	// MaxFrame is the largest frame sent or accepted (default
	// jute.DefaultMaxFrame, the server's jute.maxbuffer default).
	MaxFrame int
	// Dial, when set, replaces the TCP dialer (tests use it to put a fake
	// server or a fault proxy in between). addr is "host:port" after DNS.
	Dial func(ctx context.Context, addr string) (net.Conn, error)
	// Logger receives one line per session state change (default: discard).
	Logger *slog.Logger
	// OnReply, when set, is called by the connection's reader for every
	// reply to a caller's request: its opcode, the server's error code
	// (jute.ErrOK on success) and the time since the call was made. It
	// must not block.
	OnReply func(op jute.OpCode, code jute.ErrCode, latency time.Duration)
}

// Auth is one addAuth credential, for example {"digest", "user:password"}.
type Auth struct {
	Scheme string
	Auth   []byte
}

// hostPort is one server of the connect string, not yet resolved.
type hostPort struct{ host, port string }

func (h hostPort) String() string { return net.JoinHostPort(h.host, h.port) }

// parseServers splits a connect string into hosts and chroot.
func parseServers(s string) ([]hostPort, string, error) {
	hostsPart, chroot := s, ""
	if i := strings.IndexByte(s, '/'); i >= 0 {
		hostsPart, chroot = s[:i], s[i:]
		if chroot == "/" {
			chroot = ""
		} else if err := jute.ValidatePath(chroot); err != nil {
			return nil, "", fmt.Errorf("zkclient: chroot: %w", err)
		}
	}
	var hosts []hostPort
	for _, part := range strings.Split(hostsPart, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		host, port := part, "2181"
		if strings.HasPrefix(part, "[") {
			end := strings.IndexByte(part, ']')
			if end < 0 {
				return nil, "", fmt.Errorf("zkclient: server %q: missing ']'", part)
			}
			host = part[1:end]
			if rest := part[end+1:]; rest != "" {
				if !strings.HasPrefix(rest, ":") {
					return nil, "", fmt.Errorf("zkclient: server %q: junk after ']'", part)
				}
				port = rest[1:]
			}
		} else if i := strings.LastIndexByte(part, ':'); i >= 0 {
			if strings.Count(part, ":") > 1 {
				return nil, "", fmt.Errorf("zkclient: server %q: put IPv6 addresses in brackets", part)
			}
			host, port = part[:i], part[i+1:]
		}
		if n, err := strconv.Atoi(port); err != nil || n <= 0 || n > 65535 {
			return nil, "", fmt.Errorf("zkclient: server %q: bad port", part)
		}
		if host == "" {
			return nil, "", fmt.Errorf("zkclient: server %q: empty host", part)
		}
		hosts = append(hosts, hostPort{host, port})
	}
	if len(hosts) == 0 {
		return nil, "", fmt.Errorf("zkclient: connect string %q names no server", s)
	}
	return hosts, chroot, nil
}

// withDefaults fills the zero fields of cfg.
func (cfg Config) withDefaults(nhosts int) Config {
	if cfg.SessionTimeout <= 0 {
		cfg.SessionTimeout = 10 * time.Second
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = max(cfg.SessionTimeout/time.Duration(nhosts), time.Second)
	}
	if cfg.MaxFrame <= 0 {
		cfg.MaxFrame = jute.DefaultMaxFrame
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return cfg
}
