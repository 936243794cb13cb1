#!/usr/bin/env bash
# Load test of the example server (issue 6): builds the release server, starts it on SQLite
# (default) or on Postgres primary + replica + Redis (--postgres, started by scripts/services.sh
# in a private directory and ports), seeds students through the bulk path, and runs bounded wrk
# scenarios over random ids. Prints one table: RPS, p50, p99, errors, statements per request
# and cache hit ratio (deltas of /metrics around each scenario), and the ratio to /healthz.
#
#   scripts/loadtest.sh [--postgres] [--students N] [--ids N] [--duration 15s]
#                       [--connections 64] [--threads 1] [--port 18080] [--bin PATH]
#                       [--no-baseline] [--baseline-bin PATH] [--report DIR]
#
# List scenarios use cursor pages (the API's default; 2 statements a page): the first 20 pages
# of 50, collected by following `next`. One uncached scenario, labelled "page numbers", uses
# `?page=` pages (3 statements: count, page, departments), and two more use page numbers
# anywhere in the table ("pagenum_deep": pages 1 to the last of 50, in the default ordering
# and by last name, where deep pages go through the deferred join). --bin runs a server built earlier
# (for a before/after comparison in one session) instead of building the current tree.
#
# After the CampusHub scenarios the same run measures the hand-written baseline
# (benches/baseline, crate campushub-baseline; --no-baseline skips it) against the same
# database (on Postgres the replica, the server CampusHub's reads go to, in plaintext as
# CampusHub's are: the primary speaks TLS), on port+10, and the table
# gains a column "vs base": each comparable scenario's RPS over the baseline's. healthz vs its
# /healthz; retrieve cached vs mode moka; list 50 cached vs moka's cached pages; retrieve
# uncached vs mode sqlx (one SELECT ... LEFT JOIN departments by id, pool of 4); list 50
# uncached (cursor) vs OFFSET pages 1-20 of 50 without a count; list 50 uncached (page
# numbers) vs the same OFFSET pages with an exact count; list 20 at random depth 1-500 (cursor
# pages collected by following `next`) vs OFFSET pages 1-500 of 20 without a count. Filtered
# lists and Zipf have none.
#
# It also writes a report (scripts/loadtest/report.py, Python 3 standard library): throughput
# and latency (p50, p90, p99) charts of every scenario, CampusHub beside the baseline, as SVG
# files and an HTML page inlining them, with the results as TSV, into --report DIR (default:
# a new /tmp/campushub-report.XXXXXX, kept after the run; the path is printed at the end).
#
# Loopback only. Everything it starts (server, services) is stopped by PID on exit, also on
# failure, and its working folder in /tmp is removed (LOADTEST_KEEP=1 keeps it: database,
# server log, wrk's output). Needs curl; installs wrk, jq and python3 with apt-get when missing (as root).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
LUA_DIR="$ROOT/scripts/loadtest"
BACKEND=sqlite
STUDENTS=100000
IDS=5000
DURATION=15s
CONNECTIONS=64
THREADS=1
PORT=18080
BIN=""
BASELINE=1
BASELINE_BIN=""
REPORT=""

while [ $# -gt 0 ]; do
  case "$1" in
    --postgres) BACKEND=postgres ;;
    --students) STUDENTS="$2"; shift ;;
    --ids) IDS="$2"; shift ;;
    --duration) DURATION="$2"; shift ;;
    --connections) CONNECTIONS="$2"; shift ;;
    --threads) THREADS="$2"; shift ;;
    --port) PORT="$2"; shift ;;
    --bin) BIN="$2"; shift ;;
    --no-baseline) BASELINE="" ;;
    --baseline-bin) BASELINE_BIN="$2"; shift ;;
    --report) REPORT="$2"; shift ;;
    -h|--help) sed -n '2,38p' "$0"; exit 0 ;;
    *) echo "loadtest: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

log() { printf 'loadtest: %s\n' "$*" >&2; }

WORK=$(mktemp -d /tmp/campushub-loadtest.XXXXXX)
# Postgres runs as the `postgres` user when we are root: it must be able to reach its data
# directory inside this one.
chmod 755 "$WORK"
SERVER_PID=""
BASELINE_PID=""
SERVICES_STARTED=""

stop_pid() {
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

cleanup() {
  for pid in "$SERVER_PID" "$BASELINE_PID"; do
    [ -n "$pid" ] && stop_pid "$pid"
  done
  if [ -n "$SERVICES_STARTED" ]; then
    CAMPUSHUB_SERVICES_DIR="$WORK/services" "$ROOT/scripts/services.sh" stop >/dev/null 2>&1 || true
  fi
  # The database, the server's log and wrk's raw output: kept only when asked for.
  if [ -n "${LOADTEST_KEEP:-}" ]; then
    log "kept $WORK"
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ensure_tool() {
  command -v "$1" >/dev/null 2>&1 && return
  [ "$(id -u)" -eq 0 ] || { log "missing $1: apt-get install -y $1"; exit 1; }
  log "installing $1"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >/dev/null 2>&1 \
    || { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >/dev/null; }
}
ensure_tool wrk
ensure_tool jq
ensure_tool python3
command -v curl >/dev/null 2>&1 || ensure_tool curl

TARGET="${CARGO_TARGET_DIR:-$ROOT/target}/release"
if [ -n "$BASELINE" ] && [ -z "$BASELINE_BIN" ]; then
  # One build of both, so that the dependencies they share are compiled once, with the
  # server's features.
  log "building the release server and the baseline"
  (cd "$ROOT" && cargo build --release --quiet -p campushub -p campushub-baseline \
    --example server --bin campushub-baseline --features campushub/documents)
  BASELINE_BIN="$TARGET/campushub-baseline"
elif [ -z "$BIN" ]; then
  log "building the release server"
  (cd "$ROOT" && cargo build --release --quiet --example server --features documents)
fi
[ -n "$BIN" ] || BIN="$TARGET/examples/server"
[ -x "$BIN" ] || { log "no server binary at $BIN"; exit 1; }
[ -z "$BASELINE" ] || [ -x "$BASELINE_BIN" ] || { log "no baseline binary at $BASELINE_BIN"; exit 1; }

BASE="http://127.0.0.1:$PORT"
export CAMPUSHUB_BIND="127.0.0.1:$PORT"
export CAMPUSHUB_JWT_SECRET="loadtest-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
export CAMPUSHUB_DEMO_DATA=false
export CAMPUSHUB_METRICS_PUBLIC=true
export CAMPUSHUB_LOG="${CAMPUSHUB_LOG:-warn}"
unset CAMPUSHUB_REDIS_URL CAMPUSHUB_REPLICA_URLS CAMPUSHUB_ANALYTICS_URL

if [ "$BACKEND" = postgres ]; then
  export CAMPUSHUB_SERVICES_DIR="$WORK/services"
  export CAMPUSHUB_PG_PRIMARY_PORT="${LOADTEST_PG_PRIMARY_PORT:-55482}"
  export CAMPUSHUB_PG_REPLICA_PORT="${LOADTEST_PG_REPLICA_PORT:-55483}"
  export CAMPUSHUB_REDIS_PORT="${LOADTEST_REDIS_PORT:-56419}"
  log "starting Postgres primary + replica and Redis in $CAMPUSHUB_SERVICES_DIR"
  SERVICES_STARTED=1
  "$ROOT/scripts/services.sh" start >/dev/null
  # shellcheck disable=SC1091
  source "$CAMPUSHUB_SERVICES_DIR/env"
  export CAMPUSHUB_DATABASE_URL="$CAMPUSHUB_TEST_PG_PRIMARY"
  export CAMPUSHUB_REPLICA_URLS="$CAMPUSHUB_TEST_PG_REPLICA"
  export CAMPUSHUB_REDIS_URL="$CAMPUSHUB_TEST_REDIS"
else
  export CAMPUSHUB_DATABASE_URL="sqlite://$WORK/loadtest.db"
fi

log "seeding $STUDENTS students ($BACKEND)"
"$BIN" seed --departments 20 --students "$STUDENTS" --faculty 200 >"$WORK/seed.log" 2>&1 \
  || { cat "$WORK/seed.log" >&2; exit 1; }
TOKEN=$("$BIN" token --sub loadtest --role admin --ttl 2h | tail -n 1)
export LOADTEST_TOKEN="$TOKEN" LOADTEST_LUA="$LUA_DIR" LOADTEST_IDS="$WORK/ids.txt"
export LOADTEST_PAGES="$WORK/pages.txt" LOADTEST_DEPTH_PAGES="$WORK/depth_pages.txt"

# wait_healthy URL PID LOG: waits for URL/healthz to answer while PID runs (else prints LOG).
wait_healthy() {
  for _ in $(seq 1 100); do
    curl -fsS "$1/healthz" >/dev/null 2>&1 && return
    kill -0 "$2" 2>/dev/null || { cat "$3" >&2; exit 1; }
    sleep 0.1
  done
  log "no answer from $1/healthz"; exit 1
}

# Starts the server with the cache on (`true`) or off (`false`) and waits for /healthz.
start_server() {
  CAMPUSHUB_CACHE="$1" "$BIN" serve >>"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  wait_healthy "$BASE" "$SERVER_PID" "$WORK/server.log"
}

stop_server() {
  stop_pid "$SERVER_PID"
  SERVER_PID=""
}

# The sum of the samples of metric `$1` whose labels contain `$2` (may be empty) in file `$3`.
metric() {
  awk -v name="$1" -v label="$2" '
    (index($1, name "{") == 1 || $1 == name) && index($1, label) { sum += $NF }
    END { printf "%.0f", sum }' "$3"
}

scrape() { curl -fsS "$BASE/metrics" >"$1"; }

# Writes the first $IDS student ids (cursor pages of 200) to $LOADTEST_IDS.
collect_ids() {
  local next="/api/v1/students?page_size=200" page
  : >"$LOADTEST_IDS"
  while [ -n "$next" ] && [ "$(wc -l <"$LOADTEST_IDS")" -lt "$IDS" ]; do
    page=$(curl -fsS -H "Authorization: Bearer $TOKEN" "$BASE$next")
    jq -r '.results[].id' <<<"$page" >>"$LOADTEST_IDS"
    next=$(jq -r '.next // empty' <<<"$page" | sed -E 's#^https?://[^/]+##')
  done
  head -n "$IDS" "$LOADTEST_IDS" >"$WORK/ids.tmp" && mv "$WORK/ids.tmp" "$LOADTEST_IDS"
  log "collected $(wc -l <"$LOADTEST_IDS") ids"
}

# collect_pages SIZE COUNT FILE: writes the paths of the first COUNT cursor pages of SIZE
# students to FILE, following `next`.
collect_pages() {
  local next="/api/v1/students?page_size=$1" page
  : >"$3"
  while [ -n "$next" ] && [ "$(wc -l <"$3")" -lt "$2" ]; do
    echo "$next" >>"$3"
    page=$(curl -fsS -H "Authorization: Bearer $TOKEN" "$BASE$next")
    next=$(jq -r '.next // empty' <<<"$page" | sed -E 's#^https?://[^/]+##')
  done
  log "collected $(wc -l <"$3") cursor pages of $1"
}

# The report's input: one line a scenario, on both sides (scripts/loadtest/report.py).
RESULTS="$WORK/results.tsv"
printf 'side\tscenario\trps\tp50\tp90\tp99\terrors\tstmts\thit\tcompared\n' >"$RESULTS"

# record SIDE NAME STMTS HIT COMPARED: appends the last wrk run's figures to $RESULTS.
record() {
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$rps" "$p50" "$p90" "$p99" \
    "$errors" "$3" "$4" "$5" >>"$RESULTS"
}

ROWS=()
NAMES=()
FLOOR=""
# The RPS of each CampusHub scenario and each baseline scenario, by name.
declare -A RPS=() BASE_RPS=()
BASE_ROWS=()

# wrk_run OUT URL [LUA] [ENV=VALUE...]: one wrk run into file OUT; sets rps, p50, p90, p99
# and errors (non-2xx answers and socket errors).
wrk_run() {
  local out="$1" url="$2" script="${3:-}"
  shift 3 || shift $#
  local args=(-t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency)
  [ -n "$script" ] && args+=(-s "$LUA_DIR/$script")
  env "$@" wrk "${args[@]}" "$url" >"$out"
  local non2xx socket
  rps=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$out")
  p50=$(awk '$1 == "50%" { print $2 }' "$out")
  p90=$(awk '$1 == "90%" { print $2 }' "$out")
  p99=$(awk '$1 == "99%" { print $2 }' "$out")
  non2xx=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' "$out")
  socket=$(awk '/Socket errors:/ { gsub(",", ""); print $4 + $6 + $8 + $10 }' "$out")
  errors=$(( ${non2xx:-0} + ${socket:-0} ))
}

# run NAME PATH [LUA] [ENV=VALUE...]: one wrk run, recorded as a row of the table.
run() {
  local name="$1" path="$2"
  shift 2
  local rps p50 p90 p99 errors statements requests hits misses
  scrape "$WORK/before.prom"
  wrk_run "$WORK/$name.wrk" "$BASE$path" "$@"
  scrape "$WORK/after.prom"
  delta() { echo $(( $(metric "$1" "$2" "$WORK/after.prom") - $(metric "$1" "$2" "$WORK/before.prom") )); }
  statements=$(delta campushub_db_statements_total "")
  requests=$(delta http_requests_total "")
  hits=$(delta campushub_cache_hits_total "")
  misses=$(delta campushub_cache_misses_total 'tier="l1"')
  local per_request ratio floor
  per_request=$(awk -v s="$statements" -v r="$requests" 'BEGIN { if (r > 0) printf "%.2f", s / r; else print "-" }')
  ratio=$(awk -v h="$hits" -v m="$misses" 'BEGIN { if (h + m > 0) printf "%.1f%%", 100 * h / (h + m); else print "-" }')
  [ -z "$FLOOR" ] && FLOOR="$rps"
  RPS[$name]="$rps"
  NAMES+=("$name")
  floor=$(awk -v r="$rps" -v f="$FLOOR" 'BEGIN { printf "%.0f%%", 100 * r / f }')
  ROWS+=("$(printf '%-34s %9s %9s %9s %7s %10s %9s %7s' "$name" "$rps" "$p50" "$p99" \
    "$errors" "$per_request" "$ratio" "$floor")")
  record campushub "$name" "$per_request" "$ratio" "${COMPARED[$name]:-}"
  log "$name: $rps req/s, p99 $p99$(error_statuses)"
}

# The 4xx/5xx answers of the last scenario by status, from the /metrics delta (" (412: 7)").
error_statuses() {
  awk '
    FNR == 1 { file++ }
    /^http_requests_total\{/ && match($0, /status="[45][0-9][0-9]"/) {
      status = substr($0, RSTART + 8, 3)
      count[status] += (file == 1 ? -$NF : $NF)
    }
    END {
      for (s in count) if (count[s] > 0) out = out sprintf("%s%s: %d", out == "" ? "" : ", ", s, count[s])
      if (out != "") printf " (%s)", out
    }' "$WORK/before.prom" "$WORK/after.prom"
}

# run_base NAME PATH [LUA] [ENV=VALUE...]: one wrk run against the baseline (no /metrics).
run_base() {
  local name="$1" path="$2"
  shift 2
  local rps p50 p90 p99 errors
  wrk_run "$WORK/base_$name.wrk" "$BASE_URL$path" "$@"
  BASE_RPS[$name]="$rps"
  record baseline "$name" - - ""
  BASE_ROWS+=("$(printf '%-34s %9s %9s %9s %7s' "$name" "$rps" "$p50" "$p99" "$errors")")
  log "baseline $name: $rps req/s, p99 $p99"
}

# Starts the baseline in mode $1 (moka or sqlx) and waits for /healthz.
start_baseline() {
  "$BASELINE_BIN" --mode "$1" --database-url "$BASELINE_DATABASE_URL" \
    --bind "127.0.0.1:$BASE_PORT" >>"$WORK/baseline.log" 2>&1 &
  BASELINE_PID=$!
  wait_healthy "$BASE_URL" "$BASELINE_PID" "$WORK/baseline.log"
}

stop_baseline() {
  stop_pid "$BASELINE_PID"
  BASELINE_PID=""
}

# CampusHub's scenario => the baseline scenario it is compared with.
declare -A COMPARED=(
  [healthz]=healthz
  [retrieve_cached]=retrieve_moka
  [list_50_cached]=list_50_moka
  [retrieve_uncached]=retrieve_sqlx
  [list_50_uncached]=list_50_offset_sqlx
  [list_50_pagenum_uncached]=list_50_offset_count_sqlx
  [list_20_depth_uncached]=list_20_depth_offset_sqlx
)

start_server true
collect_ids
collect_pages 50 20 "$LOADTEST_PAGES"
# The "page of 20 at random depth 1-500" scenario draws from these.
collect_pages 20 500 "$LOADTEST_DEPTH_PAGES"
log "scenarios of $DURATION each, wrk -t$THREADS -c$CONNECTIONS"
run healthz /healthz ""
# Warm the cache with every id before the cached scenarios (not reported).
wrk -t"$THREADS" -c"$CONNECTIONS" -d3s -s "$LUA_DIR/retrieve.lua" "$BASE/" >/dev/null
run retrieve_cached / retrieve.lua
run list_50_cached / list.lua
run filtered_list_cached / list.lua LOADTEST_FILTERED=1
run zipf_95r_5w / zipf.lua
RSS=$(awk '/VmRSS/ { print $2 }' "/proc/$SERVER_PID/status")
stop_server

start_server false
run retrieve_uncached / retrieve.lua
run list_50_uncached / list.lua
run list_50_pagenum_uncached / list.lua LOADTEST_PAGE_NUMBERS=1
run filtered_list_uncached / list.lua LOADTEST_FILTERED=1
run list_20_depth_uncached / list.lua LOADTEST_DEPTH=1
# Page-number pages anywhere in the table (deep pages skip up to every row but 50), in the
# default ordering and by last name.
DEEP_PAGES=$(( (STUDENTS + 49) / 50 ))
run list_50_pagenum_deep_uncached / list.lua LOADTEST_PAGE_NUMBERS=1 LOADTEST_DEEP_PAGES="$DEEP_PAGES"
run list_50_pagenum_deep_name_uncached / list.lua LOADTEST_PAGE_NUMBERS=1 \
  LOADTEST_DEEP_PAGES="$DEEP_PAGES" LOADTEST_PAGE_SUFFIX="&ordering=last_name"
stop_server

if [ -n "$BASELINE" ]; then
  BASE_PORT=$((PORT + 10))
  BASE_URL="http://127.0.0.1:$BASE_PORT"
  # On Postgres, CampusHub's reads went to the replica: the baseline reads there too.
  BASELINE_DATABASE_URL="${CAMPUSHUB_REPLICA_URLS:-$CAMPUSHUB_DATABASE_URL}"
  start_baseline moka
  run_base healthz /healthz ""
  wrk -t"$THREADS" -c"$CONNECTIONS" -d3s -s "$LUA_DIR/retrieve.lua" "$BASE_URL/" >/dev/null
  run_base retrieve_moka / retrieve.lua
  run_base list_50_moka / list.lua LOADTEST_PAGE_NUMBERS=1 LOADTEST_PAGE_SUFFIX="&count=false"
  stop_baseline
  start_baseline sqlx
  run_base retrieve_sqlx / retrieve.lua
  run_base list_50_offset_sqlx / list.lua LOADTEST_PAGE_NUMBERS=1 LOADTEST_PAGE_SUFFIX="&count=false"
  run_base list_50_offset_count_sqlx / list.lua LOADTEST_PAGE_NUMBERS=1
  run_base list_20_depth_offset_sqlx / list.lua LOADTEST_PAGE_NUMBERS=1 LOADTEST_DEPTH=1 \
    LOADTEST_PAGE_SUFFIX="&count=false"
  stop_baseline
fi

echo
echo "CampusHub load test: $BACKEND, $STUDENTS students, $IDS ids, wrk -t$THREADS -c$CONNECTIONS -d$DURATION, $(nproc) cores"
printf '%-34s %9s %9s %9s %7s %10s %9s %7s %8s\n' scenario rps p50 p99 errors stmts/req hit floor "vs base"
for i in "${!ROWS[@]}"; do
  name="${NAMES[$i]}" versus="-"
  base="${COMPARED[$name]:-}"
  if [ -n "$base" ] && [ -n "${BASE_RPS[$base]:-}" ]; then
    versus=$(awk -v r="${RPS[$name]}" -v b="${BASE_RPS[$base]}" 'BEGIN { if (b > 0) printf "%.2f", r / b; else print "-" }')
  fi
  printf '%s %8s\n' "${ROWS[$i]}" "$versus"
done
echo "server RSS after the cached scenarios: $(( RSS / 1024 )) MiB"
if [ -n "$BASELINE" ]; then
  echo
  echo "Hand-written baseline (benches/baseline): same database, wrk -t$THREADS -c$CONNECTIONS -d$DURATION"
  printf '%-34s %9s %9s %9s %7s\n' scenario rps p50 p99 errors
  for row in "${BASE_ROWS[@]}"; do echo "$row"; done
fi

TITLE="$BACKEND, $STUDENTS students, wrk -t$THREADS -c$CONNECTIONS -d$DURATION, $(nproc) cores"
[ -n "$REPORT" ] || REPORT=$(mktemp -d /tmp/campushub-report.XXXXXX)
mkdir -p "$REPORT"
cp "$RESULTS" "$REPORT/results.tsv"
python3 "$LUA_DIR/report.py" --out "$REPORT" --title "$TITLE" "$REPORT/results.tsv"
echo
echo "report: $REPORT/index.html (charts: $REPORT/throughput.svg, $REPORT/latency.svg)"
