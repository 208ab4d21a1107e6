package main

import (
	"flag"
	"fmt"
	"syscall"
	"time"
)

// runOpenLoop times open+read+close of one file, call by call, after a
// warm-up, and reports the percentiles of one call.
func runOpenLoop(args []string) error {
	fs := flag.NewFlagSet("openloop", flag.ContinueOnError)
	file := fs.String("file", "", "file to open, read and close")
	n := fs.Int("n", 20000, "timed calls")
	warmup := fs.Int("warmup", 1000, "untimed calls first")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *file == "" || *n < 1 {
		return fmt.Errorf("--file and a positive --n are required")
	}
	buf := make([]byte, 4096)
	once := func() error {
		fd, err := syscall.Open(*file, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("open %s: %w", *file, err)
		}
		_, rerr := syscall.Read(fd, buf)
		cerr := syscall.Close(fd)
		if rerr != nil {
			return fmt.Errorf("read %s: %w", *file, rerr)
		}
		return cerr
	}
	for i := 0; i < *warmup; i++ {
		if err := once(); err != nil {
			return err
		}
	}
	d := make(durations, 0, *n)
	for i := 0; i < *n; i++ {
		start := time.Now()
		if err := once(); err != nil {
			return err
		}
		d = append(d, time.Since(start))
	}
	d.report("")
	return nil
}
