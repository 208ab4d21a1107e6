#!/usr/bin/env bash
# install-deps.sh installs what zkfs's build and tests need on Debian 12, and nothing
# that is already there: it is idempotent and takes about a second when all is present.
#
#   Debian packages: zookeeper (3.8 jars in /usr/share/java, run by java directly),
#     zookeeper-bin, python3-kazoo (an independent client the tests compare with),
#     inotify-tools, attr, fuse3, psmisc, procps, a Java runtime if java is missing, and
#     vim-tiny if no vim is installed (the editing-in-place tests run vim -es).
#   Go modules: `go mod download` (Go itself is expected at /usr/local/go or on PATH).
#
# As root it runs apt-get itself; otherwise it uses sudo when available, or prints the
# exact command to run and fails.
set -euo pipefail

cd "$(dirname "$0")/.."

packages=(zookeeper zookeeper-bin python3-kazoo inotify-tools attr fuse3 psmisc procps
	# Already dependencies of zookeeper; named because scripts/zk-classpath.sh needs their jars.
	libnetty-java libslf4j-java libservlet-api-java)

installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

missing=()
for p in "${packages[@]}"; do
	installed "$p" || missing+=("$p")
done
if ! command -v java >/dev/null 2>&1 && ! installed default-jre-headless; then
	missing+=(default-jre-headless)
fi
if ! command -v vim >/dev/null 2>&1 && ! command -v vim.tiny >/dev/null 2>&1; then
	missing+=(vim-tiny)
fi

if ((${#missing[@]} > 0)); then
	echo "install-deps.sh: installing ${missing[*]}"
	install_cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y ${missing[*]}"
	if [[ $(id -u) -eq 0 ]]; then
		apt-get update
		DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
	elif command -v sudo >/dev/null 2>&1; then
		sudo apt-get update
		sudo DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
	else
		echo "install-deps.sh: not root and no sudo; run as root:" >&2
		echo "  $install_cmd" >&2
		exit 1
	fi
else
	echo "install-deps.sh: Debian packages present"
fi

if ! command -v go >/dev/null 2>&1; then
	if [[ -x /usr/local/go/bin/go ]]; then
		export PATH="/usr/local/go/bin:$PATH"
	else
		echo "install-deps.sh: go not found (expected /usr/local/go/bin/go); install Go first" >&2
		exit 1
	fi
fi
go mod download
echo "install-deps.sh: Go modules present ($(go version))"
