package fs

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"syscall"

	"github.com/zkfs/zkfs/cache"
	"github.com/zkfs/zkfs/jute"
)

// Extended attributes of a znode, on both its directory and its data file.
// Values are text without a trailing newline: zxids and the ephemeral owner
// (a session id) in hex with 0x, as zkCli prints them; times in
// milliseconds since the epoch; counters in decimal. user.zk.acl holds one
// `scheme:id:perms` line per ACL entry, perms as letters from "cdrwa"
// (create, delete, read, write, admin), and is writable: setfattr replaces
// the ACL (setACL against the aversion just read; a concurrent change gives
// ESTALE). Every other attribute is absent (ENODATA).
const (
	xattrPrefix = "user.zk."
	xattrACL    = xattrPrefix + "acl"
)

// statXattrs lists the Stat-derived attributes in listing order.
var statXattrs = []struct {
	name  string
	value func(st *jute.Stat) string
}{
	{"czxid", func(st *jute.Stat) string { return hex(st.Czxid) }},
	{"mzxid", func(st *jute.Stat) string { return hex(st.Mzxid) }},
	{"pzxid", func(st *jute.Stat) string { return hex(st.Pzxid) }},
	{"ctime", func(st *jute.Stat) string { return strconv.FormatInt(st.Ctime, 10) }},
	{"mtime", func(st *jute.Stat) string { return strconv.FormatInt(st.Mtime, 10) }},
	{"version", func(st *jute.Stat) string { return strconv.Itoa(int(st.Version)) }},
	{"cversion", func(st *jute.Stat) string { return strconv.Itoa(int(st.Cversion)) }},
	{"aversion", func(st *jute.Stat) string { return strconv.Itoa(int(st.Aversion)) }},
	{"ephemeralOwner", func(st *jute.Stat) string { return hex(st.EphemeralOwner) }},
	{"dataLength", func(st *jute.Stat) string { return strconv.Itoa(int(st.DataLength)) }},
	{"numChildren", func(st *jute.Stat) string { return strconv.Itoa(int(st.NumChildren)) }},
}

func hex(v int64) string { return "0x" + strconv.FormatUint(uint64(v), 16) }

// xattrList is the NUL-separated list ListXattr returns.
var xattrList = func() []byte {
	var b []byte
	for _, x := range statXattrs {
		b = append(b, xattrPrefix+x.name...)
		b = append(b, 0)
	}
	b = append(b, xattrACL...)
	return append(b, 0)
}()

// permLetters are the ACL permission letters in zkCli's order.
var permLetters = []struct {
	bit    int32
	letter byte
}{{jute.PermCreate, 'c'}, {jute.PermDelete, 'd'}, {jute.PermRead, 'r'}, {jute.PermWrite, 'w'}, {jute.PermAdmin, 'a'}}

// FormatACL renders acl as user.zk.acl text.
func FormatACL(acl []jute.ACL) string {
	var b strings.Builder
	for _, a := range acl {
		b.WriteString(a.ID.Scheme)
		b.WriteByte(':')
		b.WriteString(a.ID.ID)
		b.WriteByte(':')
		for _, p := range permLetters {
			if a.Perms&p.bit != 0 {
				b.WriteByte(p.letter)
			}
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// ParseACL parses user.zk.acl text: lines `scheme:id:perms` (the id may
// itself contain ':'; perms are letters from "cdrwa"), blank lines and
// lines starting with '#' ignored.
func ParseACL(text string) ([]jute.ACL, error) {
	var acl []jute.ACL
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		first, last := strings.IndexByte(line, ':'), strings.LastIndexByte(line, ':')
		if first <= 0 || last == first {
			return nil, fmt.Errorf("%w: line %d: want scheme:id:perms", errBadACL, i+1)
		}
		var perms int32
		for _, c := range []byte(line[last+1:]) {
			bit := int32(0)
			for _, p := range permLetters {
				if p.letter == c {
					bit = p.bit
				}
			}
			if bit == 0 {
				return nil, fmt.Errorf("%w: line %d: unknown permission %q (use cdrwa)", errBadACL, i+1, c)
			}
			perms |= bit
		}
		acl = append(acl, jute.ACL{Perms: perms, ID: jute.ID{Scheme: line[:first], ID: line[first+1 : last]}})
	}
	if len(acl) == 0 {
		return nil, fmt.Errorf("%w: empty ACL", errBadACL)
	}
	return acl, nil
}

// copyOut implements the getxattr/listxattr buffer protocol.
func copyOut(dest []byte, val []byte) (uint32, syscall.Errno) {
	if len(dest) < len(val) {
		return uint32(len(val)), syscall.ERANGE
	}
	return uint32(copy(dest, val)), 0
}

func (f *fsys) getxattr(ctx context.Context, p, attr string, dest []byte) (uint32, syscall.Errno) {
	name, ok := strings.CutPrefix(attr, xattrPrefix)
	if !ok {
		return 0, syscall.ENODATA
	}
	ctx, cancel := f.ctx(ctx)
	defer cancel()
	if attr == xattrACL {
		acl, _, err := f.src.ACL(ctx, p)
		if err != nil {
			return 0, f.errno("getACL", p, err)
		}
		return copyOut(dest, []byte(FormatACL(acl)))
	}
	for _, x := range statXattrs {
		if x.name == name {
			st, err := f.src.Stat(ctx, p)
			if err != nil {
				return 0, f.errno("stat", p, err)
			}
			return copyOut(dest, []byte(x.value(&st)))
		}
	}
	return 0, syscall.ENODATA
}

func (f *fsys) setxattr(ctx context.Context, p, attr string, data []byte) syscall.Errno {
	if f.isSelf(ctx) {
		return 0 // the echo of an ACL changed elsewhere
	}
	if attr != xattrACL {
		if strings.HasPrefix(attr, xattrPrefix) {
			return syscall.EPERM // the Stat attributes are read-only
		}
		return syscall.ENOTSUP
	}
	if f.opts.ReadOnly {
		return syscall.EROFS
	}
	acl, err := ParseACL(string(data))
	if err != nil {
		return syscall.EINVAL
	}
	ctx, cancel := f.ctx(ctx)
	defer cancel()
	_, st, err := f.src.ACL(ctx, p)
	if err != nil {
		return f.errno("getACL", p, err)
	}
	own := f.ownChange(cache.ACLChanged, p)
	_, err = f.src.SetACL(ctx, p, acl, st.Aversion)
	own(err)
	if err != nil {
		return f.errno("setACL", p, err)
	}
	return 0
}

func (f *fsys) removexattr(attr string) syscall.Errno {
	if strings.HasPrefix(attr, xattrPrefix) {
		return syscall.EPERM
	}
	return syscall.ENODATA
}

// Getxattr returns a user.zk.* attribute of the znode.
func (n *dirNode) Getxattr(ctx context.Context, attr string, dest []byte) (uint32, syscall.Errno) {
	return n.fs.getxattr(ctx, n.path, attr, dest)
}

// Setxattr replaces the znode's ACL (user.zk.acl only).
func (n *dirNode) Setxattr(ctx context.Context, attr string, data []byte, flags uint32) syscall.Errno {
	return n.fs.setxattr(ctx, n.path, attr, data)
}

// Listxattr lists the user.zk.* attributes.
func (n *dirNode) Listxattr(ctx context.Context, dest []byte) (uint32, syscall.Errno) {
	return copyOut(dest, xattrList)
}

// Removexattr is refused for user.zk.* (EPERM).
func (n *dirNode) Removexattr(ctx context.Context, attr string) syscall.Errno {
	return n.fs.removexattr(attr)
}

// Getxattr returns a user.zk.* attribute of the znode.
func (n *fileNode) Getxattr(ctx context.Context, attr string, dest []byte) (uint32, syscall.Errno) {
	return n.fs.getxattr(ctx, n.path, attr, dest)
}

// Setxattr replaces the znode's ACL (user.zk.acl only).
func (n *fileNode) Setxattr(ctx context.Context, attr string, data []byte, flags uint32) syscall.Errno {
	return n.fs.setxattr(ctx, n.path, attr, data)
}

// Listxattr lists the user.zk.* attributes.
func (n *fileNode) Listxattr(ctx context.Context, dest []byte) (uint32, syscall.Errno) {
	return copyOut(dest, xattrList)
}

// Removexattr is refused for user.zk.* (EPERM).
func (n *fileNode) Removexattr(ctx context.Context, attr string) syscall.Errno {
	return n.fs.removexattr(attr)
}
