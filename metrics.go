package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/zkfs/zkfs/cache"
	zkfs "github.com/zkfs/zkfs/fs"
	"github.com/zkfs/zkfs/jute"
)

// metrics are the daemon's Prometheus metrics. Request counts and latencies
// are observed as replies arrive (zkclient.Config.OnReply); everything else
// is read from the cache and the file system when /metrics is scraped.
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	cache    atomic.Pointer[cache.Cache] // nil until connected
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "zkfs_zookeeper_requests_total",
			Help: "ZooKeeper replies by operation and result (ok or the server's error code).",
		}, []string{"op", "result"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "zkfs_zookeeper_request_duration_seconds",
			Help:    "Time from a ZooKeeper call to its reply, by operation.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 4, 9), // 0.1 ms .. 6.6 s
		}, []string{"op"}),
	}
	m.reg.MustRegister(m.requests, m.latency, (*stateCollector)(m),
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// observe is the zkclient reply hook; it runs on the connection's reader.
func (m *metrics) observe(op jute.OpCode, code jute.ErrCode, d time.Duration) {
	result := "ok"
	if code != jute.ErrOK {
		result = code.String()
	}
	name := op.String()
	m.requests.WithLabelValues(name, result).Inc()
	m.latency.WithLabelValues(name).Observe(d.Seconds())
}

// stateCollector reads the cache's and the file system's counters at scrape
// time.
type stateCollector metrics

var (
	descState = prometheus.NewDesc("zkfs_zookeeper_session_state",
		"1 for the current ZooKeeper session state, 0 for the others.", []string{"state"}, nil)
	descReconnects = prometheus.NewDesc("zkfs_zookeeper_reconnects_total",
		"Connections to ZooKeeper lost within a session (each followed by reconnecting).", nil, nil)
	descExpired = prometheus.NewDesc("zkfs_zookeeper_session_expirations_total",
		"ZooKeeper sessions that expired.", nil, nil)
	descNewSessions = prometheus.NewDesc("zkfs_zookeeper_new_sessions_total",
		"ZooKeeper sessions started to replace an expired one.", nil, nil)
	descHits = prometheus.NewDesc("zkfs_cache_hits_total",
		"Stat, data and child-list lookups answered from the znode cache.", nil, nil)
	descMisses = prometheus.NewDesc("zkfs_cache_misses_total",
		"Stat, data and child-list lookups that asked ZooKeeper.", nil, nil)
	descEntries = prometheus.NewDesc("zkfs_cache_entries",
		"Znodes in the cache holding a stat, data or a child list.", nil, nil)
	descInval = prometheus.NewDesc("zkfs_kernel_invalidations_total",
		"Kernel cache invalidations sent, by kind (entry, delete, content).", []string{"kind"}, nil)
	descTrimmed = prometheus.NewDesc("zkfs_kernel_names_trimmed_total",
		"Names the kernel was asked to drop to keep its inodes under --max-inodes.", nil, nil)
	descStored = prometheus.NewDesc("zkfs_kernel_pages_stored_total",
		"Data values pushed into the kernel's page cache (at a read-only open; on read-only mounts at the end of a listing).", nil, nil)
	descReads = prometheus.NewDesc("zkfs_data_reads_total",
		"READ requests the kernel sent for data files (values not in its page cache).", nil, nil)
	descOpens = prometheus.NewDesc("zkfs_file_opens_total",
		"OPEN requests the kernel sent for files (read-only mounts: one, then the kernel opens files itself).", nil, nil)
	descInvalFailed = prometheus.NewDesc("zkfs_kernel_invalidation_failures_total",
		"Kernel cache invalidations the kernel refused (other than ENOENT).", nil, nil)
	descInotify = prometheus.NewDesc("zkfs_inotify_events_total",
		"inotify events caused for changes made by other ZooKeeper clients, by kind.", []string{"kind"}, nil)
	descBuild = prometheus.NewDesc("zkfs_build_info", "The zkfs version.", []string{"version"}, nil)
)

// sessionStates are the states zkfs_zookeeper_session_state reports.
var sessionStates = []jute.KeeperState{jute.StateDisconnected, jute.StateSyncConnected,
	jute.StateConnectedReadOnly, jute.StateAuthFailed, jute.StateExpired, jute.StateClosed}

func (s *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descState, descReconnects, descExpired, descNewSessions,
		descHits, descMisses, descEntries, descInval, descInvalFailed, descTrimmed, descStored, descReads, descOpens, descInotify, descBuild} {
		ch <- d
	}
}

func (s *stateCollector) Collect(ch chan<- prometheus.Metric) {
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	gauge(descBuild, 1, version)
	cur := jute.StateDisconnected // until the first connection
	if c := s.cache.Load(); c != nil {
		cur = c.Client().State()
		cs := c.Stats()
		counter(descReconnects, cs.Losses)
		counter(descExpired, cs.Expirations)
		counter(descNewSessions, cs.NewSessions)
		counter(descHits, cs.Hits)
		counter(descMisses, cs.Misses)
		gauge(descEntries, float64(cs.Cached))
	}
	for _, st := range sessionStates {
		v := 0.0
		if st == cur {
			v = 1
		}
		gauge(descState, v, st.String())
	}
	fsStats := zkfs.ReadStats()
	counter(descInval, fsStats.InvalEntry, "entry")
	counter(descInval, fsStats.InvalDelete, "delete")
	counter(descInval, fsStats.InvalContent, "content")
	counter(descInvalFailed, fsStats.InvalFailed)
	counter(descTrimmed, fsStats.Trimmed)
	counter(descStored, fsStats.Stored)
	counter(descReads, fsStats.Reads)
	counter(descOpens, fsStats.Opens)
	for i, n := range fsStats.Inotify {
		counter(descInotify, n, zkfs.InotifyKindNames[i])
	}
}

// serveMetrics serves /metrics on l until stop is called.
func (m *metrics) serve(l net.Listener, log *slog.Logger) (stop func()) {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics server failed", "err", err)
		}
	}()
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		<-done
	}
}
