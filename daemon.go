package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	stdlog "log"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/zkfs/zkfs/cache"
	zkfs "github.com/zkfs/zkfs/fs"
	"github.com/zkfs/zkfs/jute"
	"github.com/zkfs/zkfs/zkclient"
)

// serve connects, mounts, reports readiness, and serves until SIGINT/SIGTERM
// or an outside umount; then it unmounts and closes the session.
func serve(cfg *config, stderr io.Writer, rd *readiness) error {
	logw, closeLog, err := logOutput(cfg, stderr, rd.detached())
	if err != nil {
		return err
	}
	defer closeLog()
	log := newLogger(cfg, logw)
	// go-fuse writes its --debug trace (one line per FUSE request)
	// through the standard logger: route it into ours.
	stdlog.SetFlags(0)
	stdlog.SetOutput(debugWriter{log})
	mp, err := checkMountpoint(cfg.mountpoint)
	if err != nil {
		return err
	}
	zcfg, err := clientConfig(cfg, log)
	if err != nil {
		return err
	}
	var m *metrics
	if cfg.metricsAddr != "" {
		l, err := net.Listen("tcp", cfg.metricsAddr)
		if err != nil {
			return fmt.Errorf("--metrics-addr: %s", oneLine(err))
		}
		m = newMetrics()
		stop := m.serve(l, log)
		defer stop()
		log.Info("serving metrics", "addr", "http://"+l.Addr().String()+"/metrics")
	}
	zcfg.OnReply = replyHook(log, m)

	// Signals: owned by this function. During connect, a signal cancels
	// the connect; after the mount, it unmounts.
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)

	ctx, cancel := context.WithTimeout(context.Background(), cfg.connectTimeout)
	connectDone := make(chan struct{})
	go func() {
		select {
		case <-sigs:
			cancel()
		case <-connectDone:
		}
	}()
	start := time.Now()
	c, err := cache.Open(ctx, cache.Options{Client: zcfg, Logger: log, MaxEntries: cfg.cacheEntries})
	close(connectDone)
	timedOut := errors.Is(ctx.Err(), context.DeadlineExceeded)
	cancel()
	switch {
	case err == nil:
	case errors.Is(err, zkclient.ErrAuthFailed):
		return fmt.Errorf("authentication failed at %s: %s", cfg.servers, oneLine(err))
	case timedOut:
		reason := ""
		if _, last, ok := strings.Cut(oneLine(err), "; last attempt: "); ok {
			reason = " (last attempt: " + last + ")"
		}
		return fmt.Errorf("no ZooKeeper server at %s answered within %s%s", cfg.servers, cfg.connectTimeout, reason)
	default:
		return fmt.Errorf("no ZooKeeper server at %s answered (gave up after %s): %s",
			cfg.servers, time.Since(start).Round(time.Millisecond), oneLine(err))
	}
	defer c.Close()
	if m != nil {
		m.cache.Store(c)
	}

	srv, err := zkfs.Mount(mp, c, zkfs.Options{
		DataName:     cfg.dataName,
		ReadOnly:     cfg.readOnly,
		EntryTimeout: orNoCache(cfg.entryTimeout),
		AttrTimeout:  orNoCache(cfg.attrTimeout),
		AllowOther:   cfg.allowOther,
		Identities:   digestIdentities(zcfg.Auth),
		FsName:       "zkfs:" + cfg.servers,
		Debug:        cfg.debug,
		NoInotify:    cfg.noInotify,
		ACLPoll:      orNoCache(cfg.aclPoll),
		MaxInodes:    cfg.maxInodes,
		Logger:       log,
	})
	if err != nil {
		return fmt.Errorf("cannot mount on %s: %s", mp, oneLine(err))
	}
	zkfs.SpareProcessors()
	log.Info("mounted", "mountpoint", mp, "servers", cfg.servers, "readOnly", cfg.readOnly, "pid", os.Getpid())
	rd.ready("mounted " + cfg.servers + " on " + mp)
	if rd.detached() {
		os.Chdir("/") // keep no directory busy; every path was used by now
	}

	stopped := make(chan struct{})
	go func() { srv.Wait(); close(stopped) }()
	// gaveUp is closed when an unmount asked for by a signal did not end
	// serving in time (files still open after a lazy unmount).
	gaveUp := make(chan struct{})
	go func() {
		select {
		case s := <-sigs:
			log.Info("unmounting", "signal", s.String(), "mountpoint", mp)
			sdNotify("STOPPING=1")
			if err := srv.Unmount(); err != nil {
				log.Error("unmount failed", "mountpoint", mp, "err", err)
			}
			select {
			case <-stopped:
			case <-time.After(2 * time.Second):
				close(gaveUp)
			}
		case <-stopped:
		}
	}()
	select {
	case <-stopped:
		sdNotify("STOPPING=1")
		log.Info("unmounted", "mountpoint", mp)
	case <-gaveUp:
		log.Warn("exiting with the mount still in use; it was detached", "mountpoint", mp)
	}
	return nil
}

// orNoCache maps a zero flag value (no caching, no polling wanted) to the fs
// package's "negative means none".
func orNoCache(d time.Duration) time.Duration {
	if d <= 0 {
		return -1
	}
	return d
}

func newLogger(cfg *config, w io.Writer) *slog.Logger {
	lvl := slog.LevelInfo
	if cfg.debug {
		lvl = slog.LevelDebug
	}
	o := &slog.HandlerOptions{Level: lvl}
	if cfg.logFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, o))
	}
	return slog.New(slog.NewTextHandler(w, o))
}

// debugWriter turns lines written to the standard logger into debug
// records.
type debugWriter struct{ log *slog.Logger }

func (w debugWriter) Write(p []byte) (int, error) {
	w.log.Debug(strings.TrimRight(string(p), "\n"), "src", "fuse")
	return len(p), nil
}

// replyHook returns the zkclient reply hook: metrics, and with --debug one
// log line per ZooKeeper reply.
func replyHook(log *slog.Logger, m *metrics) func(jute.OpCode, jute.ErrCode, time.Duration) {
	debug := log.Enabled(context.Background(), slog.LevelDebug)
	if m == nil && !debug {
		return nil
	}
	return func(op jute.OpCode, code jute.ErrCode, d time.Duration) {
		if m != nil {
			m.observe(op, code, d)
		}
		if debug {
			log.Debug("zookeeper reply", "op", op.String(), "result", code.String(), "latency", d)
		}
	}
}

// oneLine flattens an error message to one line.
func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

// checkMountpoint returns the absolute mount point, or why it cannot be
// used: missing, not a directory, a dead FUSE mount, or already mounted.
func checkMountpoint(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", fmt.Errorf("mount point %s: %v", p, err)
	}
	st, err := os.Stat(abs)
	switch {
	case errors.Is(err, syscall.ENOTCONN):
		return "", fmt.Errorf("mount point %s is busy: a dead FUSE mount is still there (run umount -l %s)", abs, abs)
	case errors.Is(err, os.ErrNotExist):
		return "", fmt.Errorf("mount point %s does not exist", abs)
	case err != nil:
		return "", fmt.Errorf("mount point %s: %v", abs, errors.Unwrap(err))
	case !st.IsDir():
		return "", fmt.Errorf("mount point %s is not a directory", abs)
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	if mounted, err := isMountpoint(abs); err == nil && mounted {
		return "", fmt.Errorf("mount point %s is busy: something is already mounted there", abs)
	}
	return abs, nil
}

// isMountpoint reports whether p is listed in /proc/self/mountinfo.
func isMountpoint(p string) (bool, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return false, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) > 4 && unescapeMount(fields[4]) == p {
			return true, nil
		}
	}
	return false, sc.Err()
}

// unescapeMount undoes the octal escapes (\040 ...) of /proc/self/mountinfo.
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			v := 0
			ok := true
			for _, c := range s[i+1 : i+4] {
				if c < '0' || c > '7' {
					ok = false
					break
				}
				v = v*8 + int(c-'0')
			}
			if ok {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// clientConfig builds the ZooKeeper client configuration from the flags.
func clientConfig(cfg *config, log *slog.Logger) (zkclient.Config, error) {
	zc := zkclient.Config{
		Servers:        cfg.servers,
		SessionTimeout: cfg.sessionTimeout,
		Logger:         log,
	}
	if cfg.authFile != "" {
		auth, err := readAuthFile(cfg.authFile)
		if err != nil {
			return zc, err
		}
		zc.Auth = auth
	}
	if cfg.tlsCA != "" || cfg.tlsCert != "" || cfg.tlsServerName != "" {
		t := &tls.Config{ServerName: cfg.tlsServerName, MinVersion: tls.VersionTLS12}
		if cfg.tlsCA != "" {
			pem, err := os.ReadFile(cfg.tlsCA)
			if err != nil {
				return zc, fmt.Errorf("--tls-ca: %v", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return zc, fmt.Errorf("--tls-ca: no PEM certificate in %s", cfg.tlsCA)
			}
			t.RootCAs = pool
		}
		if cfg.tlsCert != "" {
			cert, err := tls.LoadX509KeyPair(cfg.tlsCert, cfg.tlsKey)
			if err != nil {
				return zc, fmt.Errorf("--tls-cert/--tls-key: %s", oneLine(err))
			}
			t.Certificates = []tls.Certificate{cert}
		}
		zc.TLS = t
	}
	return zc, nil
}

// readAuthFile reads `scheme:credentials` lines (blank lines and lines
// starting with # are skipped).
func readAuthFile(name string) ([]zkclient.Auth, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("--auth-file: %v", err)
	}
	var auth []zkclient.Auth
	for i, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		scheme, cred, ok := strings.Cut(line, ":")
		if !ok || scheme == "" {
			return nil, fmt.Errorf("--auth-file %s line %d: want scheme:credentials", name, i+1)
		}
		auth = append(auth, zkclient.Auth{Scheme: scheme, Auth: []byte(cred)})
	}
	return auth, nil
}

// digestIdentities returns the digest ACL ids of the mount's digest credentials.
func digestIdentities(auth []zkclient.Auth) []jute.ID {
	var ids []jute.ID
	for _, a := range auth {
		if a.Scheme == "digest" {
			ids = append(ids, jute.ID{Scheme: "digest", ID: zkfs.DigestID(string(a.Auth))})
		}
	}
	return ids
}
