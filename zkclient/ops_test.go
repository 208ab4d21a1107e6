package zkclient

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zkfs/zkfs/jute"
)

var seqSuffix = regexp.MustCompile(`^[0-9]{10}$`)

func TestCreateModes(t *testing.T) {
	c := connectShared(t)
	ctx := testCtx(t)
	base := testBase(t, c)
	sid := c.SessionID()

	// PERSISTENT, with the Stat the server returns.
	p, st, err := c.Create(ctx, base+"/p", []byte("pdata"), jute.ModePersistent, nil)
	if err != nil || p != base+"/p" {
		t.Fatalf("persistent: %q %v", p, err)
	}
	if st.Czxid == 0 || st.Czxid != st.Mzxid || st.Version != 0 || st.DataLength != 5 || st.EphemeralOwner != 0 || st.NumChildren != 0 {
		t.Fatalf("persistent stat: %+v", st)
	}
	got, gst, err := c.Get(ctx, base+"/p")
	if err != nil || string(got) != "pdata" || gst != st {
		t.Fatalf("get after create: %q %+v %v (create stat %+v)", got, gst, err, st)
	}

	// EPHEMERAL: owned by this session.
	p, st, err = c.Create(ctx, base+"/e", nil, jute.ModeEphemeral, nil)
	if err != nil || p != base+"/e" || st.EphemeralOwner != sid {
		t.Fatalf("ephemeral: %q %+v %v (session %#x)", p, st, err, sid)
	}

	// Sequential modes: a 10-digit suffix from the parent's cversion.
	var seqs []string
	for _, m := range []jute.CreateMode{jute.ModePersistentSequential, jute.ModeEphemeralSequential, jute.ModePersistentSequential} {
		p, st, err := c.Create(ctx, base+"/s-", []byte("x"), m, nil)
		if err != nil {
			t.Fatalf("%v: %v", m, err)
		}
		suffix, ok := strings.CutPrefix(p, base+"/s-")
		if !ok || !seqSuffix.MatchString(suffix) {
			t.Fatalf("%v: path %q", m, p)
		}
		if m.IsEphemeral() != (st.EphemeralOwner == sid) {
			t.Fatalf("%v: ephemeralOwner %#x", m, st.EphemeralOwner)
		}
		seqs = append(seqs, suffix)
	}
	if !slices.IsSorted(seqs) || seqs[0] == seqs[1] || seqs[1] == seqs[2] {
		t.Fatalf("sequence numbers not increasing: %v", seqs)
	}
	// A sequential create may end in "/": the server names the node.
	p, _, err = c.Create(ctx, base+"/p/", nil, jute.ModePersistentSequential, nil)
	if err != nil || !seqSuffix.MatchString(strings.TrimPrefix(p, base+"/p/")) {
		t.Fatalf("sequential under a trailing slash: %q %v", p, err)
	}

	// CONTAINER: deleted by the server once its last child goes. (The
	// server keeps the container and TTL markers in ephemeralOwner but
	// reports 0 to clients.)
	p, st, err = c.Create(ctx, base+"/c", nil, jute.ModeContainer, nil)
	if err != nil || p != base+"/c" || st.Czxid == 0 || st.EphemeralOwner != 0 {
		t.Fatalf("container: %q %+v %v", p, st, err)
	}
	mustCreate(t, c, base+"/c/child", nil)
	if err := c.Delete(ctx, base+"/c/child", -1); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "container removed", func() bool {
		_, ok, err := c.Exists(ctx, base+"/c")
		return err == nil && !ok
	})

	// TTL modes go through CreateTTL.
	if _, _, err := c.Create(ctx, base+"/ttl", nil, jute.ModePersistentTTL, nil); !errors.Is(err, ErrBadArguments) {
		t.Fatalf("Create with a TTL mode: %v", err)
	}
	if _, _, err := c.CreateTTL(ctx, base+"/ttl", nil, jute.ModePersistent, nil, time.Second); !errors.Is(err, ErrBadArguments) {
		t.Fatalf("CreateTTL with a plain mode: %v", err)
	}
	if _, _, err := c.CreateTTL(ctx, base+"/ttl", nil, jute.ModePersistentTTL, nil, 0); !errors.Is(err, ErrBadArguments) {
		t.Fatalf("CreateTTL without a ttl: %v", err)
	}
	if _, _, err := c.Create(ctx, base+"/bad", nil, jute.CreateMode(9), nil); !errors.Is(err, ErrBadArguments) {
		t.Fatalf("Create with mode 9: %v", err)
	}
	p, st, err = c.CreateTTL(ctx, base+"/ttl", []byte("t"), jute.ModePersistentTTL, nil, 400*time.Millisecond)
	if err != nil || p != base+"/ttl" || st.Czxid == 0 || st.EphemeralOwner != 0 || st.DataLength != 1 {
		t.Fatalf("ttl: %q %+v %v", p, st, err)
	}
	p, st, err = c.CreateTTL(ctx, base+"/ttls-", nil, jute.ModePersistentSequentialTTL, nil, time.Hour)
	if err != nil || !seqSuffix.MatchString(strings.TrimPrefix(p, base+"/ttls-")) || st.Czxid == 0 {
		t.Fatalf("sequential ttl: %q %+v %v", p, st, err)
	}
	eventually(t, 30*time.Second, "TTL node removed", func() bool {
		_, ok, err := c.Exists(ctx, base+"/ttl")
		return err == nil && !ok
	})
	if _, ok, err := c.Exists(ctx, p); !ok || err != nil {
		t.Fatalf("the one-hour TTL node went: %v %v", ok, err)
	}
}

func TestCreateErrors(t *testing.T) {
	c := connectShared(t)
	ctx := testCtx(t)
	base := testBase(t, c)

	mustCreate(t, c, base+"/a", nil)
	_, _, err := c.Create(ctx, base+"/a", nil, jute.ModePersistent, nil)
	wantErr(t, err, ErrNodeExists, "create", base+"/a")
	_, _, err = c.Create(ctx, base+"/missing/a", nil, jute.ModePersistent, nil)
	wantErr(t, err, ErrNoNode, "create", base+"/missing/a")
	if _, _, err := c.Create(ctx, base+"/eph", nil, jute.ModeEphemeral, nil); err != nil {
		t.Fatal(err)
	}
	_, _, err = c.Create(ctx, base+"/eph/kid", nil, jute.ModePersistent, nil)
	wantErr(t, err, ErrNoChildrenForEphemerals, "create", base+"/eph/kid")
	_, _, err = c.Create(ctx, base+"/noacl", nil, jute.ModePersistent, []jute.ACL{})
	wantErr(t, err, ErrInvalidACL, "create", base+"/noacl")
}

// wantErr checks that err wraps want and that its text names op and path.
func wantErr(t testing.TB, err, want error, op, path string) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s %s: got %v, want %v", op, path, err, want)
	}
	var ze *Error
	if !errors.As(err, &ze) || ze.Op != op || ze.Path != path {
		t.Fatalf("%s %s: error %#v does not name the op and path", op, path, err)
	}
	if msg := err.Error(); !strings.Contains(msg, op) || !strings.Contains(msg, path) || !strings.Contains(msg, want.Error()) {
		t.Fatalf("error text %q does not name %s, %s and %q", msg, op, path, want)
	}
}

func TestDeleteExists(t *testing.T) {
	c := connectShared(t)
	ctx := testCtx(t)
	base := testBase(t, c)

	st := mustCreate(t, c, base+"/a", []byte("x"))
	mustCreate(t, c, base+"/a/kid", nil)
	est, ok, err := c.Exists(ctx, base+"/a")
	if err != nil || !ok || est.Czxid != st.Czxid || est.NumChildren != 1 {
		t.Fatalf("exists: %+v %v %v", est, ok, err)
	}
	wantErr(t, c.Delete(ctx, base+"/a", -1), ErrNotEmpty, "delete", base+"/a")
	wantErr(t, c.Delete(ctx, base+"/a/kid", 5), ErrBadVersion, "delete", base+"/a/kid")
	if err := c.Delete(ctx, base+"/a/kid", 0); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(ctx, base+"/a", -1); err != nil {
		t.Fatal(err)
	}
	wantErr(t, c.Delete(ctx, base+"/a", -1), ErrNoNode, "delete", base+"/a")
	est, ok, err = c.Exists(ctx, base+"/a")
	if err != nil || ok || est != (jute.Stat{}) {
		t.Fatalf("exists after delete: %+v %v %v", est, ok, err)
	}
}

func TestGetSet(t *testing.T) {
	c := connectShared(t)
	ctx := testCtx(t)
	base := testBase(t, c)

	// Binary data, every byte value.
	bin := make([]byte, 512)
	for i := range bin {
		bin[i] = byte(i)
	}
	mustCreate(t, c, base+"/bin", bin)
	got, st, err := c.Get(ctx, base+"/bin")
	if err != nil || !bytes.Equal(got, bin) || st.DataLength != 512 {
		t.Fatalf("binary: %d bytes, %+v, %v", len(got), st, err)
	}

	// Null data stays null, empty data stays empty.
	mustCreate(t, c, base+"/null", nil)
	mustCreate(t, c, base+"/empty", []byte{})
	if got, st, err := c.Get(ctx, base+"/null"); err != nil || got != nil || st.DataLength != 0 {
		t.Fatalf("null data: %#v %+v %v", got, st, err)
	}
	if got, _, err := c.Get(ctx, base+"/empty"); err != nil || got == nil || len(got) != 0 {
		t.Fatalf("empty data: %#v %v", got, err)
	}

	// Set: versions, Stat, conditional updates.
	st1, err := c.Set(ctx, base+"/bin", []byte("v1"), st.Version)
	if err != nil || st1.Version != st.Version+1 || st1.DataLength != 2 || st1.Mzxid <= st.Mzxid || st1.Czxid != st.Czxid {
		t.Fatalf("set: %+v %v (before %+v)", st1, err, st)
	}
	_, err = c.Set(ctx, base+"/bin", []byte("v2"), st.Version)
	wantErr(t, err, ErrBadVersion, "set", base+"/bin")
	st2, err := c.Set(ctx, base+"/bin", []byte("v2"), -1)
	if err != nil || st2.Version != st1.Version+1 {
		t.Fatalf("set -1: %+v %v", st2, err)
	}
	if got, gst, err := c.Get(ctx, base+"/bin"); err != nil || string(got) != "v2" || gst != st2 {
		t.Fatalf("get after set: %q %+v %v (set stat %+v)", got, gst, err, st2)
	}
	if _, err := c.Set(ctx, base+"/bin", nil, -1); err != nil {
		t.Fatal(err)
	}
	if got, _, err := c.Get(ctx, base+"/bin"); err != nil || got != nil {
		t.Fatalf("null after set nil: %#v %v", got, err)
	}

	_, _, err = c.Get(ctx, base+"/nope")
	wantErr(t, err, ErrNoNode, "get", base+"/nope")
	_, err = c.Set(ctx, base+"/nope", nil, -1)
	wantErr(t, err, ErrNoNode, "set", base+"/nope")
}

func TestChildren(t *testing.T) {
	c := connectShared(t)
	ctx := testCtx(t)
	base := testBase(t, c)

	kids, st, err := c.Children(ctx, base)
	if err != nil || kids == nil || len(kids) != 0 || st.NumChildren != 0 {
		t.Fatalf("no children: %#v %+v %v", kids, st, err)
	}
	want := []string{"a", "b", "c d", "ünï"}
	for _, k := range want {
		mustCreate(t, c, base+"/"+k, nil)
	}
	kids, st, err = c.Children(ctx, base)
	slices.Sort(kids)
	if err != nil || !slices.Equal(kids, want) || st.NumChildren != 4 || st.Cversion != 4 {
		t.Fatalf("children: %q %+v %v", kids, st, err)
	}
	_, _, err = c.Children(ctx, base+"/nope")
	wantErr(t, err, ErrNoNode, "children", base+"/nope")
	n, err := c.GetAllChildrenNumber(ctx, base)
	if err != nil || n != 4 {
		t.Fatalf("all children: %d %v", n, err)
	}
	mustCreate(t, c, base+"/a/x", nil)
	mustCreate(t, c, base+"/a/x/y", nil)
	if n, err := c.GetAllChildrenNumber(ctx, base); err != nil || n != 6 {
		t.Fatalf("all children, nested: %d %v", n, err)
	}
	_, err = c.GetAllChildrenNumber(ctx, base+"/nope")
	wantErr(t, err, ErrNoNode, "getAllChildrenNumber", base+"/nope")
}

func TestACL(t *testing.T) {
	c := connectShared(t)
	ctx := testCtx(t)
	base := testBase(t, c)

	st := mustCreate(t, c, base+"/n", []byte("x"))
	acl, ast, err := c.GetACL(ctx, base+"/n")
	if err != nil || !slices.Equal(acl, jute.WorldACL) || ast.Czxid != st.Czxid || ast.Aversion != 0 {
		t.Fatalf("getACL: %+v %+v %v", acl, ast, err)
	}
	readOnly := []jute.ACL{{Perms: jute.PermRead | jute.PermAdmin, ID: jute.ID{Scheme: "world", ID: "anyone"}}}
	_, err = c.SetACL(ctx, base+"/n", readOnly, 3)
	wantErr(t, err, ErrBadVersion, "setACL", base+"/n")
	sst, err := c.SetACL(ctx, base+"/n", readOnly, 0)
	if err != nil || sst.Aversion != 1 {
		t.Fatalf("setACL: %+v %v", sst, err)
	}
	if acl, _, err := c.GetACL(ctx, base+"/n"); err != nil || !slices.Equal(acl, readOnly) {
		t.Fatalf("getACL after setACL: %+v %v", acl, err)
	}
	_, err = c.Set(ctx, base+"/n", []byte("y"), -1)
	wantErr(t, err, ErrNoAuth, "set", base+"/n")
	_, _, err = c.Create(ctx, base+"/n/kid", nil, jute.ModePersistent, nil)
	wantErr(t, err, ErrNoAuth, "create", base+"/n/kid")
	if got, _, err := c.Get(ctx, base+"/n"); err != nil || string(got) != "x" {
		t.Fatalf("read with read permission: %q %v", got, err)
	}
	_, err = c.SetACL(ctx, base+"/n", nil, -1)
	wantErr(t, err, ErrInvalidACL, "setACL", base+"/n")
	_, _, err = c.GetACL(ctx, base+"/nope")
	wantErr(t, err, ErrNoNode, "getACL", base+"/nope")
}

func TestSyncWhoAmIConfig(t *testing.T) {
	c := connectShared(t)
	ctx := testCtx(t)
	base := testBase(t, c)

	if err := c.Sync(ctx, base); err != nil {
		t.Fatal(err)
	}
	if err := c.Sync(ctx, "/"); err != nil {
		t.Fatal(err)
	}
	ids, err := c.WhoAmI(ctx)
	if err != nil || len(ids) != 1 || ids[0].AuthScheme != "ip" || ids[0].User != "127.0.0.1" {
		t.Fatalf("whoAmI: %+v %v", ids, err)
	}
	// A standalone server has a /zookeeper/config node; the ensemble test
	// checks its content.
	if _, _, err := c.GetConfig(ctx); err != nil {
		t.Fatalf("getConfig: %v", err)
	}
}

func TestGetEphemerals(t *testing.T) {
	c := connectShared(t)
	other := connectShared(t)
	ctx := testCtx(t)
	base := testBase(t, c)

	mustCreate(t, c, base+"/dir", nil)
	for _, p := range []string{base + "/e1", base + "/dir/e2", base + "/e3"} {
		if _, _, err := c.Create(ctx, p, nil, jute.ModeEphemeral, nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := other.Create(ctx, base+"/theirs", nil, jute.ModeEphemeral, nil); err != nil {
		t.Fatal(err)
	}
	got, err := c.GetEphemerals(ctx, base)
	if want := []string{base + "/dir/e2", base + "/e1", base + "/e3"}; err != nil || !slices.Equal(got, want) {
		t.Fatalf("getEphemerals(%s) = %q, %v; want %q", base, got, err, want)
	}
	// A prefix, not a node.
	got, err = c.GetEphemerals(ctx, base+"/e")
	if want := []string{base + "/e1", base + "/e3"}; err != nil || !slices.Equal(got, want) {
		t.Fatalf("getEphemerals(prefix) = %q, %v; want %q", got, err, want)
	}
	all, err := c.GetEphemerals(ctx, "/")
	if err != nil || !slices.Contains(all, base+"/e1") || slices.Contains(all, base+"/theirs") {
		t.Fatalf("getEphemerals(/) = %q %v", all, err)
	}
	if got, err := other.GetEphemerals(ctx, ""); err != nil || !slices.Equal(got, []string{base + "/theirs"}) {
		t.Fatalf("other session's ephemerals: %q %v", got, err)
	}
	// Closing the session removes them at once.
	c.Close()
	if kids, _, err := other.Children(ctx, base); err != nil || !slices.Equal(kids, []string{"dir", "theirs"}) && !slices.Equal(kids, []string{"theirs", "dir"}) {
		t.Fatalf("after close: %q %v", kids, err)
	}
}

func TestMulti(t *testing.T) {
	c := connectShared(t)
	ctx := testCtx(t)
	base := testBase(t, c)
	st := mustCreate(t, c, base+"/v", []byte("0"))
	mustCreate(t, c, base+"/gone", nil)

	res, err := c.Multi(ctx,
		CreateOp(base+"/new", []byte("n"), jute.ModePersistent, nil),
		CreateOp(base+"/seq-", nil, jute.ModePersistentSequential, nil),
		SetOp(base+"/v", []byte("1"), st.Version),
		CheckOp(base+"/v", st.Version+1),
		DeleteOp(base+"/gone", -1),
		CreateOp(base+"/cont", nil, jute.ModeContainer, nil),
	)
	if err != nil || len(res) != 6 {
		t.Fatalf("multi: %+v %v", res, err)
	}
	if res[0].Path != base+"/new" || !seqSuffix.MatchString(strings.TrimPrefix(res[1].Path, base+"/seq-")) ||
		res[2].Path != base+"/v" || res[2].Stat.Version != st.Version+1 || res[3].Path != base+"/v" ||
		res[4].Path != base+"/gone" || res[5].Path != base+"/cont" {
		t.Fatalf("multi results: %+v", res)
	}
	for i, r := range res {
		if r.Err != nil {
			t.Fatalf("op %d: %v", i, r.Err)
		}
	}
	if data, _, err := c.Get(ctx, base+"/v"); err != nil || string(data) != "1" {
		t.Fatalf("after multi: %q %v", data, err)
	}
	if _, ok, _ := c.Exists(ctx, base+"/gone"); ok {
		t.Fatal("multi delete not applied")
	}

	// Failure: nothing applied; the failing op's cause, named; rolled-back
	// ops before it, runtime inconsistency after it.
	res, err = c.Multi(ctx,
		CreateOp(base+"/never", nil, jute.ModePersistent, nil),
		SetOp(base+"/v", []byte("2"), -1),
		CheckOp(base+"/v", 99),
		DeleteOp(base+"/new", -1),
	)
	if !errors.Is(err, ErrBadVersion) {
		t.Fatalf("failed multi: %v", err)
	}
	var ze *Error
	if !errors.As(err, &ze) || ze.Path != base+"/v" || !strings.Contains(err.Error(), "op 2") || !strings.Contains(err.Error(), "check") {
		t.Fatalf("failed multi does not name the op: %q", err)
	}
	if len(res) != 4 || res[0].Err != nil || res[1].Err != nil || !errors.Is(res[2].Err, ErrBadVersion) || !errors.Is(res[3].Err, ErrRuntimeInconsistency) {
		t.Fatalf("failed multi results: %+v", res)
	}
	if _, ok, _ := c.Exists(ctx, base+"/never"); ok {
		t.Fatal("failed multi applied a create")
	}
	if data, _, _ := c.Get(ctx, base+"/v"); string(data) != "1" {
		t.Fatalf("failed multi applied a set: %q", data)
	}

	// Other causes.
	_, err = c.Multi(ctx, CreateOp(base+"/new", nil, jute.ModePersistent, nil))
	if !errors.Is(err, ErrNodeExists) || !strings.Contains(err.Error(), base+"/new") {
		t.Fatalf("multi create existing: %v", err)
	}
	_, err = c.Multi(ctx, SetOp(base+"/v", nil, -1), DeleteOp(base+"/nope", -1))
	if !errors.Is(err, ErrNoNode) || !strings.Contains(err.Error(), "op 1") {
		t.Fatalf("multi delete missing: %v", err)
	}
	// Client-side refusals: nothing sent.
	if _, err := c.Multi(ctx, CreateOp("bad", nil, jute.ModePersistent, nil)); !errors.Is(err, ErrInvalidPath) {
		t.Fatalf("multi with a bad path: %v", err)
	}
	if _, err := c.Multi(ctx, CreateOp(base+"/ttl", nil, jute.ModePersistentTTL, nil)); !errors.Is(err, ErrBadArguments) {
		t.Fatalf("multi with a TTL create: %v", err)
	}
	if _, err := c.Multi(ctx, Op{}); !errors.Is(err, ErrInvalidPath) && !errors.Is(err, ErrBadArguments) {
		t.Fatalf("multi with an empty op: %v", err)
	}
}

func TestMultiRead(t *testing.T) {
	c := connectShared(t)
	ctx := testCtx(t)
	base := testBase(t, c)
	st := mustCreate(t, c, base+"/a", []byte("A"))
	mustCreate(t, c, base+"/a/k1", nil)
	mustCreate(t, c, base+"/a/k2", nil)

	res, err := c.MultiRead(ctx, GetDataOp(base+"/a"), GetChildrenOp(base+"/a"), GetDataOp(base+"/nope"), GetChildrenOp(base+"/nope"))
	if err != nil || len(res) != 4 {
		t.Fatalf("multiRead: %+v %v", res, err)
	}
	slices.Sort(res[1].Children)
	if string(res[0].Data) != "A" || res[0].Stat.Czxid != st.Czxid || res[0].Err != nil ||
		!slices.Equal(res[1].Children, []string{"k1", "k2"}) || res[1].Err != nil {
		t.Fatalf("multiRead results: %+v", res)
	}
	for _, i := range []int{2, 3} {
		if !errors.Is(res[i].Err, ErrNoNode) || !strings.Contains(res[i].Err.Error(), base+"/nope") {
			t.Fatalf("multiRead op %d: %v", i, res[i].Err)
		}
	}
	if _, err := c.MultiRead(ctx, GetDataOp("nope")); !errors.Is(err, ErrInvalidPath) {
		t.Fatalf("multiRead with a bad path: %v", err)
	}
}

func TestInvalidPaths(t *testing.T) {
	c := connectShared(t)
	ctx := testCtx(t)
	before := c.Stats()
	bad := []string{"", "a", "/a/", "/a//b", "/a/./b", "/a/../b", "/a\x00b", "/a\x01", "/\u0085", "/\U0001F600", "/a\xff"}
	for _, p := range bad {
		checks := map[string]error{
			"create": func() error { _, _, err := c.Create(ctx, p, nil, jute.ModePersistent, nil); return err }(),
			"delete": c.Delete(ctx, p, -1),
			"exists": func() error { _, _, err := c.ExistsW(ctx, p); return err }(),
			"get":    func() error { _, _, err := c.GetW(ctx, p); return err }(),
			"set":    func() error { _, err := c.Set(ctx, p, nil, -1); return err }(),
			"children": func() error {
				_, _, err := c.ChildrenW(ctx, p)
				return err
			}(),
			"getACL":   func() error { _, _, err := c.GetACL(ctx, p); return err }(),
			"setACL":   func() error { _, err := c.SetACL(ctx, p, jute.WorldACL, -1); return err }(),
			"sync":     c.Sync(ctx, p),
			"addWatch": c.AddWatch(ctx, p, jute.AddWatchPersistent),
		}
		for op, err := range checks {
			wantErr(t, err, ErrInvalidPath, op, p)
		}
	}
	// Nothing was sent: no reply was counted.
	if after := c.Stats(); !slices.Equal(after.Ops, before.Ops) {
		t.Fatalf("requests were sent: before %+v, after %+v", before.Ops, after.Ops)
	}
	if c.State() != jute.StateSyncConnected {
		t.Fatalf("state %v", c.State())
	}
}

func TestTooLarge(t *testing.T) {
	c := connectShared(t)
	ctx := testCtx(t)
	base := testBase(t, c)
	p := base + "/big"
	mustCreate(t, c, p, []byte("old"))

	limit := c.DataLimit(p)
	if limit <= 0 || limit >= jute.DefaultMaxFrame {
		t.Fatalf("DataLimit %d", limit)
	}
	before := c.Stats()
	_, err := c.Set(ctx, p, make([]byte, limit+1), -1)
	wantErr(t, err, ErrTooLarge, "set", p)
	_, _, err = c.Create(ctx, base+"/big2", make([]byte, 2<<20), jute.ModePersistent, nil)
	wantErr(t, err, ErrTooLarge, "create", base+"/big2")
	if _, err := c.Multi(ctx, SetOp(p, make([]byte, limit), -1), SetOp(p, make([]byte, limit), -1)); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("multi over the limit: %v", err)
	}
	if after := c.Stats(); !slices.Equal(after.Ops, before.Ops) {
		t.Fatalf("requests over the limit were sent: before %+v, after %+v", before.Ops, after.Ops)
	}
	// The session is unaffected and the limit itself fits.
	if data, _, err := c.Get(ctx, p); err != nil || string(data) != "old" {
		t.Fatalf("after ErrTooLarge: %q %v", data, err)
	}
	full := bytes.Repeat([]byte("z"), limit)
	st, err := c.Set(ctx, p, full, -1)
	if err != nil || int(st.DataLength) != limit {
		t.Fatalf("set at the limit: %+v %v", st, err)
	}
	data, st, err := c.Get(ctx, p)
	if err != nil || !bytes.Equal(data, full) || int(st.DataLength) != limit {
		t.Fatalf("get at the limit: %d bytes, %v", len(data), err)
	}
	if c.Stats().Reconnects != 0 {
		t.Fatalf("reconnected: %+v", c.Stats())
	}
	// A smaller frame limit applies to requests and to replies alike.
	small := connect(t, Config{Servers: sharedServer(t).Addr(), MaxFrame: 4096})
	if l := small.DataLimit(p); l <= 0 || l >= 4096 {
		t.Fatalf("DataLimit with MaxFrame 4096: %d", l)
	}
	if _, err := small.Set(ctx, base+"/small", make([]byte, 5000), -1); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("set over 4096: %v", err)
	}
	if _, _, err := small.Exists(ctx, p); err != nil {
		t.Fatal(err)
	}
}

func TestWatchOps(t *testing.T) {
	c := connectShared(t)
	ev := watchEvents(c)
	ctx := testCtx(t)
	base := testBase(t, c)
	mustCreate(t, c, base+"/d", nil)
	mustCreate(t, c, base+"/p", nil)

	wantErr(t, c.CheckWatches(ctx, base+"/d", jute.WatcherData), ErrNoWatcher, "checkWatches", base+"/d")
	if _, _, err := c.GetW(ctx, base+"/d"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.ChildrenW(ctx, base+"/d"); err != nil {
		t.Fatal(err)
	}
	if err := c.CheckWatches(ctx, base+"/d", jute.WatcherData); err != nil {
		t.Fatalf("checkWatches data: %v", err)
	}
	if err := c.CheckWatches(ctx, base+"/d", jute.WatcherChildren); err != nil {
		t.Fatalf("checkWatches children: %v", err)
	}
	if err := c.RemoveWatches(ctx, base+"/d", jute.WatcherData); err != nil {
		t.Fatal(err)
	}
	if e := ev.nextNode(t, 10*time.Second); e.Type != jute.EventDataWatchRemoved || e.Path != base+"/d" {
		t.Fatalf("after removeWatches(Data): %+v", e)
	}
	wantErr(t, c.CheckWatches(ctx, base+"/d", jute.WatcherData), ErrNoWatcher, "checkWatches", base+"/d")
	wantErr(t, c.RemoveWatches(ctx, base+"/d", jute.WatcherData), ErrNoWatcher, "removeWatches", base+"/d")
	if err := c.RemoveWatches(ctx, base+"/d", jute.WatcherAny); err != nil {
		t.Fatal(err)
	}
	if e := ev.nextNode(t, 10*time.Second); e.Type != jute.EventChildWatchRemoved || e.Path != base+"/d" {
		t.Fatalf("after removeWatches(Any): %+v", e)
	}
	// No event fires for removed watches.
	if _, err := c.Set(ctx, base+"/d", []byte("x"), -1); err != nil {
		t.Fatal(err)
	}
	mustCreate(t, c, base+"/d/k", nil)

	// A persistent watch is removed with Any (3.8 has no Persistent type).
	if err := c.AddWatch(ctx, base+"/p", jute.AddWatchPersistent); err != nil {
		t.Fatal(err)
	}
	if err := c.AddWatch(ctx, base+"/p", jute.AddWatchMode(7)); !errors.Is(err, ErrBadArguments) {
		t.Fatalf("addWatch mode 7: %v", err)
	}
	if err := c.RemoveWatches(ctx, base+"/p", jute.WatcherAny); err != nil {
		t.Fatal(err)
	}
	if e := ev.nextNode(t, 10*time.Second); e.Type != jute.EventPersistentWatchRemoved || e.Path != base+"/p" {
		t.Fatalf("after removing the persistent watch: %+v", e)
	}
	if _, err := c.Set(ctx, base+"/p", []byte("x"), -1); err != nil {
		t.Fatal(err)
	}
	// A barrier: any event from the changes above would come before this one.
	if _, _, err := c.ExistsW(ctx, base+"/barrier"); err != nil {
		t.Fatal(err)
	}
	mustCreate(t, c, base+"/barrier", nil)
	if e := ev.nextNode(t, 10*time.Second); e.Type != jute.EventNodeCreated || e.Path != base+"/barrier" {
		t.Fatalf("an event for a removed watch: %+v", e)
	}
}

func TestDigestAuth(t *testing.T) {
	srv := sharedServer(t)
	ctx := testCtx(t)
	owner := connect(t, Config{Servers: srv.Addr(), Auth: []Auth{{"digest", []byte("alice:secret")}}})
	anon := connect(t, Config{Servers: srv.Addr()})
	wrong := connect(t, Config{Servers: srv.Addr(), Auth: []Auth{{"digest", []byte("alice:guess")}}})
	base := testBase(t, owner)

	ids, err := owner.WhoAmI(ctx)
	if err != nil || !slices.Contains(ids, jute.ClientInfo{AuthScheme: "digest", User: "alice"}) {
		t.Fatalf("whoAmI with digest: %+v %v", ids, err)
	}
	sum := sha1.Sum([]byte("alice:secret"))
	acl := []jute.ACL{{Perms: jute.PermAll, ID: jute.ID{Scheme: "digest", ID: "alice:" + base64.StdEncoding.EncodeToString(sum[:])}}}
	if _, _, err := owner.Create(ctx, base+"/private", []byte("s3cret"), jute.ModePersistent, acl); err != nil {
		t.Fatal(err)
	}
	// The "auth" scheme means: the identities of the creating session.
	if _, _, err := owner.Create(ctx, base+"/mine", []byte("m"), jute.ModePersistent,
		[]jute.ACL{{Perms: jute.PermAll, ID: jute.ID{Scheme: "auth"}}}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{base + "/private", base + "/mine"} {
		if _, _, err := owner.Get(ctx, p); err != nil {
			t.Fatalf("owner reads %s: %v", p, err)
		}
		_, _, err := anon.Get(ctx, p)
		wantErr(t, err, ErrNoAuth, "get", p)
		_, _, err = wrong.Get(ctx, p)
		wantErr(t, err, ErrNoAuth, "get", p)
	}
	// anon may still see that the node exists.
	if _, ok, err := anon.Exists(ctx, base+"/private"); !ok || err != nil {
		t.Fatalf("exists without auth: %v %v", ok, err)
	}
}

func TestAuthFailed(t *testing.T) {
	srv := sharedServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	before, _ := clientGoroutines()
	// The server answers an unknown scheme with AUTH_FAILED and closes the
	// connection: the session cannot be had.
	c, err := Connect(ctx, Config{Servers: srv.Addr(), Auth: []Auth{{"nosuchscheme", []byte("x")}}})
	if err == nil {
		c.Close()
		t.Fatal("connect with an unknown auth scheme succeeded")
	}
	if !errors.Is(err, ErrAuthFailed) || ctx.Err() != nil {
		t.Fatalf("connect with an unknown auth scheme: %v", err)
	}
	checkNoLeak(t, before)
}
