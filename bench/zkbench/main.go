// Command zkbench compares zkfs's ZooKeeper client (github.com/zkfs/zkfs/zkclient)
// with github.com/go-zookeeper/zk v1.0.4 on the same server, alternating the two:
//
//   - pipelined getData: N goroutines on one session, ops/s;
//   - client CPU per operation during that run (getrusage RUSAGE_SELF, user+sys);
//   - allocations per getData, one at a time (runtime.MemStats.Mallocs);
//   - getData latency one at a time, p50 and p99.
//
// It prints the median of every measure for each client, the ratio
// zkclient/go-zookeeper and whether each target holds. Without --servers it
// starts its own standalone server with scripts/zk.sh (NettyServerCnxnFactory).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"sort"
	"strings"
	"syscall"
	"time"
)

type options struct {
	servers  string
	rounds   int
	duration time.Duration
	callers  int
	allocOps int
	path     string
	warmup   time.Duration
	zkScript string
}

func main() {
	var o options
	flag.StringVar(&o.servers, "servers", "", "ZooKeeper servers (host:port,...); empty: start a Netty server with scripts/zk.sh")
	flag.IntVar(&o.rounds, "rounds", 5, "runs of every measure per client (medians are reported)")
	flag.DurationVar(&o.duration, "duration", 3*time.Second, "length of one pipelined or latency run")
	flag.DurationVar(&o.warmup, "warmup", 5*time.Second, "untimed pipelined run per client before the rounds (warms the server's JIT)")
	flag.IntVar(&o.callers, "callers", 64, "goroutines sharing one session in the pipelined run")
	flag.IntVar(&o.allocOps, "alloc-ops", 5000, "getData calls per allocation count")
	flag.StringVar(&o.path, "path", "/zkbench", "znode to read (created or overwritten with 100 bytes)")
	flag.StringVar(&o.zkScript, "zk-script", "", "scripts/zk.sh to start a server with (default: found above the working directory)")
	flag.Parse()
	if o.rounds < 1 || o.duration <= 0 || o.warmup < 0 || o.callers < 1 || o.allocOps < 1 {
		fmt.Fprintln(os.Stderr, "zkbench: --rounds, --duration, --callers and --alloc-ops must be positive")
		os.Exit(2)
	}
	if err := run(o); err != nil {
		fmt.Fprintf(os.Stderr, "zkbench: %v\n", err)
		os.Exit(1)
	}
}

func run(o options) error {
	factory := "as given by --servers"
	if o.servers == "" {
		srv, err := startServer(o.zkScript)
		if err != nil {
			return err
		}
		defer srv.stop()
		// Ctrl-C and SIGTERM stop the server too (it runs detached from us).
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
		go func() {
			s := <-sig
			srv.stop()
			fmt.Fprintf(os.Stderr, "zkbench: %v\n", s)
			os.Exit(1)
		}()
		o.servers = srv.addr
		factory = "NettyServerCnxnFactory (started by zkbench)"
		fmt.Printf("started a standalone ZooKeeper server with %s start --netty at %s (state in %s)\n", srv.script, srv.addr, srv.dir)
	}

	ctx := context.Background()
	gz, err := connectGoZK(o.servers)
	if err != nil {
		return fmt.Errorf("go-zookeeper: %w", err)
	}
	defer gz.close()
	zc, err := connectZkclient(ctx, o.servers)
	if err != nil {
		return fmt.Errorf("zkclient: %w", err)
	}
	defer zc.close()
	if err := zc.prepare(o.path, make([]byte, 100)); err != nil {
		return err
	}
	clients := []client{gz, zc}

	fmt.Printf("servers %s, server factory: %s\n", o.servers, factory)
	fmt.Printf("GOMAXPROCS %d, %d CPUs, %s, load average %s\n", runtime.GOMAXPROCS(0), runtime.NumCPU(), runtime.Version(), loadavg())
	fmt.Printf("%d rounds; %d callers for %v pipelined; %v of sequential getData for latency; %d getData per allocation count\n\n",
		o.rounds, o.callers, o.duration, o.duration, o.allocOps)

	// Warm up both clients and the server's JIT, off the clock.
	for _, c := range clients {
		if _, err := pipelined(c, o.path, o.callers, o.warmup); err != nil {
			return fmt.Errorf("%s warm-up: %w", c.name(), err)
		}
		if _, err := sequential(c, o.path, o.warmup/4); err != nil {
			return fmt.Errorf("%s warm-up: %w", c.name(), err)
		}
	}

	res := make([]results, len(clients))
	for round := 0; round < o.rounds; round++ {
		order := []int{0, 1}
		if round%2 == 1 {
			order = []int{1, 0}
		}
		for _, i := range order {
			c := clients[i]
			p, err := pipelined(c, o.path, o.callers, o.duration)
			if err != nil {
				return fmt.Errorf("%s pipelined: %w", c.name(), err)
			}
			a, err := allocsPerGet(c, o.path, o.allocOps)
			if err != nil {
				return fmt.Errorf("%s allocations: %w", c.name(), err)
			}
			l, err := sequential(c, o.path, o.duration)
			if err != nil {
				return fmt.Errorf("%s sequential: %w", c.name(), err)
			}
			r := &res[i]
			r.opsPerSec = append(r.opsPerSec, p.opsPerSec)
			r.cpuPerOp = append(r.cpuPerOp, p.cpuPerOp)
			r.reads = append(r.reads, p.reads)
			r.writes = append(r.writes, p.writes)
			r.allocs = append(r.allocs, a)
			r.p50 = append(r.p50, l.percentile(50))
			r.p99 = append(r.p99, l.percentile(99))
			fmt.Printf("round %d %-12s pipelined %7.0f ops/s, %5.1f µs CPU/op, %.2f reads + %.2f writes/op; %5.2f allocs/get; sequential p50 %6.1f µs, p99 %6.1f µs (n=%d)\n",
				round+1, c.name(), p.opsPerSec, us(p.cpuPerOp), p.reads, p.writes, a, us(l.percentile(50)), us(l.percentile(99)), len(l))
		}
	}
	fmt.Printf("\nload average after: %s\n\n", loadavg())
	printTable(res[0], res[1])
	return nil
}

// results holds one value per round for each measure.
type results struct {
	opsPerSec []float64
	cpuPerOp  []time.Duration
	reads     []float64 // system calls per op in the pipelined run
	writes    []float64
	allocs    []float64
	p50, p99  []time.Duration
}

func printTable(gozk, zkc results) {
	type row struct {
		name         string
		g, z         float64
		unit, target string
		ok           bool
		hasTarget    bool
	}
	mg, mz := median(gozk.opsPerSec), median(zkc.opsPerSec)
	cg, cz := us(medianD(gozk.cpuPerOp)), us(medianD(zkc.cpuPerOp))
	ag, az := median(gozk.allocs), median(zkc.allocs)
	pg, pz := us(medianD(gozk.p50)), us(medianD(zkc.p50))
	qg, qz := us(medianD(gozk.p99)), us(medianD(zkc.p99))
	rows := []row{
		{"pipelined getData", mg, mz, "ops/s", "≥ 1.5× go-zookeeper", mz >= 1.5*mg, true},
		{"client CPU per op", cg, cz, "µs", "≤ 0.5× go-zookeeper", cz <= 0.5*cg, true},
		{"read syscalls per op, pipelined", median(gozk.reads), median(zkc.reads), "", "", false, false},
		{"write syscalls per op, pipelined", median(gozk.writes), median(zkc.writes), "", "", false, false},
		{"allocations per getData", ag, az, "", "≤ 4", az <= 4, true},
		{"sequential getData p50", pg, pz, "µs", "≤ go-zookeeper", pz <= pg, true},
		{"sequential getData p99", qg, qz, "µs", "", false, false},
	}
	fmt.Println("medians:")
	fmt.Println("| measure | go-zookeeper | zkclient | zkclient / go-zookeeper | target | holds |")
	fmt.Println("|---|---|---|---|---|---|")
	for _, r := range rows {
		holds := "–"
		if r.hasTarget {
			holds = "no"
			if r.ok {
				holds = "yes"
			}
		}
		target := r.target
		if target == "" {
			target = "–"
		}
		fmt.Printf("| %s | %s | %s | %.2f | %s | %s |\n", r.name, format(r.g, r.unit), format(r.z, r.unit), r.z/r.g, target, holds)
	}
}

func format(v float64, unit string) string {
	switch unit {
	case "ops/s":
		return fmt.Sprintf("%.1fk ops/s", v/1000)
	case "µs":
		return fmt.Sprintf("%.1f µs", v)
	}
	return fmt.Sprintf("%.2f", v)
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	n := len(s)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func medianD(v []time.Duration) time.Duration {
	f := make([]float64, len(v))
	for i, d := range v {
		f[i] = float64(d)
	}
	return time.Duration(median(f))
}

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
