package main

import (
	"bytes"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"

	zkfs "github.com/zkfs/zkfs/fs"
	"github.com/zkfs/zkfs/jute"
)

// TestMount runs the mapping, write and coherence checks against one
// server and one mount; each subtest works below its own znode.
func TestMount(t *testing.T) {
	e := newMountEnv(t, nil, zkfs.Options{})
	t.Run("ListChildren", e.testListChildren)
	t.Run("ReadData", e.testReadData)
	t.Run("StatMapping", e.testStatMapping)
	t.Run("ReaddirInodes", e.testReaddirInodes)
	t.Run("Ephemeral", e.testEphemeral)
	t.Run("Xattrs", e.testXattrs)
	t.Run("MkdirRmdir", e.testMkdirRmdir)
	t.Run("BadNames", e.testBadNames)
	t.Run("Unicode", e.testUnicode)
	t.Run("OtherFiles", e.testOtherFiles)
	t.Run("TruncateNoHandle", e.testTruncateNoHandle)
	t.Run("Overwrite", e.testOverwrite)
	t.Run("Append", e.testAppend)
	t.Run("Conflict", e.testConflict)
	t.Run("TooLarge", e.testTooLarge)
	t.Run("RemoteChanges", e.testRemoteChanges)
}

func (e *mountEnv) testListChildren(t *testing.T) {
	e.create(t, "/ls", nil)
	want := []string{"a", "b", "c.d", "z z"}
	for _, n := range want {
		e.create(t, "/ls/"+n, []byte(n))
	}
	out := mustSh(t, "ls -1 %s", q(e.p("/ls")))
	got := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("ls = %q, want %q", got, want)
	}
	// The server's view, from the independent kazoo client.
	server := strings.Split(strings.TrimSuffix(mustZkcli(t, e.zk.Addr(), "ls", "/ls"), "\n"), "\n")
	if strings.Join(got, "|") != strings.Join(server, "|") {
		t.Fatalf("ls = %q, server has %q", got, server)
	}
	// With -a: ., .., the data file and the children.
	out = mustSh(t, "ls -1a %s", q(e.p("/ls")))
	gotA := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(gotA) != len(want)+3 || gotA[2] != ".data" {
		t.Fatalf("ls -a = %q", gotA)
	}
	// The root lists the server's root children (zookeeper included).
	root := strings.Fields(mustSh(t, "ls -1 %s", q(e.dir)))
	children, _, err := e.cl.Children(testCtx(t), "/")
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(children)
	if strings.Join(root, "|") != strings.Join(children, "|") {
		t.Fatalf("ls / = %q, server %q", root, children)
	}
}

func (e *mountEnv) testReadData(t *testing.T) {
	e.create(t, "/rd", nil)
	text := []byte("hello, world\nsecond line\n")
	bin := make([]byte, 70000)
	for i := range bin {
		bin[i] = byte(i*7 + i/256)
	}
	e.create(t, "/rd/text", text)
	e.create(t, "/rd/bin", bin)
	e.create(t, "/rd/null", nil)
	e.create(t, "/rd/empty", []byte{})
	for name, want := range map[string][]byte{"text": text, "bin": bin, "null": nil, "empty": nil} {
		got, err := os.ReadFile(e.p("/rd/" + name + "/.data"))
		if err != nil {
			t.Fatalf("read %s: %v", name, err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("%s: read %d bytes, want %d", name, len(got), len(want))
		}
	}
	if out := mustSh(t, "cat %s", q(e.p("/rd/text/.data"))); out != string(text) {
		t.Fatalf("cat = %q", out)
	}
	if out := mustSh(t, "grep -r second %s", q(e.p("/rd"))); !strings.Contains(out, "text/.data:second line") {
		t.Fatalf("grep -r = %q", out)
	}
}

func (e *mountEnv) testStatMapping(t *testing.T) {
	e.create(t, "/st", nil)
	e.create(t, "/st/x", []byte("12345"))
	e.create(t, "/st/x/c1", nil)
	_, st := e.get(t, "/st/x")
	var fi, di syscall.Stat_t
	if err := syscall.Stat(e.p("/st/x/.data"), &fi); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Stat(e.p("/st/x"), &di); err != nil {
		t.Fatal(err)
	}
	if fi.Size != 5 {
		t.Errorf("size %d, want 5", fi.Size)
	}
	if mt := fi.Mtim.Sec*1000 + fi.Mtim.Nsec/1e6; mt != st.Mtime {
		t.Errorf("mtime %d ms, want %d", mt, st.Mtime)
	}
	if fi.Mode&syscall.S_IFMT != syscall.S_IFREG || di.Mode&syscall.S_IFMT != syscall.S_IFDIR {
		t.Errorf("modes %o %o", fi.Mode, di.Mode)
	}
	wantDir, wantFile := zkfs.Inodes("/st/x", st.Czxid)
	if di.Ino == fi.Ino || di.Ino != wantDir || fi.Ino != wantFile {
		t.Errorf("inodes dir %d file %d for czxid %d", di.Ino, fi.Ino, st.Czxid)
	}
	if di.Nlink != 3 {
		t.Errorf("nlink %d, want 3 (2 + one child)", di.Nlink)
	}
	if di.Mode&syscall.S_ISVTX != 0 {
		t.Errorf("persistent znode has the sticky bit: %o", di.Mode)
	}
	// stat(1) agrees and statfs answers.
	out := mustSh(t, "stat -c '%%s %%i' %s", q(e.p("/st/x/.data")))
	if out != "5 "+strconv.FormatUint(fi.Ino, 10)+"\n" {
		t.Errorf("stat(1) = %q", out)
	}
	mustSh(t, "stat -f %s", q(e.dir))
}

func (e *mountEnv) testEphemeral(t *testing.T) {
	e.create(t, "/eph", nil)
	if _, _, err := e.cl.Create(testCtx(t), "/eph/e", []byte("x"), jute.ModeEphemeral, nil); err != nil {
		t.Fatal(err)
	}
	var st syscall.Stat_t
	if err := syscall.Stat(e.p("/eph/e"), &st); err != nil {
		t.Fatal(err)
	}
	if st.Mode&07777 != 01755 {
		t.Fatalf("ephemeral mode %o, want 1755", st.Mode&07777)
	}
	out := mustSh(t, "ls -ld %s", q(e.p("/eph/e")))
	if !strings.HasPrefix(out, "drwxr-xr-t") {
		t.Fatalf("ls -ld = %q", out)
	}
	// No children under an ephemeral: EPERM.
	err := os.Mkdir(e.p("/eph/e/child"), 0o755)
	if errnoOf(err) != syscall.EPERM {
		t.Fatalf("mkdir under ephemeral: %v, want EPERM", err)
	}
	owner := getxattr(t, e.p("/eph/e"), "user.zk.ephemeralOwner")
	if v, err := strconv.ParseInt(owner, 0, 64); err != nil || v != e.cl.SessionID() {
		t.Fatalf("ephemeralOwner %q, session %#x", owner, e.cl.SessionID())
	}
}

func getxattr(t testing.TB, path, name string) string {
	t.Helper()
	buf := make([]byte, 64*1024)
	n, err := syscall.Getxattr(path, name, buf)
	if err != nil {
		t.Fatalf("getxattr %s %s: %v", path, name, err)
	}
	return string(buf[:n])
}

func (e *mountEnv) testXattrs(t *testing.T) {
	need(t, haveTool("getfattr") && haveTool("setfattr"), "getfattr/setfattr (attr)")
	e.create(t, "/xa", []byte("abc"))
	e.create(t, "/xa/k", nil)
	_, st := e.get(t, "/xa")
	want := map[string]int64{
		"czxid": st.Czxid, "mzxid": st.Mzxid, "pzxid": st.Pzxid, "ctime": st.Ctime,
		"mtime": st.Mtime, "version": int64(st.Version), "cversion": int64(st.Cversion),
		"aversion": int64(st.Aversion), "ephemeralOwner": st.EphemeralOwner,
		"dataLength": int64(st.DataLength), "numChildren": int64(st.NumChildren),
	}
	for _, target := range []string{e.p("/xa"), e.p("/xa/.data")} {
		for name, w := range want {
			v := getxattr(t, target, "user.zk."+name)
			if got, err := strconv.ParseInt(v, 0, 64); err != nil || got != w {
				t.Errorf("%s user.zk.%s = %q, want %d", target, name, v, w)
			}
		}
	}
	if acl := getxattr(t, e.p("/xa"), "user.zk.acl"); acl != "world:anyone:cdrwa\n" {
		t.Errorf("acl %q", acl)
	}
	out := mustSh(t, "getfattr -d -m - %s", q(e.p("/xa")))
	for name := range want {
		if !strings.Contains(out, "user.zk."+name+"=") {
			t.Errorf("getfattr -d lacks %s:\n%s", name, out)
		}
	}
	if out, err := sh(t, "getfattr -n user.other %s", q(e.p("/xa"))); err == nil || !strings.Contains(out, "No such attribute") {
		t.Errorf("user.other: %v %q", err, out)
	}
	// Write the ACL (setfattr for a simple one, setxattr(2) for one with
	// several lines); the independent client sees it.
	mustSh(t, "setfattr -n user.zk.acl -v %s %s", q("world:anyone:rwa"), q(e.p("/xa")))
	if acl, _, err := e.cl.GetACL(testCtx(t), "/xa"); err != nil || len(acl) != 1 || acl[0].Perms != jute.PermRead|jute.PermWrite|jute.PermAdmin {
		t.Fatalf("acl after setfattr: %+v %v", acl, err)
	}
	if err := syscall.Setxattr(e.p("/xa"), "user.zk.acl", []byte("world:anyone:cdra\ndigest:bob:x+y=:a\n"), 0); err != nil {
		t.Fatalf("setxattr: %v", err)
	}
	acl, _, err := e.cl.GetACL(testCtx(t), "/xa")
	if err != nil {
		t.Fatal(err)
	}
	if len(acl) != 2 || acl[0].Perms != jute.PermRead|jute.PermCreate|jute.PermDelete|jute.PermAdmin || acl[1].ID.Scheme != "digest" || acl[1].ID.ID != "bob:x+y=" || acl[1].Perms != jute.PermAdmin {
		t.Fatalf("acl after setxattr: %+v", acl)
	}
	if v := getxattr(t, e.p("/xa"), "user.zk.acl"); v != "world:anyone:cdra\ndigest:bob:x+y=:a\n" {
		t.Fatalf("acl read back %q", v)
	}
	if _, err := sh(t, "setfattr -n user.zk.acl -v %s %s", q("world:anyone:xyz"), q(e.p("/xa"))); err == nil {
		t.Fatalf("bad ACL text accepted")
	}
}

func (e *mountEnv) testMkdirRmdir(t *testing.T) {
	e.create(t, "/md", nil)
	mustSh(t, "mkdir %s && mkdir -p %s", q(e.p("/md/a")), q(e.p("/md/a/b/c")))
	for _, zp := range []string{"/md/a", "/md/a/b", "/md/a/b/c"} {
		data, st := e.get(t, zp)
		if data != nil || st.EphemeralOwner != 0 {
			t.Fatalf("%s: data %q owner %d", zp, data, st.EphemeralOwner)
		}
	}
	if err := os.Mkdir(e.p("/md/a"), 0o755); errnoOf(err) != syscall.EEXIST {
		t.Fatalf("mkdir existing: %v", err)
	}
	if err := syscall.Rmdir(e.p("/md/a")); err != syscall.ENOTEMPTY {
		t.Fatalf("rmdir non-empty: %v", err)
	}
	mustSh(t, "rmdir %s", q(e.p("/md/a/b/c")))
	if _, ok, _ := e.cl.Exists(testCtx(t), "/md/a/b/c"); ok {
		t.Fatalf("rmdir left the znode")
	}
	// rm -rf removes a subtree with deletes only: nothing is set on the
	// way (every remaining znode keeps version 0).
	e.create(t, "/md/tree", []byte("t"))
	for _, zp := range []string{"/md/tree/x", "/md/tree/x/y", "/md/tree/z"} {
		e.create(t, zp, []byte("d"))
	}
	mustSh(t, "rm -rf %s", q(e.p("/md/tree")))
	if _, ok, _ := e.cl.Exists(testCtx(t), "/md/tree"); ok {
		t.Fatalf("rm -rf left /md/tree")
	}
	if out := mustSh(t, "ls -A %s", q(e.p("/md"))); out != ".data\na\n" {
		t.Fatalf("after rm -rf: %q", out)
	}
	// Unlinking a data file alone writes nothing.
	e.create(t, "/md/keep", []byte("kept"))
	mustSh(t, "rm %s", q(e.p("/md/keep/.data")))
	if data, st := e.get(t, "/md/keep"); string(data) != "kept" || st.Version != 0 {
		t.Fatalf("after rm .data: %q v%d", data, st.Version)
	}
}

func (e *mountEnv) testBadNames(t *testing.T) {
	e.create(t, "/bad", nil)
	// Control characters, private use (U+E000) and characters outside
	// the BMP (ZooKeeper's Java strings see them as surrogates).
	for _, name := range []string{"a\x01b", "x\ue000y", "del\x7f", "emoji-😀"} {
		err := os.Mkdir(e.p("/bad/"+name), 0o755)
		if errnoOf(err) != syscall.EINVAL {
			t.Errorf("mkdir %q: %v, want EINVAL", name, err)
		}
	}
	if children, _, _ := e.cl.Children(testCtx(t), "/bad"); len(children) != 0 {
		t.Fatalf("children created: %q", children)
	}
}

func (e *mountEnv) testUnicode(t *testing.T) {
	e.create(t, "/uni", nil)
	names := []string{"héllo", "世界", "Ελληνικά", "mixed Ünïcødé name"}
	for _, n := range names {
		mustSh(t, "mkdir %s && printf %%s %s > %s", q(e.p("/uni/"+n)), q(n), q(e.p("/uni/"+n+"/.data")))
	}
	sort.Strings(names)
	server := strings.Split(strings.TrimSuffix(mustZkcli(t, e.zk.Addr(), "ls", "/uni"), "\n"), "\n")
	if strings.Join(server, "|") != strings.Join(names, "|") {
		t.Fatalf("server children %q, want %q", server, names)
	}
	for _, n := range names {
		if got := mustZkcli(t, e.zk.Addr(), "get", "/uni/"+n); got != n {
			t.Fatalf("data of %q = %q", n, got)
		}
	}
	got := strings.Split(strings.TrimSuffix(mustSh(t, "ls -1 %s", q(e.p("/uni"))), "\n"), "\n")
	sort.Strings(got)
	if strings.Join(got, "|") != strings.Join(names, "|") {
		t.Fatalf("ls %q", got)
	}
}

func (e *mountEnv) testOtherFiles(t *testing.T) {
	e.create(t, "/of", nil)
	// Other regular files live in memory only (see tools_test.go).
	f, err := os.OpenFile(e.p("/of/new.txt"), os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatalf("create other file: %v", err)
	}
	f.Close()
	if err := os.Symlink("x", e.p("/of/link")); errnoOf(err) != syscall.EPERM {
		t.Fatalf("symlink: %v, want EPERM", err)
	}
	if children, _, _ := e.cl.Children(testCtx(t), "/of"); len(children) != 0 {
		t.Fatalf("children created: %q", children)
	}
	if err := os.Remove(e.p("/of/new.txt")); err != nil {
		t.Fatal(err)
	}
}

func (e *mountEnv) testTruncateNoHandle(t *testing.T) {
	e.create(t, "/tr", []byte("abcdef"))
	mustSh(t, "truncate -s 3 %s", q(e.p("/tr/.data")))
	if data, _ := e.get(t, "/tr"); string(data) != "abc" {
		t.Fatalf("after truncate -s 3: %q", data)
	}
	// Truncated to nothing and closed: the empty value is committed at
	// release, which the kernel sends after close() returns (a flush of a
	// handle holding only a truncate publishes nothing: see handle.Flush).
	mustSh(t, "truncate -s 0 %s", q(e.p("/tr/.data")))
	eventually(t, "empty value after truncate -s 0", func() bool {
		data, _ := e.get(t, "/tr")
		return len(data) == 0
	})
}

// stat of a mount path as seen now, by a fresh process.
func statSize(t testing.TB, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// readVia reads a file with cat in a new process.
func readVia(t testing.TB, path string) string {
	t.Helper()
	out, err := sh(t, "cat %s", q(path))
	if err != nil {
		return "ERR " + err.Error()
	}
	return out
}

// testReaddirInodes: the inode numbers a listing gives (readdir's d_ino,
// which ls -i, find -inum and pwd's walk up use) are the ones stat gives.
func (e *mountEnv) testReaddirInodes(t *testing.T) {
	e.create(t, "/ri", []byte("r"))
	for _, k := range []string{"a", "b", "c"} {
		e.create(t, "/ri/"+k, nil)
	}
	out := mustSh(t, `cd %s && python3 -c 'import os
for d in sorted(os.scandir("."), key=lambda d: d.name):
    print(d.name, d.inode(), os.stat(d.name).st_ino)'`, q(e.p("/ri")))
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 {
		t.Fatalf("listing: %q", out)
	}
	for _, l := range lines {
		var name string
		var dino, ino uint64
		if _, err := fmt.Sscan(l, &name, &dino, &ino); err != nil || dino != ino {
			t.Fatalf("%q: d_ino and st_ino differ (%v)", l, err)
		}
	}
}
