package main

import (
	"fmt"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

const dataSize = 100

type pipeResult struct {
	ops       int64
	opsPerSec float64
	cpuPerOp  time.Duration // process CPU (user+sys) per operation
	reads     float64       // read(2)-family system calls of the process per operation
	writes    float64       // write(2)-family system calls of the process per operation
}

// syscallCounts returns the process's read and write system call counts
// (syscr and syscw of /proc/self/io; zeros where unavailable).
func syscallCounts() (r, w int64) {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ": ")
		if !ok {
			continue
		}
		n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		switch k {
		case "syscr":
			r = n
		case "syscw":
			w = n
		}
	}
	return r, w
}

// cpuTime is the CPU time of the whole process so far, user plus system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// check fails a read that did not return the znode's data.
func check(data []byte, err error) error {
	if err == nil && len(data) != dataSize {
		err = fmt.Errorf("read %d bytes, want %d", len(data), dataSize)
	}
	return err
}

// pipelined runs callers goroutines, each calling get in a loop on the same
// client, for d; every caller has one request in flight at a time.
func pipelined(c client, path string, callers int, d time.Duration) (pipeResult, error) {
	var stop atomic.Bool
	var total atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	runtime.GC() // no garbage of an earlier run is collected on this run's clock
	r0, w0 := syscallCounts()
	cpu0, t0 := cpuTime(), time.Now()
	for i := 0; i < callers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var n int64
			for !stop.Load() {
				if err := check(c.get(path)); err != nil {
					errs <- err
					break
				}
				n++
			}
			total.Add(n)
		}()
	}
	time.Sleep(d)
	stop.Store(true)
	wg.Wait()
	elapsed, cpu := time.Since(t0), cpuTime()-cpu0
	r1, w1 := syscallCounts()
	close(errs)
	if err := <-errs; err != nil {
		return pipeResult{}, err
	}
	n := total.Load()
	if n == 0 {
		return pipeResult{}, fmt.Errorf("no operation completed in %v", d)
	}
	return pipeResult{ops: n, opsPerSec: float64(n) / elapsed.Seconds(), cpuPerOp: cpu / time.Duration(n),
		reads: float64(r1-r0) / float64(n), writes: float64(w1-w0) / float64(n)}, nil
}

// allocsPerGet counts heap allocations (of the whole process: the clients'
// own goroutines included) per sequential get.
func allocsPerGet(c client, path string, n int) (float64, error) {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := 0; i < n; i++ {
		if err := check(c.get(path)); err != nil {
			return 0, err
		}
	}
	runtime.ReadMemStats(&after)
	return float64(after.Mallocs-before.Mallocs) / float64(n), nil
}

// latencies is a sample of call durations.
type latencies []time.Duration

// sequential times one get at a time for d.
func sequential(c client, path string, d time.Duration) (latencies, error) {
	l := make(latencies, 0, 1<<16)
	runtime.GC()
	end := time.Now().Add(d)
	for {
		t0 := time.Now()
		if t0.After(end) {
			break
		}
		data, err := c.get(path)
		l = append(l, time.Since(t0))
		if err := check(data, err); err != nil {
			return nil, err
		}
	}
	sort.Slice(l, func(i, j int) bool { return l[i] < l[j] })
	return l, nil
}

// percentile returns the p-th percentile of a sorted sample (nearest rank).
func (l latencies) percentile(p float64) time.Duration {
	if len(l) == 0 {
		return 0
	}
	k := int(p/100*float64(len(l))+0.5) - 1
	return l[min(max(k, 0), len(l)-1)]
}
