#!/usr/bin/env bash
# Runs a command against a throw-away PostgreSQL cluster on a free loopback port, then stops the
# cluster and deletes it whatever the command's outcome.
#
# The command sees:
#   CREDITHUB_TEST_DATABASE_URL  postgres://postgres@127.0.0.1:PORT/postgres (superuser, trust auth)
#   CREDITHUB_TEST_PG_BIN        the PostgreSQL bin directory (initdb, pg_ctl)
#   CREDITHUB_TEST_PG_USER       the unprivileged user the cluster runs as ('' when not root)
# PG_OPTIONS adds server options, e.g. "-c shared_preload_libraries=pg_stat_statements".
set -euo pipefail

pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [[ -z $pg_bin || ! -x $pg_bin/initdb ]]; then
  echo "with-postgres: no PostgreSQL server found under /usr/lib/postgresql; run scripts/install-deps.sh test" >&2
  exit 1
fi

# initdb and pg_ctl refuse to run as root: run them as 'postgres'.
if [[ $(id -u) -eq 0 ]]; then
  pg_user=postgres
  as_pg() { runuser -u "$pg_user" -- "$@"; }
else
  pg_user=
  as_pg() { "$@"; }
fi

dir=$(mktemp -d /tmp/credithub-pg.XXXXXX)
chmod 755 "$dir"
[[ -n $pg_user ]] && chown "$pg_user" "$dir"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

cleanup() {
  as_pg "$pg_bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT INT TERM

as_pg "$pg_bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
  || { cat "$dir/initdb.log" >&2; exit 1; }
as_pg "$pg_bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c max_connections=300 ${PG_OPTIONS:-}" start >/dev/null \
  || { cat "$dir/server.log" >&2; exit 1; }
echo "with-postgres: PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"

export CREDITHUB_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
export CREDITHUB_TEST_PG_BIN="$pg_bin"
export CREDITHUB_TEST_PG_USER="$pg_user"
set +e
"$@"
status=$?
set -e
exit $status
