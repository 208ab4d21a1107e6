package fs

import (
	"context"
	"fmt"
	"syscall"
	"testing"

	"github.com/zkfs/zkfs/jute"
	"github.com/zkfs/zkfs/zkclient"
)

// TestErrnoTable checks the ZooKeeper error → errno table, wrapped the way
// zkclient wraps its errors.
func TestErrnoTable(t *testing.T) {
	cases := []struct {
		err   error
		errno syscall.Errno
		user  bool
	}{
		{zkclient.ErrNoNode, syscall.ENOENT, true},
		{zkclient.ErrNodeExists, syscall.EEXIST, true},
		{zkclient.ErrNotEmpty, syscall.ENOTEMPTY, true},
		{zkclient.ErrNoAuth, syscall.EACCES, true},
		{zkclient.ErrBadVersion, syscall.ESTALE, true},
		{zkclient.ErrNoChildrenForEphemerals, syscall.EPERM, true},
		{zkclient.ErrNotReadOnly, syscall.EROFS, true},
		{errReadOnly, syscall.EROFS, true},
		{zkclient.ErrTooLarge, syscall.EFBIG, true},
		{errTooLarge, syscall.EFBIG, true},
		{zkclient.ErrInvalidPath, syscall.EINVAL, true},
		{jute.ErrInvalidPath, syscall.EINVAL, true},
		{zkclient.ErrBadArguments, syscall.EINVAL, true},
		{zkclient.ErrInvalidACL, syscall.EINVAL, true},
		{errBadACL, syscall.EINVAL, true},
		{zkclient.ErrConnectionLoss, syscall.EAGAIN, false},
		{zkclient.ErrOperationTimeout, syscall.EAGAIN, false},
		{context.DeadlineExceeded, syscall.EAGAIN, false},
		{context.Canceled, syscall.EINTR, true},
		{zkclient.ErrSessionExpired, syscall.EIO, false},
		{zkclient.ErrClosed, syscall.EIO, false},
		{zkclient.ErrAuthFailed, syscall.EIO, false},
		{zkclient.ErrUnimplemented, syscall.ENOTSUP, false},
		{fmt.Errorf("something odd"), syscall.EIO, false},
		{nil, 0, true},
	}
	for _, c := range cases {
		wrapped := c.err
		if c.err != nil {
			wrapped = fmt.Errorf("zkclient: get /a/b: %w", c.err)
		}
		errno, user := lookupErrno(wrapped)
		if errno != c.errno || user != c.user {
			t.Errorf("%v → %v (user %v), want %v (user %v)", c.err, errno, user, c.errno, c.user)
		}
	}
}

func TestACLText(t *testing.T) {
	acl := []jute.ACL{
		{Perms: jute.PermAll, ID: jute.ID{Scheme: "world", ID: "anyone"}},
		{Perms: jute.PermRead | jute.PermAdmin, ID: jute.ID{Scheme: "digest", ID: "bob:hash="}},
		{Perms: jute.PermWrite, ID: jute.ID{Scheme: "ip", ID: "10.0.0.0/8"}},
	}
	text := FormatACL(acl)
	if text != "world:anyone:cdrwa\ndigest:bob:hash=:ra\nip:10.0.0.0/8:w\n" {
		t.Fatalf("FormatACL = %q", text)
	}
	back, err := ParseACL(text)
	if err != nil || len(back) != 3 || back[1] != acl[1] || back[0] != acl[0] || back[2] != acl[2] {
		t.Fatalf("ParseACL = %+v, %v", back, err)
	}
	for _, bad := range []string{"", "world", "world:anyone", "world:anyone:rx", ":x:r", "\n\n"} {
		if _, err := ParseACL(bad); err == nil {
			t.Errorf("ParseACL(%q) accepted", bad)
		}
	}
}

func TestInodes(t *testing.T) {
	if d, f := Inodes("/", 0); d != 1 || f != 2 {
		t.Fatalf("root %d %d", d, f)
	}
	d, f := Inodes("/a", 7)
	if f != d+1 || d < 3 {
		t.Fatalf("/a %d %d", d, f)
	}
	// One multi gives every znode it creates the same czxid.
	if b, _ := Inodes("/b", 7); b == d {
		t.Fatalf("/a and /b share inode %d", d)
	}
	// A znode created again at the same path is a new file.
	if again, _ := Inodes("/a", 9); again == d {
		t.Fatalf("/a at czxid 7 and 9 share inode %d", d)
	}
	s1, _ := Inodes("/zookeeper", 0)
	s2, _ := Inodes("/zookeeper/quota", 0)
	if s1 == s2 || s1 < 3 {
		t.Fatalf("system znodes %d %d", s1, s2)
	}
}

// FuzzParseACL: whatever ParseACL accepts formats back to text that parses
// to the same ACL.
func FuzzParseACL(f *testing.F) {
	for _, s := range []string{"world:anyone:cdrwa\n", "digest:bob:h=:ra\nip:10.0.0.1:w", "# c\n\nx:y:z:", "a::", ":::"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		acl, err := ParseACL(s)
		if err != nil {
			return
		}
		again, err := ParseACL(FormatACL(acl))
		if err != nil || len(again) != len(acl) {
			t.Fatalf("round trip of %q: %v %+v", s, err, again)
		}
		for i := range acl {
			if again[i] != acl[i] {
				t.Fatalf("round trip of %q: %+v != %+v", s, again[i], acl[i])
			}
		}
	})
}
