package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// runRSS prints VmRSS and VmHWM of a process from /proc/PID/status.
func runRSS(args []string) error {
	fs := flag.NewFlagSet("rss", flag.ContinueOnError)
	pid := fs.Int("pid", 0, "process id")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *pid <= 0 {
		return fmt.Errorf("--pid is required")
	}
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", *pid))
	if err != nil {
		return err
	}
	defer f.Close()
	found := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || (k != "VmRSS" && k != "VmHWM") {
			continue
		}
		fields := strings.Fields(v) // "12345 kB"
		if len(fields) != 2 || fields[1] != "kB" {
			return fmt.Errorf("unexpected %s line %q", k, sc.Text())
		}
		kb, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			return err
		}
		fmt.Printf("%s_mb=%.1f\n", strings.ToLower(k[2:]), float64(kb)/1024)
		found++
	}
	if err := sc.Err(); err != nil {
		return err
	}
	if found != 2 {
		return fmt.Errorf("no VmRSS/VmHWM in /proc/%d/status", *pid)
	}
	return nil
}
