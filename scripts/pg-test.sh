#!/usr/bin/env bash
# Runs a command next to a throwaway PostgreSQL server (Debian's
# `postgresql` package, installed by `make setup`):
#
#   scripts/pg-test.sh cargo test -p relay --test '*'
#
# initdb in a temporary directory, as an unprivileged user (the
# `postgres` system user when run as root, else the caller), on a random
# free port on 127.0.0.1, with durability switched off (a test server
# loses nothing it needs). The command sees
#   RELAY_TEST_DATABASE_URL=postgres://relay@127.0.0.1:<port>/postgres
# (a superuser that may create a database per test). The server is stopped
# and its directory removed when the command ends, however it ends.
set -euo pipefail

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
  echo "pg-test: PostgreSQL is not installed (make setup installs Debian's postgresql)" >&2
  exit 1
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/buergeramt-pg.XXXXXX")
as_user=()
if [ "$(id -u)" = 0 ]; then
  # initdb and postgres refuse to run as root.
  chown postgres: "$dir"
  as_user=(runuser -u postgres --)
fi
chmod 700 "$dir"

pid=""
cleanup() {
  if [ -n "$pid" ]; then
    "${as_user[@]}" "$bindir/pg_ctl" -D "$dir/data" stop -m immediate >/dev/null 2>&1 || kill "$pid" 2>/dev/null || true
  fi
  rm -rf "$dir"
}
trap cleanup EXIT INT TERM

"${as_user[@]}" "$bindir/initdb" -D "$dir/data" -U relay --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
  || { cat "$dir/initdb.log" >&2; exit 1; }

free_port() {
  local p
  for _ in $(seq 50); do
    p=$(( 20000 + RANDOM % 40000 ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
  done
  echo "pg-test: no free port" >&2; return 1
}
port=$(free_port)

"${as_user[@]}" "$bindir/postgres" -D "$dir/data" -p "$port" -k "$dir" \
  -c listen_addresses=127.0.0.1 -c max_connections=400 \
  -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
  >"$dir/server.log" 2>&1 &
pid=$!
for _ in $(seq 300); do
  if "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port"; then break; fi
  kill -0 "$pid" 2>/dev/null || { cat "$dir/server.log" >&2; exit 1; }
  sleep 0.1
done
"$bindir/pg_isready" -q -h 127.0.0.1 -p "$port" || { cat "$dir/server.log" >&2; exit 1; }

export RELAY_TEST_DATABASE_URL="postgres://relay@127.0.0.1:$port/postgres"
echo "pg-test: PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on 127.0.0.1:$port ($dir)"
"$@"
