package fs

import (
	"context"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"slices"
	"strings"

	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/zkfs/zkfs/jute"
	"github.com/zkfs/zkfs/zkclient"
)

// Modes from ACLs. With --allow-other, other local users reach ZooKeeper through the mount's
// session, so the kernel must do the checking (default_permissions) and the modes it checks
// must say what the mount's identity may do. Then every znode's permission bits come from its
// ACL (fetched once per ACL version, see cache.CachedACL):
//
//	directory: r = READ, w = CREATE or DELETE, x always (ZooKeeper needs no permission on a
//	           parent to reach a child)
//	data file: r = READ, w = WRITE
//
// for the owner (the mounting user); group and others get the r and x bits only, never w.
// An ACL entry matches the mount's identity when it is world:anyone or one of the mount's
// digest identities (Options.Identities); entries of schemes zkfs cannot evaluate (ip, x509,
// sasl) count as granting: the server still refuses what they do not allow, with EACCES. A
// znode whose ACL the mount may not read (getACL needs READ or ADMIN) gets every bit but r.
// Without --allow-other the modes are fixed (0755, 0644): only the mounting user gets in,
// and ZooKeeper decides.

// DigestID returns ZooKeeper's digest ACL id for a "user:password" credential: the user and
// the base64 SHA-1 of the credential.
func DigestID(credential string) string {
	user, _, _ := strings.Cut(credential, ":")
	h := sha1.Sum([]byte(credential))
	return user + ":" + base64.StdEncoding.EncodeToString(h[:])
}

// aclPerms returns the permissions the mount's identities get from acl.
func (f *fsys) aclPerms(acl []jute.ACL) int32 {
	var perms int32
	for _, a := range acl {
		switch a.ID.Scheme {
		case "world":
			if a.ID.ID == "anyone" {
				perms |= a.Perms
			}
		case "digest":
			if slices.Contains(f.opts.Identities, a.ID) {
				perms |= a.Perms
			}
		default:
			perms |= a.Perms
		}
	}
	return perms
}

// aclMode sets out's permission bits from the ACL of the znode at p (dir: its directory,
// else its data file) when the mount allows other users. On error the fixed modes stay: the
// server has the last word anyway.
func (f *fsys) aclMode(ctx context.Context, p string, dir bool, out *fuse.Attr) {
	if !f.opts.AllowOther {
		return
	}
	acl, err := f.src.CachedACL(ctx, p)
	var perms int32
	switch {
	case err == nil:
		perms = f.aclPerms(acl)
	case errors.Is(err, zkclient.ErrNoAuth):
		// Reading the ACL needs READ or ADMIN: neither is granted;
		// what else is, the server will say.
		perms = jute.PermAll &^ (jute.PermRead | jute.PermAdmin)
	default:
		return
	}
	var owner uint32
	if perms&jute.PermRead != 0 {
		owner |= 0o400
	}
	if dir {
		owner |= 0o100
		if perms&(jute.PermCreate|jute.PermDelete) != 0 {
			owner |= 0o200
		}
	} else if perms&jute.PermWrite != 0 {
		owner |= 0o200
	}
	rx := owner & 0o500
	out.Mode = out.Mode&^0o777 | owner | rx>>3 | rx>>6
}
