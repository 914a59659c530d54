#!/usr/bin/env bash
# The whole ozgo test suite: formatting, vet, Go tests with the race
# detector on SQLite and PostgreSQL, and the browser tests in Chromium.
# Installs what is missing (Debian's Chromium, Node.js, the e2e npm
# packages). `make test` runs this.
#
# PostgreSQL: OZGO_TEST_POSTGRES names a server where tests may create
# databases; by default the local one at 127.0.0.1:5432, user postgres.
# When it is unreachable the PostgreSQL tests are skipped with a warning,
# unless OZGO_REQUIRE_POSTGRES=1 (CI), which makes that a failure.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }
die() { printf '\nFAIL: %s\n' "$*" >&2; exit 1; }

as_root() {
	if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
		die "need root to run: $* (install it by hand or run as root)"; fi
}

apt_updated=""
apt_install() {
	if [ -z "$apt_updated" ]; then as_root apt-get update -qq; apt_updated=1; fi
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

step "Prerequisites"
command -v go >/dev/null || die "Go is not installed (see README.md)"
CHROMIUM_PATH="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ ! -x "$CHROMIUM_PATH" ]; then
	echo "installing Debian's chromium"
	apt_install chromium
fi
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	echo "installing Node.js and npm from Debian"
	apt_install nodejs npm
fi
export CHROMIUM_PATH
echo "go: $(go version | cut -d' ' -f3)  node: $(node --version)  chromium: $("$CHROMIUM_PATH" --version 2>/dev/null | head -1)"

step "gofmt"
go_files() {
	if git rev-parse --git-dir >/dev/null 2>&1; then
		git ls-files --cached --others --exclude-standard -- '*.go'
	else
		find . -name '*.go' -not -path './e2e/node_modules/*'
	fi
}
unformatted="$(go_files | while IFS= read -r f; do [ -f "$f" ] && printf '%s\n' "$f"; done | xargs -r gofmt -l)"
[ -z "$unformatted" ] || die "not gofmt-formatted: $unformatted"
echo "all Go files formatted"

step "go vet"
go vet ./...

step "PostgreSQL"
export OZGO_TEST_POSTGRES="${OZGO_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}"
pg_hostport="$(printf '%s' "$OZGO_TEST_POSTGRES" | sed -E 's#^[a-z]+://([^@/]*@)?([^/?]+).*#\2#')"
pg_host="${pg_hostport%:*}"; pg_port="${pg_hostport##*:}"
[ "$pg_port" != "$pg_hostport" ] || pg_port=5432
pg_up() { (exec 3<>"/dev/tcp/$pg_host/$pg_port") 2>/dev/null; }
if ! pg_up && [ "${OZGO_REQUIRE_POSTGRES:-}" = 1 ] && command -v pg_ctlcluster >/dev/null; then
	echo "PostgreSQL not answering; trying to start the local cluster"
	for v in $(ls /etc/postgresql 2>/dev/null); do as_root pg_ctlcluster --skip-systemctl-redirect "$v" main start || true; done
	for _ in $(seq 1 20); do pg_up && break; sleep 0.5; done
fi
if pg_up; then
	echo "PostgreSQL reachable at $pg_host:$pg_port: store tests run on SQLite and PostgreSQL"
elif [ "${OZGO_REQUIRE_POSTGRES:-}" = 1 ]; then
	die "PostgreSQL at $pg_host:$pg_port is not reachable, and OZGO_REQUIRE_POSTGRES=1"
else
	cat >&2 <<MSG

  ##################################################################
  ##  WARNING: PostgreSQL at $pg_host:$pg_port is NOT reachable.
  ##  The PostgreSQL variants of the store tests are SKIPPED.
  ##  Set OZGO_TEST_POSTGRES to a server URL to run them.
  ##################################################################

MSG
	unset OZGO_TEST_POSTGRES
fi

step "go test -race"
go test -race -count=1 -timeout 30m ./...

step "browser tests (Chromium, axe-core)"
mkdir -p bin
go build -o bin/ozgo ./cmd/ozgo
(cd e2e && { [ -d node_modules ] && npm ls --silent >/dev/null 2>&1 || npm ci --no-audit --no-fund; })
(cd e2e && OZGO_BIN="$PWD/../bin/ozgo" npm test)

printf '\nAll tests passed.\n'
