#!/usr/bin/env bash
# demo.sh is zkfs's one-command tour on a fresh Debian 12 machine: it installs what is
# missing, builds zkfs, starts a local ZooKeeper, seeds a small configuration tree, mounts it
# with `mount -t fuse.zkfs`, and shows ls, cat, echo and an inotify event caused by another
# ZooKeeper client. Then it waits for Ctrl-C (or, with --once, goes on at once) and unmounts
# and stops everything it started. Running it again works the same.
set -euo pipefail

usage() {
	cat <<'TXT'
Usage: scripts/demo.sh [--once] [--keep] [--port P] [--mnt DIR]

  --once     do not wait for Ctrl-C: clean up right after the tour
  --keep     leave ZooKeeper running and the tree mounted at the end
  --port P   ZooKeeper client port (default 2191)
  --mnt DIR  mount point (default /tmp/zkfs-demo/mnt)

Needs root (apt-get, mount).
TXT
}

once=0
keep=0
port=2191
mnt=/tmp/zkfs-demo/mnt
while [[ $# -gt 0 ]]; do
	case "$1" in
	--once) once=1 ;;
	--keep) keep=1 ;;
	--port) port="$2"; shift ;;
	--mnt) mnt="$2"; shift ;;
	-h | --help) usage; exit 0 ;;
	*) echo "demo.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
	esac
	shift
done
if [[ $(id -u) -ne 0 ]]; then
	echo "demo.sh: run as root (it installs packages and mounts)" >&2
	exit 1
fi

cd "$(dirname "$0")/.."
repo="$(pwd)"
if ! command -v go >/dev/null 2>&1 && [[ -x /usr/local/go/bin/go ]]; then
	export PATH="/usr/local/go/bin:$PATH"
fi
state=/tmp/zkfs-demo
export ZKFS_ZK_DIR="$state/zk"
mkdir -p "$state"

say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
run() { say "$*"; bash -c "$*"; }
kazoo() { # kazoo PYTHON-CODE: run code with `zk` connected to the demo server
	/usr/bin/python3 -c "
import logging; logging.basicConfig(level=logging.ERROR)
from kazoo.client import KazooClient
zk = KazooClient(hosts='127.0.0.1:$port'); zk.start()
$1
zk.stop()"
}

echo "== installing what is missing"
bash scripts/install-deps.sh
echo "== building zkfs"
mkdir -p bin
go build -o bin/zkfs .

# mount(8) runs /usr/local/bin/zkfs (or another zkfs on its fixed PATH) for fuse.zkfs.
linked=0
zkfs_cmd=(mount -t fuse.zkfs)
if [[ ! -e /usr/local/bin/zkfs ]]; then
	ln -s "$repo/bin/zkfs" /usr/local/bin/zkfs
	linked=1
elif [[ "$(readlink -f /usr/local/bin/zkfs)" != "$repo/bin/zkfs" ]]; then
	# Another zkfs is installed: leave it alone and run this build directly (the same
	# thing mount.fuse3 would do).
	zkfs_cmd=("$repo/bin/zkfs")
fi

cleanup_done=0
cleanup() {
	[[ $cleanup_done -eq 1 ]] && return
	cleanup_done=1
	trap - INT TERM EXIT
	[[ -n "${watcher:-}" ]] && kill "$watcher" 2>/dev/null || true
	cd /
	if [[ $keep -eq 1 ]]; then
		echo
		echo "== kept: zkfs is mounted on $mnt, ZooKeeper serves on 127.0.0.1:$port"
		echo "   stop with: umount $mnt && ZKFS_ZK_DIR=$ZKFS_ZK_DIR $repo/scripts/zk.sh clean"
		return
	fi
	echo
	echo "== cleaning up: umount $mnt, stopping ZooKeeper"
	if mountpoint -q "$mnt"; then
		umount "$mnt" 2>/dev/null || umount -l "$mnt" 2>/dev/null || true
	fi
	bash "$repo/scripts/zk.sh" clean >/dev/null 2>&1 || true
	if [[ $linked -eq 1 ]]; then rm -f /usr/local/bin/zkfs; fi
	echo "== done"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A previous run that was killed may have left a dead mount behind.
mkdir -p "$mnt" 2>/dev/null || umount -l "$mnt"
if mountpoint -q "$mnt" || ! stat "$mnt" >/dev/null 2>&1; then umount -l "$mnt" || true; fi

echo "== starting ZooKeeper on 127.0.0.1:$port"
bash scripts/zk.sh start --port "$port"

echo "== seeding /demo"
kazoo "
for p, v in [('/demo/app/config', b'max_connections=100\n'),
             ('/demo/app/features/dark_mode', b'off\n'),
             ('/demo/db/primary', b'host=db1 port=5432\n')]:
    zk.ensure_path(p); zk.set(p, v)
"

say "${zkfs_cmd[*]} 127.0.0.1:$port/demo $mnt -o log_file=$state/zkfs.log"
"${zkfs_cmd[@]}" "127.0.0.1:$port/demo" "$mnt" -o "log_file=$state/zkfs.log"
run "mount | grep ' $mnt '"
run "ls $mnt $mnt/app"
run "cat $mnt/app/config/.data"
run "echo 'max_connections=200' > $mnt/app/config/.data && cat $mnt/app/config/.data"
run "mkdir $mnt/app/new-service && ls $mnt/app"
run "getfattr -d $mnt/app/config | head -8"
run "grep -r . $mnt --include=.data"

say "inotifywait -r $mnt/app   # while another ZooKeeper client (kazoo) changes /demo/app"
events="$state/inotify.txt"
: >"$events"
timeout 10 inotifywait -m -r -e create,delete,modify,close_write,attrib "$mnt/app" >"$events" 2>"$state/inotify.err" &
watcher=$!
for _ in $(seq 1 50); do
	grep -q "Watches established" "$state/inotify.err" && break
	sleep 0.1
done
kazoo "
zk.set('/demo/app/features/dark_mode', b'on\n')
zk.create('/demo/app/feature-flags', b'beta=1\n')
"
sleep 2
kill "$watcher" 2>/dev/null || true
wait "$watcher" 2>/dev/null || true
watcher=""
if [[ -s "$events" ]]; then
	sed 's/^/    /' "$events"
else
	echo "    (no inotify event arrived within 2 s)"
fi
run "cat $mnt/app/features/dark_mode/.data; ls $mnt/app   # the mount shows the change at once"

if [[ $once -eq 0 && $keep -eq 0 ]]; then
	echo
	echo "== $mnt is mounted; try it from another shell. Ctrl-C unmounts and stops ZooKeeper."
	while mountpoint -q "$mnt"; do sleep 1; done
	echo "== $mnt was unmounted"
fi
