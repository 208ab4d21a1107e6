package fs

import (
	"os"
	"runtime"
)

// SpareProcessors leaves the Go runtime two processors more than go-fuse
// has FUSE reader threads. go-fuse starts as many readers as GOMAXPROCS (at
// least 2, at most 16) when it starts serving, and they wait in read(2) on
// /dev/fuse. With every processor held by a blocked reader, the runtime's
// sysmon wakes every 20 µs to take processors back from them: a fifth of
// the daemon's CPU during a cold `grep -r`, mostly context switches. With a
// processor idle it leaves the readers be and sleeps longer (measured in
// docs/benchmarks.md). A process serving one mount calls it once, after
// mounting; not per mount, since each call raises GOMAXPROCS from what the
// last one left. A GOMAXPROCS set in the environment is left as it is.
func SpareProcessors() {
	if os.Getenv("GOMAXPROCS") != "" {
		return
	}
	n := runtime.GOMAXPROCS(0)
	if readers := min(max(n, 2), 16); n < readers+2 {
		runtime.GOMAXPROCS(readers + 2)
	}
}
