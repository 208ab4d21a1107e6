package fs

import (
	"sync/atomic"
	"syscall"
)

// Process-wide counters of what the file system told the kernel; read by
// ReadStats (the daemon's /metrics). Atomics: hooks may be called from any
// goroutine.
var stats struct {
	invalEntry   atomic.Uint64 // NotifyEntry
	invalDelete  atomic.Uint64 // NotifyDelete
	invalContent atomic.Uint64 // NotifyContent
	invalFailed  atomic.Uint64 // notifications the kernel refused (other than ENOENT)
	trimmed      atomic.Uint64 // names dropped to bound the kernel's inodes (trim.go)
	stored       atomic.Uint64 // values pushed into the page cache (file.go: storePages)
	reads        atomic.Uint64 // READ requests for data files (file.go, handle.go)
	opens        atomic.Uint64 // OPEN requests for files (kernelopens.go)
	inotify      [inotifyKinds]atomic.Uint64
}

// Inotify event kinds counted by countInotify.
const (
	InotifyCreate = iota
	InotifyDelete
	InotifyModify
	InotifyAttrib
	InotifyOther
	inotifyKinds
)

// InotifyKindNames names the kinds in Stats.Inotify (for metric labels).
var InotifyKindNames = [inotifyKinds]string{"create", "delete", "modify", "attrib", "other"}

// countInval counts one kernel notification made by the notifier; what is
// the notifier's name for it ("entry", "delete", "content").
func countInval(what string, errno syscall.Errno) {
	switch what {
	case "entry":
		stats.invalEntry.Add(1)
	case "delete":
		stats.invalDelete.Add(1)
	default:
		stats.invalContent.Add(1)
	}
	if errno != 0 && errno != syscall.ENOENT {
		stats.invalFailed.Add(1)
	}
}

// countTrimmed counts names given up to bound the kernel's inodes.
func countTrimmed(n int) { stats.trimmed.Add(uint64(n)) }

// countInotify counts one inotify event that zkfs caused for a change made
// by another client (kind is one of the Inotify* constants).
func countInotify(kind int) {
	if kind < 0 || kind >= inotifyKinds {
		kind = InotifyOther
	}
	stats.inotify[kind].Add(1)
}

// Stats is a snapshot of the counters, for all mounts of this process.
type Stats struct {
	InvalEntry, InvalDelete, InvalContent uint64 // kernel invalidations sent, by kind
	InvalFailed                           uint64 // of which the kernel refused (not ENOENT)
	Trimmed                               uint64 // names dropped to bound the kernel's inodes
	Stored                                uint64 // data values pushed into the kernel's page cache
	Reads                                 uint64 // READ requests served for data files
	Opens                                 uint64 // OPEN requests for files
	Inotify                               [inotifyKinds]uint64
}

// ReadStats returns the counters.
func ReadStats() Stats {
	s := Stats{
		InvalEntry:   stats.invalEntry.Load(),
		InvalDelete:  stats.invalDelete.Load(),
		InvalContent: stats.invalContent.Load(),
		InvalFailed:  stats.invalFailed.Load(),
		Trimmed:      stats.trimmed.Load(),
		Stored:       stats.stored.Load(),
		Reads:        stats.reads.Load(),
		Opens:        stats.opens.Load(),
	}
	for i := range s.Inotify {
		s.Inotify[i] = stats.inotify[i].Load()
	}
	return s
}
