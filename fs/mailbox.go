package fs

import "sync"

// mailbox is an unbounded queue from any number of goroutines to the one
// that owns it: put never blocks, and the owner waits on kick (capacity 1,
// so a wake-up is never lost and never piles up) and then takes everything
// queued. mu guards items.
type mailbox[T any] struct {
	mu    sync.Mutex
	items []T
	kick  chan struct{}
}

func newMailbox[T any]() *mailbox[T] {
	return &mailbox[T]{kick: make(chan struct{}, 1)}
}

// put queues item and wakes the owner.
func (m *mailbox[T]) put(item T) {
	m.mu.Lock()
	m.items = append(m.items, item)
	m.mu.Unlock()
	select {
	case m.kick <- struct{}{}:
	default:
	}
}

// take returns everything queued, oldest first, and empties the mailbox.
func (m *mailbox[T]) take() []T {
	m.mu.Lock()
	defer m.mu.Unlock()
	items := m.items
	m.items = nil
	return items
}
