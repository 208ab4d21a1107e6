#!/usr/bin/python3
"""An independent ZooKeeper client (kazoo) for zkfs's end-to-end tests.

Usage: zkcli.py HOSTS COMMAND ARGS...

  create PATH [DATA]     create a persistent znode (DATA absent: null data)
  get PATH               write the data to stdout, byte for byte
  set PATH DATA|-        set the data ("-": read it from stdin)
  delete PATH            delete (any version)
  setacl PATH ACL        set the ACL (any version): scheme:id:perms, perms
                         from "cdrwa"
  ls PATH                children, sorted, one per line
  stat PATH              the Stat as one JSON object
  walk PATH              every znode path below PATH (PATH excluded), sorted
  mktree PATH N FANOUT   create N znodes below PATH (FANOUT children per
                         znode, breadth first) with transactions of 500 ops
  ephemeral PATH         create an ephemeral znode, print "ready", and keep
                         the session until stdin is closed

Exit status: 0 ok, 3 no such znode, 4 node exists, 5 not empty, 1 other.
"""
import json
import sys

from kazoo.client import KazooClient
from kazoo.exceptions import NoNodeError, NodeExistsError, NotEmptyError
from kazoo.security import make_acl


def main(argv):
    if len(argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    hosts, cmd, args = argv[1], argv[2], argv[3:]
    zk = KazooClient(hosts=hosts, timeout=30)
    zk.start(timeout=30)
    try:
        return run(zk, cmd, args)
    except NoNodeError:
        sys.stderr.write("zkcli: no node\n")
        return 3
    except NodeExistsError:
        sys.stderr.write("zkcli: node exists\n")
        return 4
    except NotEmptyError:
        sys.stderr.write("zkcli: not empty\n")
        return 5
    finally:
        zk.stop()
        zk.close()


def run(zk, cmd, args):
    if cmd == "create":
        data = args[1].encode("utf-8", "surrogateescape") if len(args) > 1 else None
        zk.create(args[0], data)
    elif cmd == "get":
        data, _ = zk.get(args[0])
        sys.stdout.buffer.write(data or b"")
    elif cmd == "set":
        data = sys.stdin.buffer.read() if args[1] == "-" else args[1].encode("utf-8", "surrogateescape")
        zk.set(args[0], data)
    elif cmd == "delete":
        zk.delete(args[0])
    elif cmd == "setacl":
        scheme, ident, perms = args[1].rsplit(":", 2) if args[1].count(":") > 2 else args[1].split(":")
        zk.set_acls(args[0], [make_acl(scheme, ident,
                                       create="c" in perms, delete="d" in perms, read="r" in perms,
                                       write="w" in perms, admin="a" in perms)])
    elif cmd == "ls":
        for name in sorted(zk.get_children(args[0])):
            print(name)
    elif cmd == "stat":
        _, st = zk.get(args[0])
        print(json.dumps({
            "czxid": st.czxid, "mzxid": st.mzxid, "pzxid": st.pzxid,
            "ctime": st.ctime, "mtime": st.mtime, "version": st.version,
            "cversion": st.cversion, "aversion": st.aversion,
            "ephemeralOwner": st.ephemeralOwner, "dataLength": st.dataLength,
            "numChildren": st.numChildren}))
    elif cmd == "walk":
        out = []
        todo = [args[0]]
        while todo:
            p = todo.pop()
            for name in zk.get_children(p):
                c = p.rstrip("/") + "/" + name
                out.append(c)
                todo.append(c)
        for p in sorted(out):
            print(p)
    elif cmd == "mktree":
        root, n, fanout = args[0], int(args[1]), int(args[2])
        paths = []
        parents = [root]
        i = 0
        while len(paths) < n:
            nxt = []
            for par in parents:
                for _ in range(fanout):
                    if len(paths) >= n:
                        break
                    c = par.rstrip("/") + "/n%d" % i
                    i += 1
                    paths.append(c)
                    nxt.append(c)
            parents = nxt
        for k in range(0, len(paths), 500):
            tx = zk.transaction()
            for p in paths[k:k + 500]:
                tx.create(p, p.encode())
            res = tx.commit()
            for r in res:
                if isinstance(r, Exception):
                    raise r
    elif cmd == "ephemeral":
        zk.create(args[0], b"eph", ephemeral=True)
        print("ready", flush=True)
        sys.stdin.read()
    else:
        sys.stderr.write("zkcli: unknown command %s\n" % cmd)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
