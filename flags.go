package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/pflag"
)

// config is the parsed command line.
type config struct {
	servers    string // "host:port[,host:port...][/chroot]"
	mountpoint string

	readOnly       bool
	sessionTimeout time.Duration
	connectTimeout time.Duration
	dataName       string
	authFile       string
	tlsCA          string
	tlsCert        string
	tlsKey         string
	tlsServerName  string
	allowOther     bool
	entryTimeout   time.Duration
	attrTimeout    time.Duration
	debug          bool
	logFormat      string
	version        bool
	foreground     bool
	help           bool
}

// errHelp is returned by parseFlags when --help or --version was asked for
// (and answered).
var errHelp = errors.New("help requested")

const usageHead = `zkfs mounts an Apache ZooKeeper tree as a directory.

Usage:
  zkfs [flags] SERVERS[/CHROOT] MOUNTPOINT

  SERVERS is a comma-separated list of host:port (port 2181 by default);
  /CHROOT mounts that znode instead of the root.

Example:
  zkfs 127.0.0.1:2181/app /mnt/zk &
  ls /mnt/zk                        # the children of /app, like zkCli ls
  cat /mnt/zk/config/.data          # the data of /app/config
  echo 'on' > /mnt/zk/config/.data  # setData /app/config on
  mkdir /mnt/zk/new                 # create /app/new (persistent)
  getfattr -d /mnt/zk/config        # Stat fields and ACL as user.zk.*
  umount /mnt/zk                    # or Ctrl-C / SIGTERM

How it maps:
  Every znode is a directory. Its data is the regular file .data inside it
  (hidden from ls without -a; rename it with --data-name). A child znode
  named like the data file is hidden by it. Writes are committed with one
  setData when the file is closed; a write that extends the old value
  (>>, partial overwrite) fails with ESTALE if someone changed the value
  since the file was opened. Ephemeral znodes show the sticky bit
  (drwxr-xr-t). Changes made by other clients appear at once.

Flags:
`

// parseFlags parses args (without the program name). Usage goes to out on
// --help; errors are returned for the caller to print.
func parseFlags(args []string, out io.Writer) (*config, error) {
	c := &config{}
	fl := pflag.NewFlagSet("zkfs", pflag.ContinueOnError)
	fl.SetOutput(io.Discard)
	fl.SortFlags = false
	fl.BoolVar(&c.readOnly, "read-only", false, "mount read-only: every change fails with EROFS")
	fl.DurationVar(&c.sessionTimeout, "session-timeout", 10*time.Second, "ZooKeeper session timeout to ask for")
	fl.DurationVar(&c.connectTimeout, "connect-timeout", 15*time.Second, "give up when no server answers within this time")
	fl.StringVar(&c.dataName, "data-name", ".data", "name of the file that holds a znode's data")
	fl.StringVar(&c.authFile, "auth-file", "", "file with one `scheme:credentials` line per identity to add (e.g. digest:user:pass)")
	fl.StringVar(&c.tlsCA, "tls-ca", "", "PEM file of the CA that signed the servers' certificates (enables TLS)")
	fl.StringVar(&c.tlsCert, "tls-cert", "", "PEM client certificate (with --tls-key)")
	fl.StringVar(&c.tlsKey, "tls-key", "", "PEM client key (with --tls-cert)")
	fl.StringVar(&c.tlsServerName, "tls-server-name", "", "name to verify in the servers' certificates (default: the host)")
	fl.BoolVar(&c.allowOther, "allow-other", false, "let other users use the mount (user_allow_other in /etc/fuse.conf when not root)")
	fl.DurationVar(&c.entryTimeout, "entry-timeout", time.Hour, "how long the kernel may cache names (changes are pushed anyway)")
	fl.DurationVar(&c.attrTimeout, "attr-timeout", time.Hour, "how long the kernel may cache attributes (changes are pushed anyway)")
	fl.BoolVar(&c.debug, "debug", false, "log every FUSE request and debug messages")
	fl.StringVar(&c.logFormat, "log-format", "text", "log format on stderr: text or json")
	fl.BoolVarP(&c.foreground, "foreground", "f", true, "stay in the foreground (the only mode for now)")
	fl.BoolVar(&c.version, "version", false, "print the version and exit")
	fl.BoolVarP(&c.help, "help", "h", false, "show this help")
	if err := fl.Parse(args); err != nil {
		return nil, err
	}
	if c.help {
		fmt.Fprint(out, usageHead, fl.FlagUsages())
		return nil, errHelp
	}
	if c.version {
		fmt.Fprintf(out, "zkfs %s\n", version)
		return nil, errHelp
	}
	if fl.NArg() != 2 {
		return nil, fmt.Errorf("want SERVERS[/CHROOT] and MOUNTPOINT, got %d argument(s) (see zkfs --help)", fl.NArg())
	}
	c.servers, c.mountpoint = fl.Arg(0), fl.Arg(1)
	switch {
	case c.servers == "":
		return nil, errors.New("empty server list")
	case c.logFormat != "text" && c.logFormat != "json":
		return nil, fmt.Errorf("--log-format: want text or json, got %q", c.logFormat)
	case c.connectTimeout <= 0:
		return nil, errors.New("--connect-timeout must be positive")
	case c.sessionTimeout <= 0:
		return nil, errors.New("--session-timeout must be positive")
	case (c.tlsCert == "") != (c.tlsKey == ""):
		return nil, errors.New("--tls-cert and --tls-key go together")
	case c.dataName == "" || c.dataName == "." || c.dataName == ".." || strings.ContainsAny(c.dataName, "/\x00"):
		return nil, fmt.Errorf("--data-name: %q is not a file name", c.dataName)
	}
	return c, nil
}
