#!/usr/bin/env bash
# zk-classpath.sh prints the Java classpath that runs Debian's ZooKeeper 3.8 server
# straight from /usr/share/java (ZK_JAVA_DIR overrides the directory).
#
# It is the one source of truth for that classpath: scripts/zk.sh and the Go test
# package internal/zktest both run it.
#
# Rules:
#   - zookeeper.jar itself; the Class-Path of its manifest pulls in most dependencies
#     (java resolves those on its own), but it is incomplete, so also:
#   - zookeeper-jute.jar and slf4j-api.jar (named in the manifest; listed again so the
#     order is explicit);
#   - slf4j-simple.jar, without which the server logs nothing;
#   - servlet-api.jar (the admin server classes are loaded even when it is disabled);
#   - every unversioned netty-*.jar except netty-all.jar (which duplicates them all)
#     and the jars for other systems or native OpenSSL (kqueue, macos, tcnative):
#     NettyServerCnxnFactory, and thus TLS, needs netty-codec, netty-resolver and
#     netty-transport-native-unix-common beyond what the manifest lists.
# Exit status 1, with a message on stderr, when a required jar is missing.
set -euo pipefail

dir="${ZK_JAVA_DIR:-/usr/share/java}"
required=(zookeeper.jar zookeeper-jute.jar slf4j-api.jar slf4j-simple.jar servlet-api.jar
	netty-codec.jar netty-resolver.jar netty-transport-native-unix-common.jar)

cp=()
for jar in "${required[@]}"; do
	if [[ ! -f "$dir/$jar" ]]; then
		echo "zk-classpath.sh: missing $dir/$jar (install: apt-get install -y zookeeper)" >&2
		exit 1
	fi
	cp+=("$dir/$jar")
done

shopt -s nullglob
for jar in "$dir"/netty-*.jar; do
	base="${jar##*/}"
	# Skip the versioned copies (netty-codec-4.1.48.Final.jar) and the all-in-one jar.
	[[ "$base" =~ -[0-9]+\.[0-9]+.*\.jar$ ]] && continue
	case "$base" in netty-all.jar | *kqueue* | *macos* | netty-tcnative*) continue ;; esac
	case " ${cp[*]} " in *" $jar "*) continue ;; esac
	cp+=("$jar")
done

(IFS=:; echo "${cp[*]}")
