// Command fsbench measures zkfs against reference figures: a plain ZooKeeper
// client (github.com/go-zookeeper/zk) on the same server, or the same tree on
// tmpfs. scripts/bench.sh drives it; every subcommand prints its results as
// key=value lines on stdout and its diagnostics on stderr.
package main

import (
	"fmt"
	"os"
	"sort"
)

type command struct {
	summary string
	run     func(args []string) error
}

var commands = map[string]command{
	"load":      {"create a tree (pipelined) on a ZooKeeper server", runLoad},
	"mktree":    {"write the same tree as files and directories (for a tmpfs copy)", runMktree},
	"walk":      {"reference walk: getChildren + getData of every znode, N in flight", runWalk},
	"children":  {"reference: one getChildren of a znode, timed", runChildren},
	"get":       {"reference: sequential getData latency over distinct znodes", runGet},
	"coldread":  {"open+read+close of distinct data files through a mount, timed one by one", runColdRead},
	"propagate": {"setData on one session, time until the new bytes (and inotify) show through the mount", runPropagate},
	"watchlat":  {"reference: setData on one session, time until a watch fires on another", runWatchLat},
	"rss":       {"print the resident set size of a process", runRSS},
	"floor":     {"serve a do-nothing FUSE file system (one file, f) until SIGTERM: the FUSE floor", runFloor},
	"openloop":  {"open+read+close of one file N times, each call timed", runOpenLoop},
}

func usage() {
	fmt.Fprintf(os.Stderr, "usage: fsbench COMMAND [flags]   (fsbench COMMAND -h for its flags)\n\ncommands:\n")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(os.Stderr, "  %-10s %s\n", n, commands[n].summary)
	}
}

func main() {
	if len(os.Args) < 2 || os.Args[1] == "-h" || os.Args[1] == "--help" || os.Args[1] == "help" {
		usage()
		if len(os.Args) < 2 {
			os.Exit(2)
		}
		return
	}
	cmd, ok := commands[os.Args[1]]
	if !ok {
		fmt.Fprintf(os.Stderr, "fsbench: unknown command %q\n", os.Args[1])
		usage()
		os.Exit(2)
	}
	if err := cmd.run(os.Args[2:]); err != nil {
		fmt.Fprintf(os.Stderr, "fsbench %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}
