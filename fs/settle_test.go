package fs

import (
	"context"
	"errors"
	"testing"

	"github.com/zkfs/zkfs/jute"
	"github.com/zkfs/zkfs/zkclient"
)

// settleSource is a Source whose Data and Set are scripted; everything else
// is unused by settleUnknown (the nil interface panics if called).
type settleSource struct {
	Source
	data    []byte
	version int32
	sets    []int32 // versions asked for by Set
	setErr  error   // returned by the next Set (then cleared)
}

func (s *settleSource) Data(ctx context.Context, path string) ([]byte, jute.Stat, error) {
	return s.data, jute.Stat{Version: s.version}, nil
}

func (s *settleSource) Set(ctx context.Context, path string, data []byte, version int32) (jute.Stat, error) {
	s.sets = append(s.sets, version)
	if err := s.setErr; err != nil {
		s.setErr = nil
		return jute.Stat{}, err
	}
	if version != -1 && version != s.version {
		return jute.Stat{}, zkclient.ErrBadVersion
	}
	s.data, s.version = data, s.version+1
	return jute.Stat{Version: s.version}, nil
}

func TestSettleUnknown(t *testing.T) {
	loss := zkclient.ErrConnectionLoss
	ctx := context.Background()

	// Applied: our data at base+1; nothing is sent again.
	s := &settleSource{data: []byte("new"), version: 4}
	st, err := settleUnknown(ctx, s, "/a", []byte("new"), 3, loss)
	if err != nil || st.Version != 4 || len(s.sets) != 0 {
		t.Fatalf("applied: %v v%d sets %v", err, st.Version, s.sets)
	}
	// Not applied: still at base; sent once more as a CAS against base.
	s = &settleSource{data: []byte("old"), version: 3}
	st, err = settleUnknown(ctx, s, "/a", []byte("new"), 3, loss)
	if err != nil || st.Version != 4 || string(s.data) != "new" || len(s.sets) != 1 || s.sets[0] != 3 {
		t.Fatalf("not applied: %v v%d sets %v", err, st.Version, s.sets)
	}
	// The retry is lost too, but applied: settled by the next read.
	s = &settleSource{data: []byte("old"), version: 3}
	s2 := &lossThenApply{settleSource: s}
	st, err = settleUnknown(ctx, s2, "/a", []byte("new"), 3, loss)
	if err != nil || st.Version != 4 {
		t.Fatalf("retry lost but applied: %v v%d", err, st.Version)
	}
	// Another writer came in between: unknown, nothing sent.
	s = &settleSource{data: []byte("other"), version: 5}
	if _, err := settleUnknown(ctx, s, "/a", []byte("new"), 3, loss); !errors.Is(err, loss) || len(s.sets) != 0 {
		t.Fatalf("other writer: %v sets %v", err, s.sets)
	}
	// Same data but two versions on: not provably ours.
	s = &settleSource{data: []byte("new"), version: 5}
	if _, err := settleUnknown(ctx, s, "/a", []byte("new"), 3, loss); !errors.Is(err, loss) || len(s.sets) != 0 {
		t.Fatalf("two versions on: %v sets %v", err, s.sets)
	}
}

// lossThenApply applies a Set and then reports it lost.
type lossThenApply struct{ *settleSource }

func (l *lossThenApply) Set(ctx context.Context, path string, data []byte, version int32) (jute.Stat, error) {
	l.sets = append(l.sets, version)
	l.data, l.version = data, l.version+1
	return jute.Stat{}, zkclient.ErrConnectionLoss
}
