package fs

import (
	"context"
	"errors"
	"testing"
	"time"
)

// waitClosed fails t unless done is closed within 10 s.
func waitClosed(t *testing.T, done <-chan struct{}, when string) {
	t.Helper()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("Done not closed %s", when)
	}
}

func TestOpCtx(t *testing.T) {
	t.Run("TimesOut", func(t *testing.T) {
		ctx, cancel := newOpCtx(context.Background(), 20*time.Millisecond)
		defer cancel()
		if err := ctx.Err(); err != nil {
			t.Fatalf("fresh: %v", err)
		}
		waitClosed(t, ctx.Done(), "after the timeout")
		if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
			t.Fatalf("after the timeout: %v", ctx.Err())
		}
	})
	t.Run("DeadlineWithoutArming", func(t *testing.T) {
		ctx, cancel := newOpCtx(context.Background(), time.Millisecond)
		defer cancel()
		if d, ok := ctx.Deadline(); !ok || time.Until(d) > time.Millisecond {
			t.Fatalf("deadline %v %v", d, ok)
		}
		time.Sleep(5 * time.Millisecond)
		if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
			t.Fatalf("past the deadline, never armed: %v", ctx.Err())
		}
	})
	t.Run("ParentCancel", func(t *testing.T) {
		parent, pcancel := context.WithCancel(context.Background())
		ctx, cancel := newOpCtx(parent, time.Hour)
		defer cancel()
		done := ctx.Done()
		pcancel()
		waitClosed(t, done, "when the kernel request was interrupted")
		if !errors.Is(ctx.Err(), context.Canceled) {
			t.Fatalf("after the parent's cancel: %v", ctx.Err())
		}
	})
	t.Run("StoppedBeforeAndAfterArming", func(t *testing.T) {
		ctx, cancel := newOpCtx(context.Background(), time.Hour)
		cancel()
		if !errors.Is(ctx.Err(), context.Canceled) {
			t.Fatalf("stopped, never armed: %v", ctx.Err())
		}
		select {
		case <-ctx.Done():
		default:
			t.Fatal("Done of a stopped context is open")
		}
		ctx, cancel = newOpCtx(context.Background(), time.Hour)
		done := ctx.Done()
		cancel()
		waitClosed(t, done, "by cancel")
	})
	t.Run("EarlierParentDeadline", func(t *testing.T) {
		parent, pcancel := context.WithTimeout(context.Background(), time.Minute)
		defer pcancel()
		ctx, cancel := newOpCtx(parent, time.Hour)
		defer cancel()
		pd, _ := parent.Deadline()
		if d, _ := ctx.Deadline(); !d.Equal(pd) {
			t.Fatalf("deadline %v, want the parent's %v", d, pd)
		}
	})
}
