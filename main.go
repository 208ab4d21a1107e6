// Command zkfs mounts an Apache ZooKeeper tree as a directory.
//
//	zkfs [flags] SERVERS[/CHROOT] MOUNTPOINT
//
// Every znode is a directory; its data is the file .data inside it. See
// `zkfs --help` and README.md.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is the whole program; it returns the exit status: 0 after a clean
// unmount (or, detached with -o/--daemon, once the mount is ready), 1 when
// the file system could not be mounted or served, 2 for a usage error.
// Every failure is ONE line on stderr.
func run(args []string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, stdout)
	if errors.Is(err, errHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "zkfs: %v\n", err)
		return 2
	}
	if cfg.background {
		return runBackground(args, stderr)
	}
	if os.Getenv("GOGC") == "" {
		// The heap is mostly long-lived cache and inode entries
		// (bounded by --cache-entries and --max-inodes): collect
		// when it grew by half rather than doubled, which keeps the
		// resident size near what the bounds allow.
		debug.SetGCPercent(50)
	}
	rd := newReadiness(cfg.readyFD)
	if err := serve(cfg, stderr, rd); err != nil {
		rd.failed(err)
		fmt.Fprintf(stderr, "zkfs: %v\n", err)
		return 1
	}
	return 0
}
