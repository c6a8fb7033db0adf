#!/usr/bin/env bash
# Collection speed, as ratios against references measured in the same run on the same rows:
#   1. ingest of ROWS penalty rows into PostgreSQL vs `COPY` of the same CSV into a plain table with
#      the same columns and a unique index on the business key;
#   2. the same into SQLite vs `sqlite3 .import` into the same plain table;
#   3. `credithub validate` on VALIDATE_ROWS rows vs `frictionless validate` with an equivalent Table Schema
#      (the faster of three runs of each).
# Usage: bench/ingest.sh            (ROWS=1000000 VALIDATE_ROWS=100000 by default)
# Needs: root or sudo for missing packages (postgresql, sqlite3, time), PyPI for frictionless.
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${ROWS:-1000000}
VALIDATE_ROWS=${VALIDATE_ROWS:-100000}
SOURCE_UNIT=11330100002501984R  # 杭州市数据资源管理局 (a valid code; the sample rows name their own data-source units)
out=bench/out
mkdir -p "$out"

scripts/install-deps.sh test >/dev/null
command -v /usr/bin/time >/dev/null || { apt-get install -y -qq time >/dev/null; }
echo "bench: building the release binary"
swift build -c release --product credithub >/dev/null
bin="$(swift build -c release --show-bin-path)/credithub"

csv="$out/penalties-$ROWS.csv"
if [[ ! -f $csv ]]; then
  echo "bench: generating $ROWS rows (5% fixable, 3% rejected defects; no exact repeats, so the reference's unique index holds)"
  "$bin" sample --rows "$ROWS" --seed 42 --fixable 0.05 --rejected 0.03 --duplicate 0 -o "$csv"
fi
bytes=$(stat -c %s "$csv")

# CPU seconds the whole machine has been busy (every process, every core)
machine_cpu() { awk '/^cpu / { printf "%.2f", ($2 + $3 + $4 + $7 + $8 + $9) / 100 }' /proc/stat; }

# wall seconds, peak RSS (MB), the command's own CPU seconds and the machine's busy CPU seconds
# while it ran (the difference is mostly the database server's): "SECONDS RSS_MB CPU MACHINE_CPU"
measure() {
  local before; before=$(machine_cpu)
  /usr/bin/time -f "%e %M %U %S" -o "$out/time.txt" "$@" >"$out/last.out" 2>"$out/last.err" || { cat "$out/last.err" >&2; return 1; }
  awk -v before="$before" -v after="$(machine_cpu)" '{printf "%s %.0f %.1f %.1f", $1, $2/1024, $3 + $4, after - before}' "$out/time.txt"
}

# seconds from the batch's start to its receipt, from the last run's log (themes catch up after)
batch_seconds() {
  grep 'batch processed' "$out/last.err" | grep -oE 'elapsed"?[=:]"?[0-9.]+' | tail -n 1 | tr -dc '0-9.\n' | awk '{printf "%.1f", $1}'
}

columns=$(head -n 1 "$csv" | tr -d '\r' | awk -F, '{for (i = 1; i <= NF; i++) printf "%sc%d text", (i > 1 ? ", " : ""), i}')
# Business key: 行政处罚决定书文号 (column 14) + subject code (columns 3 and 13).
key="c14, c3, c13"

echo "bench: PostgreSQL"
pg_result=$(scripts/with-postgres.sh bash -c '
  set -euo pipefail
  base=${CREDITHUB_TEST_DATABASE_URL%/postgres*}
  psql -q "$CREDITHUB_TEST_DATABASE_URL" -c "CREATE DATABASE reference" -c "CREATE DATABASE credithub"
  psql -q "$base/reference?sslmode=disable" -c "CREATE TABLE penalties ('"$columns"'); CREATE UNIQUE INDEX ON penalties ('"$key"');"
  '"$(declare -f machine_cpu measure batch_seconds)"'
  out='"$out"'
  copy=$(measure psql -q "$base/reference?sslmode=disable" -c "\copy penalties from '"'$csv'"' with (format csv, header true)")
  # Ours starts from a quiet cluster too: the reference'"'"'s autovacuum and dirty pages are done first.
  psql -q "$base/reference?sslmode=disable" -c "VACUUM ANALYZE penalties" -c "CHECKPOINT"; sync
  ours=$(CREDITHUB_DATABASE_URL="$base/credithub?sslmode=disable" CREDITHUB_DATA_DIRECTORY='"$out"'/pg-data measure '"$bin"' ingest --resource admin_penalty --source-unit '"$SOURCE_UNIT"' '"$csv"')
  rows=$(psql -tA "$base/credithub?sslmode=disable" -c "select count(*) from records")
  echo "$copy|$ours|$rows|$(batch_seconds)"
')
rm -rf "$out/pg-data"
IFS='|' read -r pg_copy pg_ours pg_rows pg_batch <<<"$(echo "$pg_result" | tail -n 1)"

echo "bench: SQLite"
rm -f "$out/reference.sqlite"; rm -rf "$out/sqlite-data"
sqlite3 "$out/reference.sqlite" "CREATE TABLE penalties ($columns); CREATE UNIQUE INDEX penalties_key ON penalties ($key);"
sqlite_import=$(measure sqlite3 "$out/reference.sqlite" ".import --csv --skip 1 $csv penalties")
sync
sqlite_ours=$(CREDITHUB_DATABASE_URL= CREDITHUB_DATA_DIRECTORY="$out/sqlite-data" measure "$bin" ingest --resource admin_penalty --source-unit "$SOURCE_UNIT" "$csv")
sqlite_batch=$(batch_seconds)
sqlite_rows=$(sqlite3 "$out/sqlite-data/credithub.sqlite" "select count(*) from records")
rm -rf "$out/sqlite-data" "$out/reference.sqlite"

echo "bench: validation against frictionless"
if [[ ! -x $out/venv/bin/frictionless ]]; then
  python3 -m venv "$out/venv" && "$out/venv/bin/pip" install -q frictionless
fi
small="$out/penalties-$VALIDATE_ROWS.csv"
head -n $((VALIDATE_ROWS + 1)) "$csv" >"$small"
CREDITHUB_DATA_DIRECTORY="$out/catalog-data" "$bin" catalog show admin_penalty --json 2>/dev/null | python3 bench/table_schema.py >"$out/penalty-schema.json"; rm -rf "$out/catalog-data"
# The faster of three runs each: a single second-long run on this shared machine can be 40% off.
fastest() {
  local best="" result
  for _ in 1 2 3; do
    result=$(measure "$@")
    if [[ -z $best ]] || awk -v a="${result%% *}" -v b="${best%% *}" 'BEGIN { exit !(a < b) }'; then best=$result; fi
  done
  echo "$best"
}
frictionless=$(fastest bash -c "'$out/venv/bin/frictionless' validate --schema '$out/penalty-schema.json' --limit-errors 100000000 '$small' || true")
validate=$(fastest "$bin" validate --resource admin_penalty "$small")

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
read -r t_copy _ _ cpu_copy <<<"$pg_copy"; read -r t_pg rss_pg cpu_pg machine_pg <<<"$pg_ours"
read -r t_import _ cpu_import _ <<<"$sqlite_import"; read -r t_sqlite rss_sqlite cpu_sqlite _ <<<"$sqlite_ours"
read -r t_fl _ <<<"$frictionless"; read -r t_val rss_val _ <<<"$validate"
echo
echo "CreditHub collection bench: $ROWS rows, $((bytes / 1048576)) MiB CSV, $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ)"
printf "%-44s %9s %9s %8s %s\n" "measure" "ours (s)" "ref (s)" "ratio" "notes"
printf "%-44s %9s %9s %8s %s\n" "ingest into PostgreSQL vs COPY" "$t_pg" "$t_copy" "$(ratio "$t_copy" "$t_pg")" "peak RSS ${rss_pg} MB, $pg_rows records, receipt after ${pg_batch} s, CPU ${cpu_pg} s ours + $(awk -v a="$machine_pg" -v b="$cpu_pg" 'BEGIN { printf "%.1f", a - b }') s rest of machine vs ${cpu_copy} s machine for COPY (target ratio >= 0.7, RSS < 500 MB)"
printf "%-44s %9s %9s %8s %s\n" "ingest into SQLite vs sqlite3 .import" "$t_sqlite" "$t_import" "$(ratio "$t_import" "$t_sqlite")" "peak RSS ${rss_sqlite} MB, $sqlite_rows records, receipt after ${sqlite_batch} s, CPU ${cpu_sqlite} s vs ${cpu_import} s (target >= 0.7)"
printf "%-44s %9s %9s %8s %s\n" "validate $VALIDATE_ROWS rows vs frictionless" "$t_val" "$t_fl" "$(ratio "$t_fl" "$t_val")x" "(target >= 20x faster)"
