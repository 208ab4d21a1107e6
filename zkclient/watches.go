package zkclient

import (
	"sync"

	"github.com/zkfs/zkfs/jute"
)

// watchSet records the watches the server holds for this session, by server
// path, so that they can be set again on a new connection. The reader
// updates it in wire order (registrations on replies, removals on
// notifications); the session goroutine reads it between connections.
type watchSet struct {
	mu    sync.Mutex // guards kinds
	kinds [watchRecursive + 1]map[string]struct{}
}

func newWatchSet() *watchSet {
	w := &watchSet{}
	for k := watchData; k <= watchRecursive; k++ {
		w.kinds[k] = map[string]struct{}{}
	}
	return w
}

func (w *watchSet) add(k watchKind, path string) {
	w.mu.Lock()
	w.kinds[k][path] = struct{}{}
	w.mu.Unlock()
}

// onEvent drops the one-shot watches a notification fired.
func (w *watchSet) onEvent(t jute.EventType, path string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch t {
	case jute.EventNodeCreated:
		delete(w.kinds[watchExist], path)
	case jute.EventNodeDataChanged:
		delete(w.kinds[watchData], path)
		delete(w.kinds[watchExist], path)
	case jute.EventNodeDeleted:
		delete(w.kinds[watchData], path)
		delete(w.kinds[watchExist], path)
		delete(w.kinds[watchChild], path)
	case jute.EventNodeChildrenChanged:
		delete(w.kinds[watchChild], path)
	}
}

// remove drops the watches removeWatches removed and returns the events the
// application is told about, as the Java client does.
func (w *watchSet) remove(path string, t jute.WatcherType) []jute.EventType {
	w.mu.Lock()
	defer w.mu.Unlock()
	var evs []jute.EventType
	take := func(k watchKind, ev jute.EventType) {
		if _, ok := w.kinds[k][path]; ok {
			delete(w.kinds[k], path)
			evs = append(evs, ev)
		}
	}
	if t == jute.WatcherData || t == jute.WatcherAny {
		take(watchData, jute.EventDataWatchRemoved)
		take(watchExist, jute.EventDataWatchRemoved)
	}
	if t == jute.WatcherChildren || t == jute.WatcherAny {
		take(watchChild, jute.EventChildWatchRemoved)
	}
	if t == jute.WatcherAny {
		take(watchPersistent, jute.EventPersistentWatchRemoved)
		take(watchRecursive, jute.EventPersistentWatchRemoved)
	}
	// Data and exist removals announce one event between them.
	if len(evs) > 1 && evs[0] == jute.EventDataWatchRemoved && evs[1] == jute.EventDataWatchRemoved {
		evs = evs[1:]
	}
	return evs
}

// count returns how many watches are registered.
func (w *watchSet) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for k := watchData; k <= watchRecursive; k++ {
		n += len(w.kinds[k])
	}
	return n
}

// setWatchesBatchMax bounds one SetWatches2 frame, as the Java client does.
const setWatchesBatchMax = 128 << 10

// setWatches builds the SetWatches2 requests that restore every watch,
// each frame at most setWatchesBatchMax bytes.
func (w *watchSet) setWatches(relZxid int64) []*request {
	w.mu.Lock()
	defer w.mu.Unlock()
	var reqs []*request
	var cur jute.SetWatches2
	size := 0
	var lists []*[]string
	flush := func() {
		if size == 0 {
			return
		}
		cur.RelativeZxid = relZxid
		for _, l := range lists {
			if *l == nil {
				*l = []string{} // the server wants empty lists, not null ones
			}
		}
		r := newRequest(jute.OpSetWatches2)
		r.buf = cur.Append(r.buf)
		r.buf = jute.EndFrame(r.buf, r.start)
		r.setXid(jute.XidSetWatches)
		r.notify = false
		reqs = append(reqs, r)
		cur, size = jute.SetWatches2{}, 0
	}
	lists = []*[]string{&cur.DataWatches, &cur.ExistWatches, &cur.ChildWatches, &cur.PersistentWatches, &cur.PersistentRecursiveWatches}
	for i, k := range []watchKind{watchData, watchExist, watchChild, watchPersistent, watchRecursive} {
		for p := range w.kinds[k] {
			if size+len(p)+4 > setWatchesBatchMax-64 {
				flush()
			}
			*lists[i] = append(*lists[i], p)
			size += len(p) + 4
		}
	}
	flush()
	return reqs
}
