// Package zktest starts real Apache ZooKeeper 3.8 servers (Debian's package, java run
// directly) on free loopback ports for tests: a standalone server (Start), a
// three-member ensemble (StartEnsemble) and a TCP proxy for fault tests (NewProxy).
//
// Every process runs in its own process group with a parent-death signal, so no JVM
// outlives the test binary; t.Cleanup kills the group and waits for it. The Java
// classpath comes from scripts/zk-classpath.sh, the one place that knows it.
//
// A missing java or ZooKeeper skips the test, or fails it when the environment
// variable CI is set.
package zktest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	// javaDir holds Debian's ZooKeeper jars.
	javaDir = "/usr/share/java"
	// readyTimeout bounds the wait for a server to serve: CI machines are loaded.
	readyTimeout = 60 * time.Second
	// deathTimeout bounds the wait for a killed server to vanish and free its port.
	deathTimeout = 30 * time.Second
	// bindAttempts is how often a start is retried on fresh ports after a bind failure.
	bindAttempts = 6
)

// Option changes how a server or an ensemble is configured.
type Option func(*config)

type config struct {
	netty    bool
	tls      bool
	extra    []string // extra zoo.cfg lines, "key=value"
	jvmFlags []string
}

// WithNetty selects NettyServerCnxnFactory instead of the default NIO factory.
func WithNetty() Option { return func(c *config) { c.netty = true } }

// WithTLS adds a secureClientPort served with certificates generated for this server
// (implies WithNetty). The plain client port stays open.
func WithTLS() Option { return func(c *config) { c.tls = true; c.netty = true } }

// WithConfig adds the zoo.cfg line key=value (later lines win over earlier ones).
func WithConfig(key, value string) Option {
	return func(c *config) { c.extra = append(c.extra, key+"="+value) }
}

// WithJVMFlag adds a JVM flag, for example "-Dzookeeper.foo=bar".
func WithJVMFlag(flag string) Option {
	return func(c *config) { c.jvmFlags = append(c.jvmFlags, flag) }
}

func newConfig(opts []Option) *config {
	c := &config{}
	for _, o := range opts {
		o(c)
	}
	return c
}

// baseLines are the zoo.cfg lines every server gets.
func (c *config) baseLines(dataDir string, clientPort int) []string {
	lines := []string{
		"tickTime=2000",
		"dataDir=" + dataDir,
		fmt.Sprintf("clientPort=%d", clientPort),
		"clientPortAddress=127.0.0.1",
		"maxClientCnxns=0",
		"4lw.commands.whitelist=*",
		"admin.enableServer=false",
	}
	if c.netty {
		lines = append(lines, "serverCnxnFactory=org.apache.zookeeper.server.NettyServerCnxnFactory")
	}
	return lines
}

// javaArgs returns the java command line (without the java binary) for mainClass.
func (c *config) javaArgs(classpath, mainClass, cfgFile string) []string {
	args := []string{
		"-Xmx256m",
		"-XX:-UsePerfData",
		"-Djava.net.preferIPv4Stack=true",
		"-Dzookeeper.extendedTypesEnabled=true",
		"-Dznode.container.checkIntervalMs=1000",
		"-Dorg.slf4j.simpleLogger.showDateTime=true",
		"-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS",
	}
	args = append(args, c.jvmFlags...)
	return append(args, "-cp", classpath, mainClass, cfgFile)
}

// prereq is the outcome of looking for java and the ZooKeeper classpath, computed once.
var prereq struct {
	once      sync.Once
	java      string
	classpath string
	missing   string // why the tests cannot run; "" when all is present
	broken    string // an unexpected failure (always fatal)
}

// requireZooKeeper returns the java binary and the classpath, or skips/fails t.
func requireZooKeeper(t testing.TB) (java, classpath string) {
	t.Helper()
	prereq.once.Do(findZooKeeper)
	if prereq.broken != "" {
		t.Fatalf("zktest: %s", prereq.broken)
	}
	if prereq.missing != "" {
		msg := "zktest: " + prereq.missing + " (run scripts/install-deps.sh)"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return prereq.java, prereq.classpath
}

func findZooKeeper() {
	java, err := exec.LookPath("java")
	if err != nil {
		prereq.missing = "java not found in PATH"
		return
	}
	if _, err := os.Stat(filepath.Join(javaDir, "zookeeper.jar")); err != nil {
		prereq.missing = javaDir + "/zookeeper.jar not found"
		return
	}
	script, err := classpathScript()
	if err != nil {
		prereq.broken = err.Error()
		return
	}
	var stderr bytes.Buffer
	cmd := exec.Command("bash", script)
	cmd.Env = append(os.Environ(), "ZK_JAVA_DIR="+javaDir)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		prereq.missing = fmt.Sprintf("%s failed: %v: %s", script, err, strings.TrimSpace(stderr.String()))
		return
	}
	prereq.java = java
	prereq.classpath = strings.TrimSpace(string(out))
}

// classpathScript finds scripts/zk-classpath.sh at the module root: above the working
// directory (go test runs in the package directory), else relative to this source
// file (a test binary run from elsewhere on the machine that built it).
func classpathScript() (string, error) {
	var starts []string
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	if _, file, _, ok := runtime.Caller(0); ok {
		starts = append(starts, filepath.Dir(file))
	}
	for _, dir := range starts {
		for {
			script := filepath.Join(dir, "scripts", "zk-classpath.sh")
			if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
				if _, err := os.Stat(script); err == nil {
					return script, nil
				}
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				break
			}
			dir = parent
		}
	}
	return "", fmt.Errorf("scripts/zk-classpath.sh not found at a module root above %v", starts)
}

// writeLines writes lines, each ending in a newline, to path.
func writeLines(path string, lines []string) error {
	return os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644)
}
