#!/usr/bin/env bash
# bench.sh measures zkfs against reference figures taken in the same run, side by side:
# a plain ZooKeeper client (github.com/go-zookeeper/zk, through bench/fsbench) on the same
# server, and the same tree on tmpfs. It prints a table of medians and ratios. It never
# fails because of a timing: the table says which targets hold. Run `scripts/bench.sh --help`.
set -Eeuo pipefail
export LC_ALL=C

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/.." && pwd)"

usage() {
	cat <<EOF
Usage: scripts/bench.sh [OPTIONS]

Builds zkfs and bench/fsbench, starts its own ZooKeeper 3.8 server (Netty connection
factory, private port and directory), loads a tree with a pipelined loader, mounts it
with zkfs, and measures, each run alternating with its reference:

  warm find      a second 'find MNT | wc -l'                vs the same on a tmpfs copy
  warm cat       a second 'find MNT -name .data -exec cat {} +' vs the same on tmpfs
  cold grep      the first 'grep -r PATTERN MNT' after mounting
                                             vs a 64-way go-zookeeper walk (getChildren + getData)
  cold read      open+read+close of one data file on a fresh mount, p50 over distinct dirs
                                             vs one go-zookeeper getData, p50
  propagation    setData by another session until a read of the mount sees the bytes,
                 and until an inotify event arrives  vs a go-zookeeper watch on another session
  RSS            of the daemon after the cold grep walked the whole tree
  FUSE floor     warm cat, cold grep and cold read are also run on the same tree served
                 by a go-fuse server that does nothing but answer from memory (fsbench
                 floor): what FUSE alone costs on this machine, against the same reference;
                 and open+read+close of one warm file, p50: zkfs vs that server vs tmpfs
  with --big:    RSS after walking a 101,001-znode tree; 'ls' of a znode with 100,000
                 children vs one go-zookeeper getChildren

Tree: the root plus 100 directories x 100 leaves = 10,101 znodes, 100 bytes of data each.

Options:
  --quick          smoke test: 20 x 20 tree, 3 runs, 100 setData calls (with --big:
                   10,101-znode tree and 10,000 children)
  --big            also the 100,000-znode measures (several minutes more)
  --runs N         runs per measure (default 5; --quick 3)
  --setdata N      setData calls per propagation run (default 1000; --quick 100)
  --port P         client port for the server (default: a free one from 20000-39999)
  --zkfs-flags S   extra flags for the zkfs daemon (one string, split on spaces)
  --zkfs-bin PATH  measure this zkfs binary instead of building one from the tree
  --floor-flags S  extra flags for the do-nothing server (e.g. --no-open, to go with a
                   read-only zkfs, which the kernel opens files for by itself)
  --keep           keep the work directory (logs) after the run
  -h, --help       this help

Needs root (FUSE mount without fusermount, tmpfs), go, java and Debian's ZooKeeper jars
(scripts/install-deps.sh). Everything it starts is stopped and unmounted on exit, also on
Ctrl-C. The machine's load average is printed before and after: compare only runs made
under similar load, and only with the same connection factory.
EOF
}

die() {
	echo "bench.sh: $*" >&2
	exit 1
}
log() { echo "bench.sh: $*" >&2; }

# ---------------------------------------------------------------- options
quick=0 big=0 runs="" port="" keep=0 zkfs_extra="" zkfs_bin="" setdata="" floor_extra=""
while (($# > 0)); do
	case "$1" in
	-h | --help) usage; exit 0 ;;
	--quick) quick=1 ;;
	--big) big=1 ;;
	--keep) keep=1 ;;
	--runs)
		[[ $# -ge 2 && "$2" =~ ^[1-9][0-9]*$ ]] || die "--runs needs a positive number"
		runs="$2"; shift ;;
	--setdata)
		[[ $# -ge 2 && "$2" =~ ^[1-9][0-9]*$ ]] || die "--setdata needs a positive number"
		setdata="$2"; shift ;;
	--port)
		[[ $# -ge 2 && "$2" =~ ^[0-9]+$ ]] || die "--port needs a number"
		port="$2"; shift ;;
	--zkfs-bin)
		[[ $# -ge 2 && -x "$2" ]] || die "--zkfs-bin needs an executable"
		zkfs_bin="$(realpath "$2")"; shift ;;
	--zkfs-flags)
		[[ $# -ge 2 ]] || die "--zkfs-flags needs a string"
		zkfs_extra="$2"; shift ;;
	--floor-flags)
		[[ $# -ge 2 ]] || die "--floor-flags needs a string"
		floor_extra="$2"; shift ;;
	*) die "unknown option $1 (see --help)" ;;
	esac
	shift
done

if [[ "$quick" == 1 ]]; then
	dirs=20 leaves=20 prop_n=100 big_dirs=100 big_leaves=100 flat=10000
	runs="${runs:-3}"
else
	dirs=100 leaves=100 prop_n=1000 big_dirs=1000 big_leaves=100 flat=100000
	runs="${runs:-5}"
fi
prop_n="${setdata:-$prop_n}"
size=100
nodes=$((1 + dirs + dirs * leaves))
big_nodes=$((1 + big_dirs + big_dirs * big_leaves))
needle=zkfs-needle # = fsbench's Needle
read -r -a zkfs_flags <<<"$zkfs_extra"
read -r -a floor_flags <<<"$floor_extra"

# ---------------------------------------------------------------- checks
[[ "$(id -u)" == 0 ]] || die "run as root (zkfs mounts directly with mount(2); the tmpfs copy needs mount)"
[[ -c /dev/fuse ]] || die "/dev/fuse missing"
for c in go java find grep awk sort mount umount mountpoint; do
	command -v "$c" >/dev/null 2>&1 || die "$c not found (run scripts/install-deps.sh)"
done
bash "$here/zk-classpath.sh" >/dev/null || die "ZooKeeper jars missing (run scripts/install-deps.sh)"

# ---------------------------------------------------------------- state and cleanup
work="$(mktemp -d /tmp/zkfs-bench.XXXXXX)"
bin="$work/bin" mnt="$work/mnt" mnt2="$work/mnt2" mnt3="$work/mnt3" tmpfs="$work/tmpfs" logs="$work/logs"
mkdir -p "$bin" "$mnt" "$mnt2" "$mnt3" "$tmpfs" "$logs"
zkfs_pid="" zkfs_mnt="" floor_pid="" server_started=0

alive() { # alive PID: exists and is not a zombie
	local st
	st="$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null || true)"
	[[ -n "$st" && "$st" != Z && "$st" != X ]]
}

mounted() { # mounted DIR: something is mounted exactly there
	awk -v d="$1" '$5 == d { found = 1 } END { exit !found }' /proc/self/mountinfo
}

# stop_zkfs ends the daemon started by start_zkfs and makes sure its mount is gone.
stop_zkfs() {
	local pid="$zkfs_pid" m="$zkfs_mnt" deadline
	zkfs_pid="" zkfs_mnt=""
	[[ -n "$pid" ]] || return 0
	if alive "$pid"; then
		kill -TERM "$pid" 2>/dev/null || true
		deadline=$((SECONDS + 15))
		while alive "$pid" && ((SECONDS < deadline)); do sleep 0.05; done
		if alive "$pid"; then
			log "zkfs (pid $pid) still running 15 s after SIGTERM: unmounting and killing it"
			umount -l "$m" 2>/dev/null || true
			kill -KILL "$pid" 2>/dev/null || true
		fi
	fi
	wait "$pid" 2>/dev/null || true
	if mounted "$m"; then
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
	fi
}

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	stop_zkfs
	stop_floor
	local d
	for d in "$mnt" "$mnt2" "$mnt3" "$tmpfs"; do
		if mounted "$d"; then umount "$d" 2>/dev/null || umount -l "$d" 2>/dev/null || true; fi
	done
	if [[ "$server_started" == 1 ]]; then
		bash "$here/zk.sh" --dir "$work/zk" stop >/dev/null 2>&1 || true
	fi
	if awk -v w="$work/" 'index($5, w) == 1 { found = 1 } END { exit !found }' /proc/self/mountinfo; then
		log "something is still mounted under $work: not deleting it"
	elif [[ "$keep" == 1 || $rc != 0 ]]; then
		log "work directory kept: $work (logs in $logs)"
		rm -rf "$work/zk/server1/data" "$tmpfs" 2>/dev/null || true
	else
		rm -rf "$work"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'log interrupted; exit 130' INT
trap 'log terminated; exit 143' TERM
trap 'log "failed at line $LINENO: $BASH_COMMAND"' ERR

# ---------------------------------------------------------------- helpers
fsb() { "$bin/fsbench" "$@"; }

kv() { # kv KEY TEXT: the value of a key=value line
	sed -n "s/^$1=//p" <<<"$2" | head -n 1
}

now_us() { # sets the variable named $1 to the current time in microseconds
	printf -v "$1" '%s' "${EPOCHREALTIME/./}"
}

ms_since() { # ms_since START_US: milliseconds since then, 3 decimals
	local end="${EPOCHREALTIME/./}"
	awk -v a="$1" -v b="$end" 'BEGIN { printf "%.3f", (b - a) / 1000 }'
}

declare -A vals=() bad=()
record() { # record KEY VALUE
	vals[$1]="${vals[$1]:-} $2"
}
flag_bad() { # flag_bad KEY REASON: the zkfs side gave a wrong result in some run
	bad[$1]="$2"
	log "WRONG RESULT ($1): $2"
}

median() { # median KEY: median of the recorded values, "" if none
	local v="${vals[$1]:-}"
	[[ -n "${v// /}" ]] || return 0
	tr ' ' '\n' <<<"$v" | sed '/^$/d' | sort -g | awk '{ a[NR] = $1 } END {
		if (NR % 2) print a[(NR + 1) / 2]; else printf "%.3f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

free_port() {
	local p i
	for ((i = 0; i < 200; i++)); do
		p=$((20000 + RANDOM % 20000))
		if ! timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"' _ "$p" 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	die "no free port found"
}

# start_zkfs CHROOT MOUNTPOINT: run the daemon in the background, wait for the mount.
start_zkfs() {
	local chroot="$1" m="$2"
	"$bin/zkfs" "${zkfs_flags[@]}" "127.0.0.1:$port$chroot" "$m" >>"$logs/zkfs.log" 2>&1 &
	zkfs_pid=$! zkfs_mnt="$m"
	wait_mounted zkfs "$zkfs_pid" "$m" "$logs/zkfs.log"
}

# wait_mounted NAME PID MOUNTPOINT LOG: wait (60 s at most) until PID has mounted MOUNTPOINT.
wait_mounted() {
	local name="$1" pid="$2" m="$3" logf="$4" deadline=$((SECONDS + 60))
	until mounted "$m"; do
		if ! alive "$pid"; then
			tail -n 20 "$logf" >&2
			die "$name exited before mounting $m (log above)"
		fi
		((SECONDS < deadline)) || die "$name did not mount $m within 60 s (log: $logf)"
		sleep 0.01
	done
}

remount() { # remount CHROOT MOUNTPOINT: a fresh daemon, nothing cached anywhere
	stop_zkfs
	start_zkfs "$1" "$2"
}

# start_floor: (re)start the do-nothing FUSE server on $mnt3, serving the tree; a fresh
# mount, so that the kernel holds nothing of it.
start_floor() {
	stop_floor
	"$bin/fsbench" floor "${floor_flags[@]}" --mount "$mnt3" --dirs "$dirs" --leaves "$leaves" --size "$size" --needle \
		>>"$logs/floor.log" 2>&1 &
	floor_pid=$!
	wait_mounted "fsbench floor" "$floor_pid" "$mnt3" "$logs/floor.log"
}

stop_floor() {
	local pid="$floor_pid"
	floor_pid=""
	[[ -n "$pid" ]] || return 0
	kill -TERM "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	if mounted "$mnt3"; then umount "$mnt3" 2>/dev/null || umount -l "$mnt3" 2>/dev/null || true; fi
}

# The order of the three sides of a measure, rotated run by run.
orders3=("ref zkfs floor" "zkfs floor ref" "floor ref zkfs")

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

# ---------------------------------------------------------------- build
log "building zkfs and fsbench"
if [[ -n "$zkfs_bin" ]]; then
	cp "$zkfs_bin" "$bin/zkfs"
else
	(cd "$repo" && go build -o "$bin/zkfs" .) || die "building zkfs failed"
fi
(cd "$repo/bench/fsbench" && go build -o "$bin/fsbench" .) || die "building bench/fsbench failed"

# ---------------------------------------------------------------- server
port="${port:-$(free_port)}"
log "starting ZooKeeper (NettyServerCnxnFactory) on 127.0.0.1:$port"
server_started=1
bash "$here/zk.sh" --dir "$work/zk" start --netty --port "$port" >"$logs/zk-start.log" 2>&1 ||
	{ cat "$logs/zk-start.log" >&2; die "the server did not start"; }
grep -q '^serverCnxnFactory=org.apache.zookeeper.server.NettyServerCnxnFactory$' "$work/zk/server1/zoo.cfg" ||
	die "the server is not configured with the Netty connection factory"
zk_version="$(timeout 10 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"; printf srvr >&3; cat <&3' _ "$port" |
	sed -n 's/^Zookeeper version: \([^,-]*\).*/\1/p')"
servers="127.0.0.1:$port"

load_start="$(loadavg)"
echo "zkfs benchmark $(date -Is)"
echo "  server:      ZooKeeper ${zk_version:-?} standalone, NettyServerCnxnFactory, $servers (-Xmx512m)"
echo "  reference:   github.com/go-zookeeper/zk v1.0.4 (bench/fsbench); tmpfs for the warm measures"
echo "  machine:     $(nproc) cores, $(uname -r), load average $load_start at start"
echo "  zkfs flags:  ${zkfs_extra:-(defaults)}"
echo "  floor:       fsbench floor, the same tree from a go-fuse server that only answers; flags: ${floor_extra:-(defaults)}"
echo "  tree:        1 + $dirs x (1 + $leaves) = $nodes znodes, $size bytes each; $runs runs per measure$([[ $quick == 1 ]] && echo ' (--quick)')"
echo

log "loading the tree"
out="$(fsb load --servers "$servers" --root /fsbench --dirs "$dirs" --leaves "$leaves" --size "$size" --needle)"
log "loaded $(kv nodes "$out") znodes in $(kv seconds "$out") s ($(kv rate_per_s "$out")/s)"
if [[ "$big" == 1 ]]; then
	out="$(fsb load --servers "$servers" --root /fsbench-big --dirs "$big_dirs" --leaves "$big_leaves" --size "$size" --needle)"
	log "loaded $(kv nodes "$out") znodes in $(kv seconds "$out") s"
	out="$(fsb load --servers "$servers" --root /fsbench-flat --flat "$flat" --size 0)"
	log "loaded $(kv nodes "$out") znodes in $(kv seconds "$out") s"
fi
log "warming the server up (JIT): 3 untimed walks"
for _ in 1 2 3; do fsb walk --servers "$servers" --root /fsbench --want "$nodes" >/dev/null; done

log "writing the tmpfs copy"
mount -t tmpfs -o size=1g,mode=0755 zkfs-bench "$tmpfs"
fsb mktree --dir "$tmpfs" --root /fsbench --dirs "$dirs" --leaves "$leaves" --size "$size" --needle >/dev/null

# ---------------------------------------------------------------- 1. warm find and cat
# The commands under test; a hung mount ends them after 10 minutes (the run then fails).
find_cmd() { timeout 600 find "$1" | wc -l; }
cat_cmd() { timeout 600 find "$1" -name .data -exec cat {} + | wc -c; }
content() { (cd "$1" && find . -name .data | sort | xargs cat | md5sum | cut -d' ' -f1); }

log "1. warm find / cat (zkfs, tmpfs, the do-nothing FUSE server)"
start_zkfs /fsbench "$mnt"
start_floor
want_find="$(find_cmd "$tmpfs")" want_cat="$(cat_cmd "$tmpfs")"
for side in zkfs floor; do
	d="$mnt"
	if [[ "$side" == floor ]]; then d="$mnt3"; fi
	got_find="$(find_cmd "$d")"
	got_cat="$(cat_cmd "$d")"
	[[ "$got_find" == "$want_find" ]] || flag_bad "find_$side" "find listed $got_find entries, tmpfs $want_find"
	[[ "$got_cat" == "$want_cat" ]] || flag_bad "cat_$side" "cat read $got_cat bytes, tmpfs $want_cat"
	if ! diff <(cd "$tmpfs" && find . | sort) <(cd "$d" && find . | sort) >"$logs/find-$side.diff"; then
		flag_bad "find_$side" "the names on $side differ from the tmpfs copy (see $logs/find-$side.diff)"
	fi
	[[ "$(content "$d")" == "$(content "$tmpfs")" ]] || flag_bad "cat_$side" "the data files' contents on $side differ from the tmpfs copy"
done

for ((r = 1; r <= runs; r++)); do
	for side in ${orders3[r % 3]}; do
		case "$side" in
		ref) d="$tmpfs" ;;
		zkfs) d="$mnt" ;;
		floor) d="$mnt3" ;;
		esac
		now_us t0; n="$(find_cmd "$d")"; record "find_$side" "$(ms_since "$t0")"
		[[ "$side" == ref || "$n" == "$want_find" ]] || flag_bad "find_$side" "run $r: $n entries, want $want_find"
		now_us t0; n="$(cat_cmd "$d")"; record "cat_$side" "$(ms_since "$t0")"
		[[ "$side" == ref || "$n" == "$want_cat" ]] || flag_bad "cat_$side" "run $r: $n bytes, want $want_cat"
	done
done

# ---------------------------------------------------------------- 1b. the FUSE floor
# One warm data file of the mount, the same bytes on tmpfs, and the one file of a go-fuse
# server that does nothing but answer (fsbench floor), each opened, read and closed 20,000
# times in a row (the order rotates run by run): what FUSE costs per file on this machine, and
# what zkfs adds to it.
log "1b. open+read+close of one warm file: zkfs, the do-nothing FUSE server, tmpfs"
for ((r = 1; r <= runs; r++)); do
	for side in ${orders3[r % 3]}; do
		out="$(fsb openloop --file "$(case "$side" in ref) echo "$tmpfs" ;; zkfs) echo "$mnt" ;; floor) echo "$mnt3" ;; esac)/d000/l000/.data" --n 20000)"
		record "open_$side" "$(kv p50_us "$out")"
	done
done

# ---------------------------------------------------------------- 2. cold grep, RSS
log "2. cold grep -r (remount before each run)"
want_hit="/d$(printf %03d $((dirs / 2)))/l$(printf %03d $((leaves / 2)))/.data"
for ((r = 1; r <= runs; r++)); do
	for side in ${orders3[r % 3]}; do
		case "$side" in
		ref)
			out="$(fsb walk --servers "$servers" --root /fsbench --inflight 64 --want "$nodes")"
			record grep_ref "$(awk -v s="$(kv seconds "$out")" 'BEGIN { printf "%.3f", s * 1000 }')"
			continue ;;
		zkfs) remount /fsbench "$mnt"; d="$mnt" ;;
		floor) start_floor; d="$mnt3" ;;
		esac
		now_us t0
		timeout 600 grep -r "$needle" "$d" >"$logs/grep.out" || true
		record "grep_$side" "$(ms_since "$t0")"
		hits="$(cut -d: -f1 "$logs/grep.out" | tr '\n' ' ')"
		[[ "$hits" == "$d$want_hit " ]] || flag_bad "grep_$side" "run $r: grep found '${hits}', want '$d$want_hit'"
		if [[ "$side" == zkfs ]]; then record rss_small "$(kv rss_mb "$(fsb rss --pid "$zkfs_pid")")"; fi
	done
done

# ---------------------------------------------------------------- 3. cold single read
log "3. cold read of one data file (remount before each run)"
for ((r = 1; r <= runs; r++)); do
	for side in ${orders3[r % 3]}; do
		if [[ "$side" == ref ]]; then
			out="$(fsb get --servers "$servers" --root /fsbench --dirs "$dirs" --leaves "$leaves" --size "$size")"
		else
			d="$mnt"
			if [[ "$side" == zkfs ]]; then remount /fsbench "$mnt"; else start_floor; d="$mnt3"; fi
			if ! out="$(fsb coldread --mount "$d" --root /fsbench --dirs "$dirs" --leaves "$leaves" --size "$size" --needle 2>"$logs/coldread.err")"; then
				flag_bad "read_$side" "run $r: $(cat "$logs/coldread.err")"
				continue
			fi
		fi
		record "read_$side" "$(kv p50_us "$out")"
	done
done
stop_floor

# ---------------------------------------------------------------- 4. propagation
log "4. propagation ($prop_n setData calls per run)"
[[ "$zkfs_mnt" == "$mnt" ]] || remount /fsbench "$mnt"
inotify_na=0
for ((r = 1; r <= runs; r++)); do
	for side in $( ((r % 2)) && echo "ref zkfs" || echo "zkfs ref"); do
		if [[ "$side" == ref ]]; then
			out="$(fsb watchlat --servers "$servers" --path /fsbench/d000/l000 --n "$prop_n" --size "$size")"
			record watch_p50 "$(kv watch_p50_us "$out")"
			record watch_p99 "$(kv watch_p99_us "$out")"
			continue
		fi
		if ! out="$(fsb propagate --servers "$servers" --path /fsbench/d000/l000 --file "$mnt/d000/l000/.data" \
			--n "$prop_n" --size "$size" 2>"$logs/propagate.err")"; then
			flag_bad prop "run $r: $(cat "$logs/propagate.err")"
			continue
		fi
		record prop_p50 "$(kv read_p50_us "$out")"
		record prop_p99 "$(kv read_p99_us "$out")"
		[[ "$(kv read_missed "$out")" == 0 ]] || flag_bad prop "run $r: $(kv read_missed "$out") changes never became visible within 5 s"
		if [[ "$(kv inotify "$out")" == n/a ]]; then
			inotify_na=1
		else
			record ino_p99 "$(kv inotify_p99_us "$out")"
			record ino_p50 "$(kv inotify_p50_us "$out")"
		fi
	done
done
stop_zkfs

# ---------------------------------------------------------------- 5. --big
if [[ "$big" == 1 ]]; then
	log "5. memory after walking $big_nodes znodes; ls of $flat children"
	for ((r = 1; r <= runs; r++)); do
		out="$(fsb walk --servers "$servers" --root /fsbench-big --inflight 64 --want "$big_nodes")"
		record biggrep_ref "$(awk -v s="$(kv seconds "$out")" 'BEGIN { printf "%.3f", s * 1000 }')"
		remount /fsbench-big "$mnt2"
		now_us t0
		timeout 600 grep -r "$needle" "$mnt2" >"$logs/grep-big.out" || true
		record biggrep_zkfs "$(ms_since "$t0")"
		[[ "$(wc -l <"$logs/grep-big.out")" == 1 ]] || flag_bad biggrep "run $r: grep found $(wc -l <"$logs/grep-big.out") lines, want 1"
		out="$(fsb rss --pid "$zkfs_pid")"
		record rss_big "$(kv rss_mb "$out")"
		record hwm_big "$(kv hwm_mb "$out")"
		stop_zkfs
	done
	for ((r = 1; r <= runs; r++)); do
		for side in $( ((r % 2)) && echo "ref zkfs" || echo "zkfs ref"); do
			if [[ "$side" == ref ]]; then
				out="$(fsb children --servers "$servers" --path /fsbench-flat)"
				[[ "$(kv children "$out")" == "$flat" ]] || die "getChildren returned $(kv children "$out") names, want $flat"
				record ls_ref "$(awk -v s="$(kv seconds "$out")" 'BEGIN { printf "%.3f", s * 1000 }')"
				continue
			fi
			remount /fsbench-flat "$mnt2"
			now_us t0
			n="$(timeout 600 ls "$mnt2" | wc -l)"
			record ls_zkfs "$(ms_since "$t0")"
			[[ "$n" == "$flat" ]] || flag_bad ls "run $r: ls listed $n names, want $flat"
		done
	done
	stop_zkfs
fi

# ---------------------------------------------------------------- table
row() { # row LABEL ZKFS REF UNIT TARGET-KIND TARGET BADKEY
	local label="$1" z="$2" ref="$3" unit="$4" kind="$5" target="$6" badkey="$7" ratio="-" holds="-" tgt="-"
	if [[ -n "$z" && -n "$ref" && "$ref" != "-" ]]; then
		ratio="$(awk -v a="$z" -v b="$ref" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')"
	fi
	case "$kind" in
	ratio)
		tgt="≤ ${target}×"
		[[ "$ratio" != "-" ]] && holds="$(awk -v r="$ratio" -v t="$target" 'BEGIN { print (r <= t) ? "yes" : "no" }')" ;;
	abs)
		tgt="≤ $target $unit"
		[[ -n "$z" ]] && holds="$(awk -v v="$z" -v t="$target" 'BEGIN { print (v <= t) ? "yes" : "no" }')" ;;
	esac
	[[ -z "$z" ]] && z="n/a" && holds="n/a"
	[[ -n "$badkey" && -n "${bad[$badkey]:-}" ]] && holds="no (wrong result)"
	[[ "$z" != n/a ]] && z="$z $unit"
	[[ "$ref" != "-" && -n "$ref" ]] && ref="$ref $unit"
	[[ -z "$ref" ]] && ref="-"
	printf '| %s | %s | %s | %s | %s | %s |\n' "$label" "$z" "$ref" "$ratio" "$tgt" "$holds"
}
us2ms() { [[ -n "$1" ]] && awk -v v="$1" 'BEGIN { printf "%.3f", v / 1000 }' || true; }

echo
echo "Medians of $runs runs; load average $load_start at start, $(loadavg) at the end."
echo
echo "| measure | zkfs median | reference median | ratio | target | holds? |"
echo "|---|---|---|---|---|---|"
row "warm \`find MNT \\| wc -l\` ($((2 * nodes)) entries) vs tmpfs" "$(median find_zkfs)" "$(median find_ref)" ms ratio 1.5 find_zkfs
row "— the same through the do-nothing FUSE server" "$(median find_floor)" "$(median find_ref)" ms none "" find_floor
row "warm \`find MNT -name .data -exec cat {} +\` vs tmpfs" "$(median cat_zkfs)" "$(median cat_ref)" ms ratio 1.5 cat_zkfs
row "— the same through the do-nothing FUSE server" "$(median cat_floor)" "$(median cat_ref)" ms none "" cat_floor
row "cold \`grep -r $needle MNT\` vs 64-way go-zk walk" "$(median grep_zkfs)" "$(median grep_ref)" ms ratio 1.5 grep_zkfs
row "— the same through the do-nothing FUSE server" "$(median grep_floor)" "$(median grep_ref)" ms none "" grep_floor
row "cold read of one data file, p50 vs go-zk getData p50" "$(median read_zkfs)" "$(median read_ref)" µs ratio 1.5 read_zkfs
row "— the same through the do-nothing FUSE server" "$(median read_floor)" "$(median read_ref)" µs none "" read_floor
row "propagation setData → read sees it, p50 (ref: go-zk watch)" "$(us2ms "$(median prop_p50)")" "$(us2ms "$(median watch_p50)")" ms abs 2 prop
row "propagation setData → read sees it, p99 (ref: go-zk watch)" "$(us2ms "$(median prop_p99)")" "$(us2ms "$(median watch_p99)")" ms abs 10 prop
if [[ "$inotify_na" == 1 || -z "$(median ino_p99)" ]]; then
	echo "| propagation setData → inotify event, p99 | n/a (no inotify event from the mount) | - | - | ≤ 50 ms | n/a |"
else
	row "propagation setData → inotify event, p99" "$(us2ms "$(median ino_p99)")" "" ms abs 50 prop
fi
row "daemon RSS after the cold grep of $nodes znodes" "$(median rss_small)" "" MiB none "" ""
row "open+read+close of one warm file, p50: zkfs vs the do-nothing FUSE server" "$(median open_zkfs)" "$(median open_floor)" µs none "" ""
row "the same: the do-nothing FUSE server vs tmpfs (the price of FUSE)" "$(median open_floor)" "$(median open_ref)" µs none "" ""
if [[ "$big" == 1 ]]; then
	row "cold \`grep -r\` of $big_nodes znodes vs 64-way go-zk walk" "$(median biggrep_zkfs)" "$(median biggrep_ref)" ms none "" biggrep
	row "daemon RSS after walking $big_nodes znodes" "$(median rss_big)" "" MiB abs 150 biggrep
	row "cold \`ls MNT\` of a znode with $flat children vs go-zk getChildren" "$(median ls_zkfs)" "$(median ls_ref)" ms none "" ls
else
	echo "| daemon RSS after walking 101,001 znodes | not run (--big) | - | - | ≤ 150 MiB | - |"
	echo "| cold \`ls MNT\` of 100,000 children vs go-zk getChildren | not run (--big) | - | - | - | - |"
fi
if ((${#bad[@]} > 0)); then
	echo
	echo "Wrong results (the measure does not count):"
	for k in "${!bad[@]}"; do echo "  $k: ${bad[$k]}"; done
fi
