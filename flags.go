package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/zkfs/zkfs/cache"
	zkfs "github.com/zkfs/zkfs/fs"
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
	options        []string // -o, applied to the fields above by parseFlags
	debug          bool
	noInotify      bool
	cacheEntries   int
	maxInodes      int
	aclPoll        time.Duration
	logFormat      string
	logFile        string
	metricsAddr    string
	version        bool
	foreground     bool
	daemon         bool
	readyFD        int // set in the background process: where to report readiness
	help           bool

	// background is derived: detach and return once mounted (-o or
	// --daemon given, and neither --foreground nor --ready-fd).
	background bool
}

// errHelp is returned by parseFlags when --help or --version was asked for
// (and answered).
var errHelp = errors.New("help requested")

const usageHead = `zkfs mounts an Apache ZooKeeper tree as a directory: every znode is a
directory, its data the file .data inside it.

Usage:
  zkfs [flags] SERVERS[/CHROOT] MOUNTPOINT          serve in the foreground
  zkfs SERVERS[/CHROOT] MOUNTPOINT -o OPTIONS       return once mounted (daemon)
  mount -t fuse.zkfs SERVERS[/CHROOT] MOUNTPOINT [-o OPTIONS]

  SERVERS is a comma-separated list of host:port (port 2181 by default);
  /CHROOT mounts that znode instead of the root. With -o (the form mount(8)
  uses) or --daemon, zkfs detaches and exits 0 once the mount is ready, or 1
  with the reason; -f keeps it in the foreground. umount MOUNTPOINT stops it.

Examples:
  # mount the whole tree; Ctrl-C or umount ends it
  zkfs zk1:2181,zk2:2181,zk3:2181 /mnt/zk
  ls /mnt/zk/app                     # the children of /app, like zkCli ls
  cat /mnt/zk/app/config/.data       # the data of /app/config
  echo 'on' > /mnt/zk/app/config/.data   # setData /app/config on
  mkdir /mnt/zk/app/new              # create /app/new (persistent)
  getfattr -d /mnt/zk/app/config     # Stat fields and ACL as user.zk.*

  # one subtree, read-only, for every user, in the background
  zkfs zk1:2181/kafka /mnt/kafka -o ro,allow_other

  # with credentials (lines of scheme:credentials, e.g. digest:user:secret)
  zkfs --auth-file /etc/zkfs/auth zk1:2181/app /mnt/app

  # the same through mount(8), and as an /etc/fstab line
  mount -t fuse.zkfs zk1:2181/app /mnt/app -o ro,allow_other,auth_file=/etc/zkfs/auth
  zk1:2181/app  /mnt/app  fuse.zkfs  ro,allow_other,_netdev,auth_file=/etc/zkfs/auth  0 0

  # unmount (the daemon closes its session and exits)
  umount /mnt/app

Mount options (-o, comma-separated):
  ro, rw, allow_other     as the flags --read-only, --allow-other
  NAME[=VALUE]            any long flag below with - written _, e.g.
                          session_timeout=5s,data_name=_data,tls_ca=/etc/zk/ca.pem
  dev, suid, exec, auto, _netdev, nofail, defaults, x-*, ...
                          accepted and ignored (default_permissions is always on)
`

// flagGroups lists the help sections in order; flags defined on no group
// are shown under "Other flags".
var flagGroupNames = []string{"ZooKeeper", "Mount", "Running"}

// parseFlags parses args (without the program name). Usage goes to out on
// --help; errors are returned for the caller to print.
func parseFlags(args []string, out io.Writer) (*config, error) {
	c := &config{}
	fl := pflag.NewFlagSet("zkfs", pflag.ContinueOnError)
	fl.SetOutput(io.Discard)
	fl.SortFlags = false
	groups := map[string]*pflag.FlagSet{}
	for _, n := range flagGroupNames {
		groups[n] = pflag.NewFlagSet(n, pflag.ContinueOnError)
		groups[n].SortFlags = false
	}

	zk := groups["ZooKeeper"]
	zk.DurationVar(&c.sessionTimeout, "session-timeout", 10*time.Second, "ZooKeeper session timeout to ask for")
	zk.DurationVar(&c.connectTimeout, "connect-timeout", 15*time.Second, "give up when no server answers within this time")
	zk.StringVar(&c.authFile, "auth-file", "", "file with one `scheme:credentials` line per identity to add (e.g. digest:user:pass)")
	zk.StringVar(&c.tlsCA, "tls-ca", "", "PEM file of the CA that signed the servers' certificates (enables TLS)")
	zk.StringVar(&c.tlsCert, "tls-cert", "", "PEM client certificate (with --tls-key)")
	zk.StringVar(&c.tlsKey, "tls-key", "", "PEM client key (with --tls-cert)")
	zk.StringVar(&c.tlsServerName, "tls-server-name", "", "name to verify in the servers' certificates (default: the host)")

	mnt := groups["Mount"]
	mnt.BoolVar(&c.readOnly, "read-only", false, "mount read-only: every change fails with EROFS, and the kernel opens files without asking zkfs (faster reads of many files) (-o ro)")
	mnt.BoolVar(&c.allowOther, "allow-other", false, "let other users use the mount (user_allow_other in /etc/fuse.conf when not root)")
	mnt.StringVar(&c.dataName, "data-name", ".data", "name of the file that holds a znode's data")
	mnt.DurationVar(&c.entryTimeout, "entry-timeout", time.Hour, "how long the kernel may cache names (changes are pushed anyway)")
	mnt.DurationVar(&c.attrTimeout, "attr-timeout", time.Hour, "how long the kernel may cache attributes (changes are pushed anyway)")
	mnt.IntVar(&c.cacheEntries, "cache-entries", cache.DefaultMaxEntries, "znodes whose stat, data or children the daemon caches, at most")
	mnt.IntVar(&c.maxInodes, "max-inodes", zkfs.DefaultMaxInodes, "directories and data files the kernel may keep (older names are dropped and looked up again when used)")
	mnt.BoolVar(&c.noInotify, "no-inotify", false, "do not replay changes made by other clients to inotify watchers")
	mnt.DurationVar(&c.aclPoll, "acl-poll", zkfs.DefaultACLPoll, "how often to poll the ACLs of the znodes in use, for inotify and --allow-other modes (ZooKeeper has no ACL events; 0: never)")
	mnt.StringArrayVarP(&c.options, "options", "o", nil, "mount options, comma-separated (see above); implies --daemon unless -f")

	rn := groups["Running"]
	rn.BoolVarP(&c.foreground, "foreground", "f", false, "stay in the foreground even with -o or --daemon")
	rn.BoolVar(&c.daemon, "daemon", false, "detach; exit once the mount is ready (logs go to --log-file or syslog)")
	rn.StringVar(&c.logFormat, "log-format", "text", "log format: text or json")
	rn.StringVar(&c.logFile, "log-file", "", "append logs to this file (default: stderr; syslog when detached)")
	rn.BoolVar(&c.debug, "debug", false, "log every FUSE request and ZooKeeper reply")
	rn.StringVar(&c.metricsAddr, "metrics-addr", "", "serve Prometheus metrics on `HOST:PORT` at /metrics")
	rn.IntVar(&c.readyFD, "ready-fd", 0, "file descriptor to report readiness on (used by --daemon)")
	rn.BoolVar(&c.version, "version", false, "print the version and exit")
	rn.BoolVarP(&c.help, "help", "h", false, "show this help")
	_ = rn.MarkHidden("ready-fd")

	for _, n := range flagGroupNames {
		fl.AddFlagSet(groups[n])
	}

	if err := fl.Parse(args); err != nil {
		return nil, err
	}
	if c.help {
		fmt.Fprint(out, usageHead)
		for _, n := range flagGroupNames {
			fmt.Fprintf(out, "\n%s flags:\n%s", n, groups[n].FlagUsages())
		}
		other := pflag.NewFlagSet("other", pflag.ContinueOnError)
		other.SortFlags = false
		fl.VisitAll(func(f *pflag.Flag) {
			grouped := false
			for _, g := range groups {
				if g.Lookup(f.Name) != nil {
					grouped = true
				}
			}
			if !grouped {
				other.AddFlag(f)
			}
		})
		if other.HasAvailableFlags() {
			fmt.Fprintf(out, "\nOther flags:\n%s", other.FlagUsages())
		}
		return nil, errHelp
	}
	if c.version {
		fmt.Fprintf(out, "zkfs %s\n", version)
		return nil, errHelp
	}
	if err := applyMountOptions(fl, c.options); err != nil {
		return nil, err
	}
	if fl.NArg() != 2 {
		return nil, fmt.Errorf("want SERVERS[/CHROOT] and MOUNTPOINT, got %d argument(s) (see zkfs --help)", fl.NArg())
	}
	c.servers, c.mountpoint = fl.Arg(0), fl.Arg(1)
	c.background = (len(c.options) > 0 || c.daemon) && !c.foreground && c.readyFD == 0
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
	case c.cacheEntries <= 0:
		return nil, errors.New("--cache-entries must be positive")
	case c.maxInodes <= 0:
		return nil, errors.New("--max-inodes must be positive")
	case c.readyFD < 0:
		return nil, errors.New("--ready-fd must not be negative")
	}
	return c, nil
}

// ignoredOptions are standard mount options that mean nothing to zkfs (or
// that mount(8) and mount.fuse3 handle before zkfs runs); they are
// accepted so that fstab lines written for any file system work.
var ignoredOptions = map[string]bool{
	"defaults": true, "default_permissions": true, "auto": true, "noauto": true,
	"user": true, "nouser": true, "users": true, "owner": true, "group": true,
	"_netdev": true, "nofail": true, "dev": true, "nodev": true, "suid": true,
	"nosuid": true, "exec": true, "noexec": true, "async": true, "sync": true,
	"dirsync": true, "atime": true, "noatime": true, "diratime": true,
	"nodiratime": true, "relatime": true, "norelatime": true, "strictatime": true,
	"nostrictatime": true, "lazytime": true, "nolazytime": true, "mand": true,
	"nomand": true, "silent": true, "loud": true, "iversion": true, "noiversion": true,
}

// ignoredOptionPrefixes are option families accepted and ignored: systemd
// and mount(8) annotations, SELinux contexts, and FUSE settings zkfs
// chooses itself.
var ignoredOptionPrefixes = []string{"x-", "comment=", "user=", "context=", "fscontext=",
	"defcontext=", "rootcontext=", "fsname=", "subtype=", "max_read=", "blksize="}

// notMountOptions are long flags that make no sense inside -o.
var notMountOptions = map[string]bool{"options": true, "help": true, "version": true, "ready-fd": true}

// applyMountOptions applies -o options (each a comma-separated list) to
// the flags: standard ones by their meaning, NAME[=VALUE] to the long flag
// NAME with _ read as -.
func applyMountOptions(fl *pflag.FlagSet, lists []string) error {
	for _, list := range lists {
		for _, opt := range strings.Split(list, ",") {
			if err := applyMountOption(fl, strings.TrimSpace(opt)); err != nil {
				return err
			}
		}
	}
	return nil
}

func applyMountOption(fl *pflag.FlagSet, opt string) error {
	if opt == "" || ignoredOptions[opt] {
		return nil
	}
	for _, p := range ignoredOptionPrefixes {
		if strings.HasPrefix(opt, p) {
			return nil
		}
	}
	switch opt {
	case "ro":
		return fl.Set("read-only", "true")
	case "rw":
		return fl.Set("read-only", "false")
	case "allow_root":
		return errors.New("mount option allow_root is not supported (use allow_other)")
	}
	name, value, hasValue := strings.Cut(opt, "=")
	name = strings.ReplaceAll(name, "_", "-")
	f := fl.Lookup(name)
	if f == nil || notMountOptions[name] {
		return fmt.Errorf("unknown mount option %q (see zkfs --help)", opt)
	}
	if !hasValue {
		if f.Value.Type() != "bool" {
			return fmt.Errorf("mount option %q needs a value (%s=...)", opt, opt)
		}
		value = "true"
	}
	if err := fl.Set(name, value); err != nil {
		return fmt.Errorf("mount option %q: %v", opt, err)
	}
	return nil
}
