#!/usr/bin/env bash
# Where PostgreSQL spends an ingest: runs `credithub ingest` of ROWS sample penalty rows against a
# throw-away cluster with pg_stat_statements and prints the statements by total time, with the
# ingest's own CPU and the whole machine's.
# Usage: bench/pg-statements.sh          (ROWS=200000 by default; reuses bench/out/penalties-ROWS.csv)
# Statement times overlap (the theme projector runs beside the collector) and include waiting for a core.
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${ROWS:-200000}
out=bench/out
mkdir -p "$out"
scripts/install-deps.sh test >/dev/null
swift build -c release --product credithub >/dev/null
bin="$(swift build -c release --show-bin-path)/credithub"
csv="$out/penalties-$ROWS.csv"
[[ -f $csv ]] || "$bin" sample --rows "$ROWS" --seed 42 --fixable 0.05 --rejected 0.03 --duplicate 0 -o "$csv"

export PG_OPTIONS="-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all"
export bin csv out
scripts/with-postgres.sh bash -c '
  set -euo pipefail
  base=${CREDITHUB_TEST_DATABASE_URL%/postgres*}
  psql -q "$CREDITHUB_TEST_DATABASE_URL" -c "CREATE DATABASE credithub"
  psql -q "$base/credithub?sslmode=disable" -c "CREATE EXTENSION pg_stat_statements" -c "SELECT pg_stat_statements_reset()" >/dev/null
  busy() { awk "/^cpu / { printf \"%.1f\", (\$2 + \$3 + \$4 + \$7 + \$8 + \$9) / 100 }" /proc/stat; }
  before=$(busy)
  rm -rf "$out/pg-statements-data"
  CREDITHUB_DATABASE_URL="$base/credithub?sslmode=disable" CREDITHUB_DATA_DIRECTORY="$out/pg-statements-data" \
    /usr/bin/time -f "%e %U %S" -o "$out/time.txt" "$bin" ingest --resource admin_penalty --source-unit 11330100002501984R "$csv" >/dev/null 2>"$out/last.err"
  after=$(busy)
  rm -rf "$out/pg-statements-data"
  read -r wall user sys <"$out/time.txt"
  echo "ingest of $(($(wc -l <"$csv") - 1)) rows: ${wall} s wall, $(awk -v u="$user" -v s="$sys" "BEGIN { print u + s }") s CPU ours, $(awk -v a="$after" -v b="$before" "BEGIN { print a - b }") s CPU whole machine"
  psql "$base/credithub?sslmode=disable" -c "
    SELECT round(total_exec_time) AS ms, calls, rows, left(regexp_replace(query, '\''\s+'\'', '\'' '\'', '\''g'\''), 100) AS statement
    FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
    ORDER BY total_exec_time DESC LIMIT 12"
'
