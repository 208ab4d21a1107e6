package zkclient

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/zkfs/zkfs/jute"
)

func TestParseServers(t *testing.T) {
	hp := func(h, p string) hostPort { return hostPort{h, p} }
	good := []struct {
		in     string
		hosts  []hostPort
		chroot string
	}{
		{"127.0.0.1:2181", []hostPort{hp("127.0.0.1", "2181")}, ""},
		{"zk1", []hostPort{hp("zk1", "2181")}, ""},
		{"zk1:2000,zk2,zk3:3000", []hostPort{hp("zk1", "2000"), hp("zk2", "2181"), hp("zk3", "3000")}, ""},
		{" zk1:1 , zk2 ", []hostPort{hp("zk1", "1"), hp("zk2", "2181")}, ""},
		{"zk1:1,,zk2:2,", []hostPort{hp("zk1", "1"), hp("zk2", "2")}, ""},
		{"[::1]:2182", []hostPort{hp("::1", "2182")}, ""},
		{"[::1]", []hostPort{hp("::1", "2181")}, ""},
		{"[fe80::1%eth0]:7,10.0.0.1:8", []hostPort{hp("fe80::1%eth0", "7"), hp("10.0.0.1", "8")}, ""},
		{"zk1:2181/app", []hostPort{hp("zk1", "2181")}, "/app"},
		{"zk1,[::1]:5/app/sub dir", []hostPort{hp("zk1", "2181"), hp("::1", "5")}, "/app/sub dir"},
		{"zk1:2181/", []hostPort{hp("zk1", "2181")}, ""},
		{"zk1:65535", []hostPort{hp("zk1", "65535")}, ""},
	}
	for _, tc := range good {
		hosts, chroot, err := parseServers(tc.in)
		if err != nil || !slices.Equal(hosts, tc.hosts) || chroot != tc.chroot {
			t.Errorf("parseServers(%q) = %v, %q, %v; want %v, %q", tc.in, hosts, chroot, err, tc.hosts, tc.chroot)
		}
	}
	bad := []struct{ in, why string }{
		{"", "names no server"},
		{" , ", "names no server"},
		{"/app", "names no server"},
		{"::1:2181", "brackets"},
		{"fe80::1", "brackets"},
		{"[::1", "missing ']'"},
		{"[::1]2181", "junk after ']'"},
		{"[::1]:", "bad port"},
		{"[]:2181", "empty host"},
		{":2181", "empty host"},
		{"zk1:", "bad port"},
		{"zk1:0", "bad port"},
		{"zk1:65536", "bad port"},
		{"zk1:-1", "bad port"},
		{"zk1:http", "bad port"},
		{"zk1,zk2:x", "bad port"},
		{"zk1/app/", "chroot"},
		{"zk1/app//x", "chroot"},
		{"zk1/app/../x", "chroot"},
		{"zk1/a\x00", "chroot"},
	}
	for _, tc := range bad {
		_, _, err := parseServers(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.why) {
			t.Errorf("parseServers(%q) = %v; want an error about %q", tc.in, err, tc.why)
		}
	}
	if _, _, err := parseServers("zk1/a/"); !strings.Contains(err.Error(), ErrInvalidPath.Error()) {
		t.Errorf("a bad chroot does not say the path is invalid: %v", err)
	}
}

func TestConfigDefaults(t *testing.T) {
	cfg := Config{}.withDefaults(3)
	if cfg.SessionTimeout != 10*time.Second || cfg.DialTimeout != 10*time.Second/3 ||
		cfg.MaxFrame != jute.DefaultMaxFrame || cfg.Logger == nil {
		t.Fatalf("defaults: %+v", cfg)
	}
	if cfg := (Config{SessionTimeout: 4 * time.Second}).withDefaults(8); cfg.DialTimeout != time.Second {
		t.Fatalf("dial timeout floor: %v", cfg.DialTimeout)
	}
	if cfg := (Config{DialTimeout: time.Minute, MaxFrame: 100}).withDefaults(1); cfg.DialTimeout != time.Minute || cfg.MaxFrame != 100 {
		t.Fatalf("explicit values overwritten: %+v", cfg)
	}
}

func TestChrootPaths(t *testing.T) {
	c := &Client{chroot: "/app"}
	for in, want := range map[string]string{"/": "/app", "/a": "/app/a", "/a/b": "/app/a/b"} {
		if got := c.serverPath(in); got != want {
			t.Errorf("serverPath(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"/app": "/", "/app/a": "/a", "/app/a/b": "/a/b", "/apple": "/apple", "/other": "/other"} {
		if got := c.clientPath(in); got != want {
			t.Errorf("clientPath(%q) = %q, want %q", in, got, want)
		}
	}
	plain := &Client{}
	if plain.serverPath("/a") != "/a" || plain.clientPath("/a") != "/a" {
		t.Error("paths changed without a chroot")
	}
}

// SetWatches2 requests are cut into frames of at most 128 KiB, and together
// carry every watch, each in its own list.
func TestSetWatchesBatches(t *testing.T) {
	w := newWatchSet()
	want := map[watchKind][]string{}
	long := strings.Repeat("x", 200)
	kinds := []watchKind{watchData, watchExist, watchChild, watchPersistent, watchRecursive}
	for i := range 5000 {
		k := kinds[i%len(kinds)]
		p := "/" + long + "/" + strings.Repeat("y", i%50) + "/" + string(rune('a'+i%26)) + "/" + strconv.Itoa(i)
		w.add(k, p)
		want[k] = append(want[k], p)
	}
	if w.count() != 5000 {
		t.Fatalf("count %d", w.count())
	}
	reqs := w.setWatches(1234)
	if len(reqs) < 8 {
		t.Fatalf("%d requests for about 1 MiB of paths", len(reqs))
	}
	got := map[watchKind][]string{}
	for _, r := range reqs {
		if n := jute.FrameLength(r.buf, r.start); n > setWatchesBatchMax {
			t.Fatalf("SetWatches2 frame of %d bytes", n)
		}
		d := jute.NewDecoder(r.buf[r.start+4:])
		var h jute.RequestHeader
		var sw jute.SetWatches2
		if err := h.Decode(d); err != nil || h.Xid != jute.XidSetWatches || h.Type != jute.OpSetWatches2 {
			t.Fatalf("header %+v %v", h, err)
		}
		if err := sw.Decode(d); err != nil || d.Remaining() != 0 || sw.RelativeZxid != 1234 {
			t.Fatalf("body: %v, %d bytes left, relative zxid %d", err, d.Remaining(), sw.RelativeZxid)
		}
		lists := [][]string{sw.DataWatches, sw.ExistWatches, sw.ChildWatches, sw.PersistentWatches, sw.PersistentRecursiveWatches}
		for i, l := range lists {
			if l == nil {
				t.Fatal("a null list: the server wants empty ones")
			}
			got[kinds[i]] = append(got[kinds[i]], l...)
		}
		r.release()
	}
	for _, k := range kinds {
		slices.Sort(got[k])
		slices.Sort(want[k])
		if !slices.Equal(got[k], want[k]) {
			t.Fatalf("kind %d: %d paths restored, want %d", k, len(got[k]), len(want[k]))
		}
	}
	if reqs := newWatchSet().setWatches(1); len(reqs) != 0 {
		t.Fatalf("%d requests without watches", len(reqs))
	}
}

// The registry follows the server's rules for which events end which
// one-shot watches.
func TestWatchSetEvents(t *testing.T) {
	w := newWatchSet()
	w.add(watchData, "/d")
	w.add(watchExist, "/e")
	w.add(watchChild, "/d")
	w.add(watchPersistent, "/d")
	w.add(watchRecursive, "/")
	w.onEvent(jute.EventNodeChildrenChanged, "/d")
	w.onEvent(jute.EventNodeCreated, "/e")
	if _, ok := w.kinds[watchChild]["/d"]; ok || w.count() != 3 {
		t.Fatalf("after child and created events: %v", w.kinds)
	}
	w.onEvent(jute.EventNodeDeleted, "/d")
	if w.count() != 2 {
		t.Fatalf("persistent watches must stay: %v", w.kinds)
	}
	if evs := w.remove("/d", jute.WatcherAny); !slices.Equal(evs, []jute.EventType{jute.EventPersistentWatchRemoved}) {
		t.Fatalf("remove: %v", evs)
	}
	w.add(watchData, "/x")
	w.add(watchExist, "/x")
	if evs := w.remove("/x", jute.WatcherData); !slices.Equal(evs, []jute.EventType{jute.EventDataWatchRemoved}) {
		t.Fatalf("data and exist removal: %v", evs)
	}
}
