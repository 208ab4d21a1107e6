package zktest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// proc is one running JVM. It is started by spawn and must be ended by kill.
type proc struct {
	cmd  *exec.Cmd
	pid  int
	done chan struct{} // closed by the goroutine of spawn once the process is reaped
	log  *os.File      // the server's stdout and stderr; closed after the process is reaped
}

// spawner owns one OS thread, locked for the life of the test binary, from which
// every JVM is started. Pdeathsig fires when the *thread* that forked the child
// exits; Go ends a thread when a goroutine exits while locked to it (fuse tests do
// that), so forking from an arbitrary thread could kill a JVM at random.
var spawner struct {
	once sync.Once
	reqs chan spawnReq // test goroutines → the spawner goroutine
}

type spawnReq struct {
	cmd *exec.Cmd
	res chan error // the spawner goroutine → the requester, capacity 1
}

func startOnLockedThread(cmd *exec.Cmd) error {
	spawner.once.Do(func() {
		spawner.reqs = make(chan spawnReq)
		go func() {
			runtime.LockOSThread() // never unlocked: this thread lives as long as the binary
			for r := range spawner.reqs {
				r.res <- r.cmd.Start()
			}
		}()
	})
	r := spawnReq{cmd: cmd, res: make(chan error, 1)}
	spawner.reqs <- r
	return <-r.res
}

// spawn starts java with args in dir, appending its output to logPath.
func spawn(java string, args []string, dir, logPath string) (*proc, error) {
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(logf, "==== zktest: starting %s at %s\n", java, time.Now().Format(time.RFC3339Nano))
	cmd := exec.Command(java, args...)
	cmd.Dir = dir
	cmd.Stdout = logf
	cmd.Stderr = logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := startOnLockedThread(cmd); err != nil {
		logf.Close()
		return nil, err
	}
	p := &proc{cmd: cmd, pid: cmd.Process.Pid, done: make(chan struct{}), log: logf}
	go func() { // owns cmd.Wait; ends when the process is reaped
		_ = cmd.Wait()
		logf.Close()
		close(p.done)
	}()
	return p, nil
}

// exited reports whether the process has been reaped.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// kill sends SIGKILL to the process group and waits until the process is gone and
// every port in ports refuses connections.
func (p *proc) kill(ports ...int) error {
	_ = syscall.Kill(-p.pid, syscall.SIGKILL)
	deadline := time.Now().Add(deathTimeout)
	select {
	case <-p.done:
	case <-time.After(deathTimeout):
		return fmt.Errorf("pid %d not reaped %v after SIGKILL (state %q)", p.pid, deathTimeout, procState(p.pid))
	}
	for !processGone(p.pid) {
		if time.Now().After(deadline) {
			return fmt.Errorf("pid %d still present after SIGKILL (state %q)", p.pid, procState(p.pid))
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, port := range ports {
		if port == 0 {
			continue
		}
		if err := waitPortClosed(port, deadline); err != nil {
			return err
		}
	}
	return nil
}

// procState returns the state letter in /proc/PID/stat, or "" when there is none.
func procState(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return ""
	}
	// The command name is in parentheses and may contain spaces: the state follows ") ".
	i := bytes.LastIndexByte(b, ')')
	if i < 0 || i+2 >= len(b) {
		return ""
	}
	return string(b[i+2 : i+3])
}

// processGone reports whether pid no longer runs: absent, a zombie or dead.
func processGone(pid int) bool {
	switch procState(pid) {
	case "", "Z", "X", "x":
		return true
	}
	return false
}

// waitPortClosed polls until nothing accepts connections on 127.0.0.1:port.
func waitPortClosed(port int, deadline time.Time) error {
	for {
		c, err := net.DialTimeout("tcp", addr(port), time.Second)
		if err != nil {
			return nil
		}
		c.Close()
		if time.Now().After(deadline) {
			return fmt.Errorf("port %d still accepts connections", port)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func addr(port int) string { return "127.0.0.1:" + strconv.Itoa(port) }

// freePorts returns n distinct ports that were free on 127.0.0.1 a moment ago. Another
// process may take one before the server binds it: callers retry on bind failures.
func freePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for len(ports) < n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// fourLetterWord sends cmd (for example "srvr") to the server at address and returns
// the whole answer.
func fourLetterWord(address, cmd string) (string, error) {
	return fourLetterWordTimeout(address, cmd, 10*time.Second)
}

// fourLetterWordTimeout is fourLetterWord with a bound on the whole exchange.
func fourLetterWordTimeout(address, cmd string, timeout time.Duration) (string, error) {
	c, err := net.DialTimeout("tcp", address, timeout)
	if err != nil {
		return "", err
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(timeout)); err != nil {
		return "", err
	}
	if _, err := c.Write([]byte(cmd)); err != nil {
		return "", err
	}
	b, err := io.ReadAll(io.LimitReader(c, 1<<20))
	if err != nil && len(b) == 0 {
		return "", err
	}
	return string(b), nil
}

// modeOf extracts the "Mode:" value of a srvr answer ("" when absent).
func modeOf(srvr string) string {
	sc := bufio.NewScanner(strings.NewReader(srvr))
	for sc.Scan() {
		if m, ok := strings.CutPrefix(sc.Text(), "Mode: "); ok {
			return strings.TrimSpace(m)
		}
	}
	return ""
}

// mode asks the server at address for its mode; "" when it does not serve.
func mode(address string) string {
	s, err := fourLetterWordTimeout(address, "srvr", 5*time.Second)
	if err != nil {
		return ""
	}
	return modeOf(s)
}

// errBind marks a start that failed because a port was taken.
var errBind = errors.New("a port was already in use")

// logTail returns the last lines of the log at path, for failure messages.
func logTail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	const max = 6000
	if len(b) > max {
		b = b[len(b)-max:]
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			b = b[i+1:]
		}
	}
	return fmt.Sprintf("--- last lines of %s ---\n%s", path, b)
}

// waitMode polls srvr at address until the mode is one of want. It fails early when the
// process exits or its log (read from offset logStart on) shows a bind failure.
func waitMode(p *proc, address, logPath string, logStart int64, want ...string) error {
	deadline := time.Now().Add(readyTimeout)
	for i := 0; ; i++ {
		// Exit first: a port taken by a stranger may accept the srvr poll and never answer.
		if p.exited() {
			if logSinceShowsBindFailure(logPath, logStart) {
				return errBind
			}
			return fmt.Errorf("server process %d exited before serving", p.pid)
		}
		if i%10 == 9 && logSinceShowsBindFailure(logPath, logStart) {
			return errBind
		}
		m := mode(address)
		for _, w := range want {
			if m == w {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not in mode %v after %v (mode %q)", address, want, readyTimeout, m)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// logSinceShowsBindFailure is logShowsBindFailure for the part of the log written
// after offset start (the current attempt).
func logSinceShowsBindFailure(path string, start int64) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	if _, err := f.Seek(start, io.SeekStart); err != nil {
		return false
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return false
	}
	return bytes.Contains(b, []byte("Address already in use")) || bytes.Contains(b, []byte("BindException"))
}

// fileSize returns the size of path, 0 when it does not exist.
func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}
