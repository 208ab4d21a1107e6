#!/usr/bin/env bash
# demo.sh is zkfs's one-command tour on a fresh Debian 12 machine: it installs what is
# missing, builds zkfs, starts a local ZooKeeper, mounts it, and shows ordinary tools
# reading and writing znodes, and a change made by another ZooKeeper client arriving
# through the mount. It cleans up after itself unless --keep is given.
set -euo pipefail

usage() {
	cat <<'TXT'
Usage: scripts/demo.sh [--keep] [--port P] [--mnt DIR]

  --keep     leave ZooKeeper running and the tree mounted at the end
  --port P   ZooKeeper client port (default 2191)
  --mnt DIR  mount point (default /tmp/zkfs-demo/mnt)

Needs root (apt-get, and mounting without fusermount).
TXT
}

keep=0
port=2191
mnt=/tmp/zkfs-demo/mnt
while [[ $# -gt 0 ]]; do
	case "$1" in
	--keep) keep=1 ;;
	--port) port="$2"; shift ;;
	--mnt) mnt="$2"; shift ;;
	-h | --help) usage; exit 0 ;;
	*) echo "demo.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
	esac
	shift
done

cd "$(dirname "$0")/.."
if ! command -v go >/dev/null 2>&1 && [[ -x /usr/local/go/bin/go ]]; then
	export PATH="/usr/local/go/bin:$PATH"
fi
export ZKFS_ZK_DIR=/tmp/zkfs-demo/zk

say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
run() { say "$*"; bash -c "$*"; }

echo "== installing what is missing"
bash scripts/install-deps.sh
echo "== building zkfs"
mkdir -p bin
go build -o bin/zkfs .

echo "== starting ZooKeeper on 127.0.0.1:$port"
bash scripts/zk.sh start --port "$port"
zkpid=""
cleanup() {
	if [[ $keep -eq 0 ]]; then
		umount "$mnt" 2>/dev/null || umount -l "$mnt" 2>/dev/null || true
		[[ -n "$zkpid" ]] && wait "$zkpid" 2>/dev/null || true
		bash scripts/zk.sh clean >/dev/null 2>&1 || true
	fi
}
trap cleanup EXIT

mkdir -p "$mnt"
if mountpoint -q "$mnt"; then umount "$mnt" || umount -l "$mnt"; fi
echo "== mounting 127.0.0.1:$port on $mnt"
./bin/zkfs "127.0.0.1:$port" "$mnt" >/tmp/zkfs-demo/zkfs.log 2>&1 &
zkpid=$!
for _ in $(seq 1 150); do
	mountpoint -q "$mnt" && break
	if ! kill -0 "$zkpid" 2>/dev/null; then
		echo "zkfs exited:"; cat /tmp/zkfs-demo/zkfs.log; exit 1
	fi
	sleep 0.1
done
mountpoint -q "$mnt" || { echo "zkfs did not mount"; cat /tmp/zkfs-demo/zkfs.log; exit 1; }

cd "$mnt"
run "ls -la $mnt"
run "mkdir -p $mnt/demo/app/config"
run "echo 'max_connections=100' > $mnt/demo/app/config/.data"
run "cat $mnt/demo/app/config/.data"
run "echo 'timeout=30' >> $mnt/demo/app/config/.data && cat $mnt/demo/app/config/.data"
run "ls -l $mnt/demo/app"
run "getfattr -d $mnt/demo/app/config | head -20"
run "grep -r timeout $mnt/demo"

say "another ZooKeeper client (kazoo) changes the node ..."
/usr/bin/python3 - "$port" <<'PY'
import sys
from kazoo.client import KazooClient
zk = KazooClient(hosts="127.0.0.1:" + sys.argv[1]); zk.start()
zk.set("/demo/app/config", b"max_connections=500\n")
zk.create("/demo/app/feature-flags", b"dark_mode=on\n")
zk.stop()
PY
sleep 0.2
run "cat $mnt/demo/app/config/.data   # the mount shows it at once"
run "ls $mnt/demo/app"
run "rm -rf $mnt/demo && ls $mnt"
cd /
echo
if [[ $keep -eq 1 ]]; then
	echo "== zkfs is still mounted on $mnt (pid $zkpid); stop with: umount $mnt && scripts/zk.sh stop"
else
	echo "== done: unmounting and stopping ZooKeeper"
fi
