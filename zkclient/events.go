package zkclient

import (
	"sync"

	"github.com/zkfs/zkfs/jute"
)

// Event is a watch notification (Type is a node event, State
// StateSyncConnected) or a session state change (Type jute.EventNone).
type Event struct {
	Type  jute.EventType
	State jute.KeeperState
	// Path is the node's path as the caller sees it (chroot removed); empty
	// for state changes.
	Path string
	// Zxid is the zxid of the notification frame's header (-1 when the
	// server sent none, and for events the client made).
	Zxid int64
	// Server is the server connected to, for StateSyncConnected and
	// StateConnectedReadOnly state events.
	Server string
}

// eventQueue carries events from the reader and the session goroutine to
// the application without ever blocking them and without dropping: an
// unbounded queue drained by one dispatcher goroutine into out.
type eventQueue struct {
	out    chan Event
	signal chan struct{} // capacity 1: the queue changed
	quit   chan struct{} // closed by Client.Close: stop delivering

	mu     sync.Mutex // guards q and ended
	q      []Event
	ended  bool // no more pushes; out closes once q is delivered
	closed chan struct{}
}

func newEventQueue(quit chan struct{}) *eventQueue {
	e := &eventQueue{out: make(chan Event, 16), signal: make(chan struct{}, 1), quit: quit, closed: make(chan struct{})}
	go e.run()
	return e
}

func (e *eventQueue) push(ev Event) {
	e.mu.Lock()
	if !e.ended {
		e.q = append(e.q, ev)
	}
	e.mu.Unlock()
	select {
	case e.signal <- struct{}{}:
	default:
	}
}

// end pushes the last event; out is closed after it is delivered.
func (e *eventQueue) end(last Event) {
	e.mu.Lock()
	if !e.ended {
		e.q = append(e.q, last)
		e.ended = true
	}
	e.mu.Unlock()
	select {
	case e.signal <- struct{}{}:
	default:
	}
}

// run is the dispatcher goroutine. It exits once the queue has ended and
// is empty, or when quit closes (after Close nobody is owed more events).
func (e *eventQueue) run() {
	defer close(e.closed)
	defer close(e.out)
	var batch []Event
	for {
		e.mu.Lock()
		batch, e.q = e.q, batch[:0]
		ended := e.ended
		e.mu.Unlock()
		for i, ev := range batch {
			select {
			case e.out <- ev:
			case <-e.quit:
				return
			}
			batch[i] = Event{}
		}
		if len(batch) == 0 && ended {
			return
		}
		if len(batch) == 0 {
			select {
			case <-e.signal:
			case <-e.quit:
				return
			}
		}
	}
}
