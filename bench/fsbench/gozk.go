package main

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/go-zookeeper/zk"
)

// quietLogger drops go-zookeeper's connection chatter.
type quietLogger struct{}

func (quietLogger) Printf(string, ...interface{}) {}

// connectGoZK opens a go-zookeeper session to servers ("h:p,h:p") and waits
// until it has a session. The event channel is drained by a goroutine that
// ends when the connection is closed (go-zookeeper closes the channel).
func connectGoZK(servers string) (*zk.Conn, error) {
	conn, events, err := zk.Connect(strings.Split(servers, ","), 30*time.Second,
		zk.WithLogger(quietLogger{}), zk.WithLogInfo(false), zk.WithMaxBufferSize(4<<20))
	if err != nil {
		return nil, err
	}
	deadline := time.After(30 * time.Second)
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				return nil, fmt.Errorf("connection to %s closed before a session", servers)
			}
			if ev.State == zk.StateHasSession {
				go func() {
					for range events {
					}
				}()
				return conn, nil
			}
		case <-deadline:
			conn.Close()
			return nil, fmt.Errorf("no session with %s within 30s", servers)
		}
	}
}

// durations is a sample of latencies.
type durations []time.Duration

// percentile returns the p-th percentile (0 < p <= 100, nearest rank).
func (d durations) percentile(p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append(durations(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	k := int(p/100*float64(len(s))+0.5) - 1
	if k < 0 {
		k = 0
	}
	if k >= len(s) {
		k = len(s) - 1
	}
	return s[k]
}

// report prints n, p50, p99 and max in microseconds with the given prefix.
func (d durations) report(prefix string) {
	fmt.Printf("%sn=%d\n", prefix, len(d))
	fmt.Printf("%sp50_us=%.1f\n", prefix, us(d.percentile(50)))
	fmt.Printf("%sp99_us=%.1f\n", prefix, us(d.percentile(99)))
	fmt.Printf("%smax_us=%.1f\n", prefix, us(d.percentile(100)))
}

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
