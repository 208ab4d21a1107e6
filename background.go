package main

import (
	"bufio"
	"fmt"
	"io"
	"log/syslog"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
)

// runBackground is what `zkfs ... -o OPTIONS` (the form mount.fuse3 runs)
// and --daemon do: start zkfs again in the foreground, detached (its own
// session, standard streams on /dev/null), and wait until it reports on a
// pipe that the mount is ready (exit 0) or why it failed (exit 1). A
// SIGINT or SIGTERM while waiting stops the background process too.
func runBackground(args []string, stderr io.Writer) int {
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "zkfs: "+format+"\n", a...)
		return 1
	}
	exe, err := os.Executable()
	if err != nil {
		return fail("cannot find my own executable: %v", err)
	}
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return fail("%v", err)
	}
	defer null.Close()
	pr, pw, err := os.Pipe()
	if err != nil {
		return fail("%v", err)
	}
	defer pr.Close()
	cmd := exec.Command(exe, append([]string{"--ready-fd=3"}, args...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = null, null, null
	cmd.ExtraFiles = []*os.File{pw} // fd 3
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	for _, kv := range os.Environ() {
		// The background process is not the one a service manager
		// started: it must not speak for it.
		if !strings.HasPrefix(kv, "NOTIFY_SOCKET=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)
	if err := cmd.Start(); err != nil {
		pw.Close()
		return fail("cannot start the background process: %v", err)
	}
	pw.Close()
	stopped := make(chan struct{})
	defer close(stopped)
	go func() {
		select {
		case <-sigs:
			cmd.Process.Signal(syscall.SIGTERM)
		case <-stopped:
		}
	}()

	line, _ := bufio.NewReader(pr).ReadString('\n')
	line = strings.TrimSuffix(line, "\n")
	switch {
	case line == readyOK:
		cmd.Process.Release()
		return 0
	case strings.HasPrefix(line, readyErr):
		cmd.Wait()
		return fail("%s", strings.TrimPrefix(line, readyErr))
	default:
		err := cmd.Wait()
		return fail("the background process ended before the mount was ready (%v)", err)
	}
}

// The readiness protocol on --ready-fd: one line, then the pipe is closed.
const (
	readyOK  = "ok"
	readyErr = "error: "
)

// readiness reports once that the mount is ready or failed: on the
// --ready-fd pipe (to runBackground) and to systemd (sd_notify) when
// NOTIFY_SOCKET is set.
type readiness struct {
	f    *os.File
	done bool
}

func newReadiness(fd int) *readiness {
	r := &readiness{}
	if fd > 0 {
		syscall.CloseOnExec(fd)
		r.f = os.NewFile(uintptr(fd), "ready-fd")
	}
	return r
}

func (r *readiness) report(line string) {
	if r.done {
		return
	}
	r.done = true
	if r.f != nil {
		fmt.Fprintln(r.f, line)
		r.f.Close()
	}
}

// ready says the mount serves.
func (r *readiness) ready(status string) {
	if r.done {
		return
	}
	r.report(readyOK)
	sdNotify("READY=1\nSTATUS=" + status + "\nMAINPID=" + fmt.Sprint(os.Getpid()))
}

// failed reports err (nothing when ready was already reported).
func (r *readiness) failed(err error) { r.report(readyErr + oneLine(err)) }

// detached reports whether this is the background process of --daemon/-o.
func (r *readiness) detached() bool { return r.f != nil }

// sdNotify sends state to systemd's notification socket (sd_notify(3)):
// one datagram to the unix socket named by NOTIFY_SOCKET ('@' starts an
// abstract name, which Go handles). Without NOTIFY_SOCKET it does nothing.
func sdNotify(state string) error {
	addr := os.Getenv("NOTIFY_SOCKET")
	if addr == "" {
		return nil
	}
	c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: addr, Net: "unixgram"})
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.Write([]byte(state))
	return err
}

// logOutput returns where logs go: --log-file when given; stderr in the
// foreground; syslog (or nowhere, when there is none) in the background.
func logOutput(cfg *config, stderr io.Writer, detached bool) (io.Writer, func(), error) {
	if cfg.logFile != "" {
		f, err := os.OpenFile(cfg.logFile, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
		if err != nil {
			return nil, nil, fmt.Errorf("--log-file: %v", err)
		}
		return f, func() { f.Close() }, nil
	}
	if detached {
		if w, err := syslog.New(syslog.LOG_DAEMON|syslog.LOG_INFO, "zkfs"); err == nil {
			return w, func() { w.Close() }, nil
		}
	}
	return stderr, func() {}, nil
}
