#!/usr/bin/env bash
# test.sh is THE test command of zkfs, run by CI (.ci/run) and by developers alike:
#   install missing dependencies, check formatting, vet, build, and run every test
#   with the race detector against real ZooKeeper servers (started by internal/zktest).
set -euo pipefail

cd "$(dirname "$0")/.."
if ! command -v go >/dev/null 2>&1 && [[ -x /usr/local/go/bin/go ]]; then
	export PATH="/usr/local/go/bin:$PATH"
fi

total_start=$SECONDS

# step NAME COMMAND...: runs a command, printing its name and how long it took.
step() {
	local name="$1" start=$SECONDS
	shift
	echo "==> $name"
	if "$@"; then
		echo "<== $name: ok in $((SECONDS - start)) s"
	else
		local rc=$?
		echo "<== $name: FAILED (exit $rc) after $((SECONDS - start)) s; total $((SECONDS - total_start)) s" >&2
		exit "$rc"
	fi
}

check_gofmt() {
	local offenders
	offenders="$(gofmt -l .)"
	if [[ -n "$offenders" ]]; then
		echo "gofmt: these files need formatting (run gofmt -w):" >&2
		echo "$offenders" >&2
		return 1
	fi
}

uname -a
step "install dependencies" bash scripts/install-deps.sh
go version
step "gofmt -l ." check_gofmt
step "go vet ./..." go vet ./...
step "go build ./..." go build ./...
# -race: every test under the race detector; -count=1: never reuse cached results;
# -timeout 18m: a hung test fails with goroutine dumps instead of hanging CI.
step "go test -race -count=1 -timeout 18m ./..." go test -race -count=1 -timeout 18m ./...

echo "all checks passed in $((SECONDS - total_start)) s"
