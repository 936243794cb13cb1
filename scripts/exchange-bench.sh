#!/usr/bin/env bash
# Measures spreadsheet export and import (issue 16) with the release server's commands: seeds
# N students (default 100,000) into a source database, exports them to CSV and to XLSX, and
# imports each file into an empty database (departments and custom-field definitions only),
# on SQLite and on Postgres; prints time and peak RSS (/usr/bin/time -v) of every step, and
# checks that the CSV export of each target equals the source's.
#
#   scripts/exchange-bench.sh [N]
#
# CAMPUSHUB_BENCH_BIN=path: measure that server binary instead of building this checkout's
# (to compare two builds in one session).
#
# Postgres: the primary of scripts/services.sh (CAMPUSHUB_TEST_PG_PRIMARY, sourced from the
# services' env file); a database per run is created and dropped. Needs /usr/bin/time and psql.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
N="${1:-100000}"
log() { printf 'exchange-bench: %s\n' "$*" >&2; }

if [ -n "${CAMPUSHUB_BENCH_BIN:-}" ]; then
  BIN="$CAMPUSHUB_BENCH_BIN"
else
  (cd "$ROOT" && cargo build --release --quiet --example server --features documents)
  BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/examples/server"
fi
WORK="$(mktemp -d /tmp/campushub-exchange-bench.XXXX)"
trap 'rm -rf "$WORK"' EXIT
export CAMPUSHUB_DEMO_DATA=false CAMPUSHUB_JWT_SECRET=exchange-bench-secret-of-at-least-32-characters
export CAMPUSHUB_LOG=warn

# `measure LABEL ROWS CMD...`: runs CMD under /usr/bin/time -v, prints seconds, rows/s, peak RSS.
measure() {
  local label=$1 rows=$2
  shift 2
  /usr/bin/time -v -o "$WORK/time" "$@" 2>"$WORK/stderr" || { cat "$WORK/stderr" >&2; return 1; }
  local seconds rss
  seconds=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,t,":"); s=0; for(i=1;i<=n;i++) s=s*60+t[i]; print s}' "$WORK/time")
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/time")
  printf '| %s | %s | %.1f | %.0f | %.0f |\n' "$label" "$rows" "$seconds" \
    "$(echo "$rows / $seconds" | bc -l)" "$(echo "$rss / 1024" | bc -l)"
}

# `backend NAME SOURCE_URL CSV_URL XLSX_URL`: the whole run on one backend.
backend() {
  local name=$1 source=$2 csv_target=$3 xlsx_target=$4
  CAMPUSHUB_DATABASE_URL=$source "$BIN" seed --departments 20 --students "$N" >/dev/null
  for target in "$csv_target" "$xlsx_target"; do
    CAMPUSHUB_DATABASE_URL=$target "$BIN" seed --departments 20 >/dev/null
  done
  local rows=$((N))
  CAMPUSHUB_DATABASE_URL=$source measure "$name: export CSV" "$rows" \
    sh -c "\"$BIN\" export students --format csv --where ordering=roll_number > \"$WORK/$name.csv\""
  CAMPUSHUB_DATABASE_URL=$source measure "$name: export XLSX" "$rows" \
    sh -c "\"$BIN\" export students --format xlsx --where ordering=roll_number > \"$WORK/$name.xlsx\""
  CAMPUSHUB_DATABASE_URL=$csv_target measure "$name: import CSV" "$rows" \
    "$BIN" import "$WORK/$name.csv" --kind students
  CAMPUSHUB_DATABASE_URL=$xlsx_target measure "$name: import XLSX" "$rows" \
    "$BIN" import "$WORK/$name.xlsx" --kind students
  for target in "$csv_target" "$xlsx_target"; do
    CAMPUSHUB_DATABASE_URL=$target "$BIN" export students --where ordering=roll_number >"$WORK/back.csv" 2>/dev/null
    cmp -s "$WORK/$name.csv" "$WORK/back.csv" || { log "$name: the records differ after the round trip"; exit 1; }
  done
  log "$name: $(du -h "$WORK/$name.csv" | cut -f1) CSV, $(du -h "$WORK/$name.xlsx" | cut -f1) XLSX; round trips equal"
}

echo "| step | rows | seconds | rows/s | peak RSS (MiB) |"
echo "|---|---|---|---|---|"
backend sqlite "sqlite://$WORK/source.db" "sqlite://$WORK/csv.db" "sqlite://$WORK/xlsx.db"

if [ -n "${CAMPUSHUB_TEST_PG_PRIMARY:-}" ]; then
  base="${CAMPUSHUB_TEST_PG_PRIMARY%/*}"
  suffix="bench_$$"
  for db in source csv xlsx; do psql -q "$CAMPUSHUB_TEST_PG_PRIMARY" -c "CREATE DATABASE ${db}_$suffix"; done
  drop() { for db in source csv xlsx; do psql -q "$CAMPUSHUB_TEST_PG_PRIMARY" -c "DROP DATABASE IF EXISTS ${db}_$suffix WITH (FORCE)" || true; done; rm -rf "$WORK"; }
  trap drop EXIT
  backend postgres "$base/source_$suffix" "$base/csv_$suffix" "$base/xlsx_$suffix"
else
  log "no CAMPUSHUB_TEST_PG_PRIMARY: Postgres skipped (source the services' env file)"
fi
