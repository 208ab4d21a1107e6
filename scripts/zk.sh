#!/usr/bin/env bash
# zk.sh starts, inspects and stops a ZooKeeper 3.8 server (or a 3-member ensemble) on
# 127.0.0.1 by hand, for trying zkfs out. Tests do not use it: they start their own
# servers through internal/zktest. Run `scripts/zk.sh --help` for usage.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
state="${ZKFS_ZK_DIR:-/tmp/zkfs-zk}"
ready_timeout=60

usage() {
	cat <<EOF
Usage: scripts/zk.sh COMMAND [OPTIONS]

Run Debian's ZooKeeper 3.8 (java straight from /usr/share/java, see
scripts/zk-classpath.sh) on 127.0.0.1, detached from the shell, with its state in one
directory. Commands:

  start     start a standalone server (or, with --ensemble, three members) and wait
            until each answers 'srvr' as standalone/leader/follower; prints the
            connect string. Does nothing but print it when already running.
  stop      kill the servers (SIGTERM, then SIGKILL after 10 s); data is kept.
  status    show each server's pid and mode; exit 0 only if all serve.
  clean     stop, then delete the state directory (all data).

Options for start:
  --ensemble      three members (QuorumPeerMain) instead of one standalone server
  --port P        client port (default 2181); an ensemble uses P, P+1, P+2 for
                  clients, P+1000.. for quorum and P+2000.. for leader election
  --netty         NettyServerCnxnFactory instead of NIO (faster with many callers)
Options for every command:
  --dir D         state directory (default \$ZKFS_ZK_DIR or /tmp/zkfs-zk)

Every server gets tickTime=2000 (session timeouts clamp to [4 s, 40 s]),
4lw.commands.whitelist=*, the admin server off, TTL nodes enabled and containers
checked every second. Logs: D/serverN/zookeeper.log.

Examples:
  scripts/zk.sh start                      # 127.0.0.1:2181
  eval "\$(scripts/zk.sh start --port 2281 | grep ^export)"; echo "\$ZK_ADDR"
  scripts/zk.sh start --ensemble --netty   # 127.0.0.1:2181,127.0.0.1:2182,127.0.0.1:2183
  scripts/zk.sh status; scripts/zk.sh stop
  # ask a server yourself (any four-letter word: srvr, stat, mntr, cons, conf):
  (exec 3<>/dev/tcp/127.0.0.1/2181; printf srvr >&3; cat <&3)
EOF
}

die() {
	echo "zk.sh: $*" >&2
	exit 1
}

# four_letter PORT WORD prints the server's answer to a four-letter word.
four_letter() {
	timeout 10 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" && printf %s "$2" >&3 && cat <&3' _ "$1" "$2" 2>/dev/null
}

# mode PORT prints standalone, leader, follower, or nothing when not serving.
mode() {
	{ four_letter "$1" srvr || true; } | sed -n 's/^Mode: //p'
}

port_in_use() {
	timeout 5 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"' _ "$1" 2>/dev/null
}

alive() { # alive PID: true if the process exists and is not a zombie
	local st
	st="$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null || true)"
	[[ -n "$st" && "$st" != Z && "$st" != X ]]
}

servers() { # the server directories, in order
	local d
	for d in "$state"/server*; do
		[[ -d "$d" ]] && echo "$d"
	done
}

running_pids() {
	local d pid
	for d in $(servers); do
		pid="$(cat "$d/pid" 2>/dev/null || true)"
		[[ -n "$pid" ]] && alive "$pid" && echo "$pid"
	done
	return 0
}

write_cfg() { # write_cfg DIR CLIENTPORT [server.N lines...]
	local dir="$1" port="$2"
	shift 2
	{
		echo "tickTime=2000"
		echo "dataDir=$dir/data"
		echo "clientPort=$port"
		echo "clientPortAddress=127.0.0.1"
		echo "maxClientCnxns=0"
		echo "4lw.commands.whitelist=*"
		echo "admin.enableServer=false"
		if [[ "$netty" == 1 ]]; then
			echo "serverCnxnFactory=org.apache.zookeeper.server.NettyServerCnxnFactory"
		fi
		if (($# > 0)); then
			echo "initLimit=10"
			echo "syncLimit=5"
			printf '%s\n' "$@"
		fi
	} >"$dir/zoo.cfg"
}

launch() { # launch DIR MAINCLASS
	local dir="$1" main="$2" classpath
	classpath="$(bash "$here/zk-classpath.sh")"
	echo "==== zk.sh: starting at $(date -Is)" >>"$dir/zookeeper.log"
	setsid java -Xmx512m -XX:-UsePerfData -Djava.net.preferIPv4Stack=true \
		-Dzookeeper.extendedTypesEnabled=true -Dznode.container.checkIntervalMs=1000 \
		-Dorg.slf4j.simpleLogger.showDateTime=true \
		-cp "$classpath" "$main" "$dir/zoo.cfg" </dev/null >>"$dir/zookeeper.log" 2>&1 &
	echo $! >"$dir/pid"
}

wait_ready() { # wait_ready DIR PORT MODES-REGEX
	local dir="$1" port="$2" want="$3" pid m deadline=$((SECONDS + ready_timeout))
	pid="$(cat "$dir/pid")"
	while :; do
		m="$(mode "$port")"
		[[ "$m" =~ ^($want)$ ]] && return 0
		if ! alive "$pid"; then
			tail -n 30 "$dir/zookeeper.log" >&2
			die "server in $dir exited before serving (log above; 'zk.sh stop' ends the others)"
		fi
		if ((SECONDS > deadline)); then
			tail -n 30 "$dir/zookeeper.log" >&2
			die "server on port $port not serving after ${ready_timeout}s (log above; 'zk.sh stop' ends it)"
		fi
		sleep 0.2
	done
}

cmd_start() {
	local ensemble=0 port=2181 i dir
	netty=0
	while (($# > 0)); do
		case "$1" in
		--ensemble) ensemble=1 ;;
		--netty) netty=1 ;;
		--port)
			[[ $# -ge 2 && "$2" =~ ^[0-9]+$ ]] || die "--port needs a number"
			port="$2"
			shift
			;;
		*) die "start: unknown option $1 (see --help)" ;;
		esac
		shift
	done
	command -v java >/dev/null 2>&1 || die "java not found (run scripts/install-deps.sh)"
	bash "$here/zk-classpath.sh" >/dev/null || die "ZooKeeper jars missing (run scripts/install-deps.sh)"

	if [[ -n "$(running_pids)" ]]; then
		echo "zk.sh: already running (state in $state); 'zk.sh stop' first to change the setup"
		print_connect
		return 0
	fi

	local n=1 main=org.apache.zookeeper.server.ZooKeeperServerMain
	if [[ "$ensemble" == 1 ]]; then
		n=3
		main=org.apache.zookeeper.server.quorum.QuorumPeerMain
	fi
	local members=() connect=() p
	for ((i = 0; i < n; i++)); do
		for p in $((port + i)) $((port + 1000 + i)) $((port + 2000 + i)); do
			if [[ "$ensemble" == 1 || "$p" == $((port + i)) ]] && port_in_use "$p"; then
				die "port $p on 127.0.0.1 is in use (choose another with --port)"
			fi
		done
		members+=("server.$((i + 1))=127.0.0.1:$((port + 1000 + i)):$((port + 2000 + i))")
		connect+=("127.0.0.1:$((port + i))")
	done

	# A previous setup of another shape would mix data: start from a fresh directory.
	if [[ -f "$state/setup" && "$(cat "$state/setup")" != "$n $port" ]]; then
		rm -rf "$state"
	fi
	mkdir -p "$state"
	echo "$n $port" >"$state/setup"
	(IFS=,; echo "${connect[*]}") >"$state/connect"

	for ((i = 0; i < n; i++)); do
		dir="$state/server$((i + 1))"
		mkdir -p "$dir/data"
		if [[ "$ensemble" == 1 ]]; then
			echo $((i + 1)) >"$dir/data/myid"
			write_cfg "$dir" $((port + i)) "${members[@]}"
		else
			write_cfg "$dir" "$port"
		fi
		launch "$dir" "$main"
	done
	for ((i = 0; i < n; i++)); do
		if [[ "$ensemble" == 1 ]]; then
			wait_ready "$state/server$((i + 1))" $((port + i)) 'leader|follower'
		else
			wait_ready "$state/server1" "$port" standalone
		fi
	done
	print_connect
}

print_connect() {
	local c
	c="$(cat "$state/connect")"
	echo "ZooKeeper serving at $c"
	echo "export ZK_ADDR=$c"
}

cmd_stop() {
	local d pid pids=() deadline
	for d in $(servers); do
		pid="$(cat "$d/pid" 2>/dev/null || true)"
		if [[ -n "$pid" ]] && alive "$pid"; then
			kill -TERM "$pid" 2>/dev/null || true
			pids+=("$pid")
		fi
		rm -f "$d/pid"
	done
	deadline=$((SECONDS + 10))
	for pid in "${pids[@]}"; do
		while alive "$pid"; do
			if ((SECONDS > deadline)); then
				kill -KILL "$pid" 2>/dev/null || true
			fi
			sleep 0.1
		done
	done
	echo "zk.sh: stopped ${#pids[@]} server(s); data kept in $state"
}

cmd_status() {
	local d pid port m ok=1 any=0
	for d in $(servers); do
		any=1
		port="$(sed -n 's/^clientPort=//p' "$d/zoo.cfg")"
		pid="$(cat "$d/pid" 2>/dev/null || true)"
		if [[ -n "$pid" ]] && alive "$pid"; then
			m="$(mode "$port")"
			echo "${d##*/}: pid $pid, 127.0.0.1:$port, mode ${m:-not serving}"
			[[ -n "$m" ]] || ok=0
		else
			echo "${d##*/}: not running (127.0.0.1:$port)"
			ok=0
		fi
	done
	if [[ "$any" == 0 ]]; then
		echo "zk.sh: nothing set up in $state"
		return 3
	fi
	if [[ "$ok" == 1 ]]; then
		print_connect
		return 0
	fi
	return 3
}

args=()
while (($# > 0)); do
	case "$1" in
	-h | --help | help)
		usage
		exit 0
		;;
	--dir)
		[[ $# -ge 2 ]] || die "--dir needs a directory"
		state="$2"
		shift
		;;
	*) args+=("$1") ;;
	esac
	shift
done
((${#args[@]} > 0)) || {
	usage >&2
	exit 2
}
cmd="${args[0]}"
args=("${args[@]:1}")
case "$cmd" in
start) cmd_start "${args[@]}" ;;
stop) cmd_stop ;;
status) cmd_status ;;
clean)
	cmd_stop
	rm -rf "$state"
	echo "zk.sh: removed $state"
	;;
*)
	echo "zk.sh: unknown command $cmd" >&2
	usage >&2
	exit 2
	;;
esac
