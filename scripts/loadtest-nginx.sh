#!/usr/bin/env bash
# Load run through nginx (deploy/nginx/campushub.conf) over two instances, beside one instance
# without nginx, and the cost of a shared rate limit (issue 17): on the services of
# scripts/services.sh (source its env file first: CAMPUSHUB_TEST_PG_PRIMARY, ..._REPLICA,
# ..._REDIS), in a database of its own, with a release server built beforehand.
#
#   scripts/loadtest-nginx.sh --bin target/release/examples/server [--students 20000]
#       [--ids 2000] [--duration 10s] [--connections 64] [--ports 57631,57632,57640]
#
# Scenarios (wrk -t1, scripts/loadtest/retrieve.lua over random ids; cached after the first
# pass): "one instance", "one instance, rate limited" (CAMPUSHUB_RATE_LIMIT=1000000/1s: every
# request spends its budget in Redis, none is refused), and "nginx, two instances". Prints
# RPS, p50 and p99 of each and the ratios to the first. Stops what it started by PID and drops
# its database on exit.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN="" STUDENTS=20000 IDS=2000 DURATION=10s CONNECTIONS=64 PORTS=57631,57632,57640
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) BIN="$2"; shift ;;
    --students) STUDENTS="$2"; shift ;;
    --ids) IDS="$2"; shift ;;
    --duration) DURATION="$2"; shift ;;
    --connections) CONNECTIONS="$2"; shift ;;
    --ports) PORTS="$2"; shift ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "loadtest-nginx: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
log() { printf 'loadtest-nginx: %s\n' "$*" >&2; }
[ -x "$BIN" ] || { log "no server binary (--bin)"; exit 2; }
: "${CAMPUSHUB_TEST_PG_PRIMARY:?source the env file of scripts/services.sh}"
for tool in wrk jq curl; do command -v "$tool" >/dev/null || { log "missing $tool"; exit 1; }; done
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
IFS=, read -r P1 P2 PN <<<"$PORTS"

WORK=$(mktemp -d /tmp/campushub-lb.XXXXXX)
DB="lb_$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')"
PIDS=()
PSQL="${CAMPUSHUB_TEST_PG_BIN:-/usr/lib/postgresql/15/bin}/psql"
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  "$PSQL" -q "$CAMPUSHUB_TEST_PG_PRIMARY" -c "drop database if exists $DB" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
"$PSQL" -q "$CAMPUSHUB_TEST_PG_PRIMARY" -c "create database $DB"
with_db() { sed -E "s#/[^/?]*(\?|$)#/$DB\1#" <<<"$1"; }

export CAMPUSHUB_DATABASE_URL; CAMPUSHUB_DATABASE_URL=$(with_db "$CAMPUSHUB_TEST_PG_PRIMARY")
export CAMPUSHUB_REPLICA_URLS; CAMPUSHUB_REPLICA_URLS=$(with_db "$CAMPUSHUB_TEST_PG_REPLICA")
export CAMPUSHUB_REDIS_URL="$CAMPUSHUB_TEST_REDIS" CAMPUSHUB_CACHE_NAMESPACE="$DB"
export CAMPUSHUB_JWT_SECRET="loadtest-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
export CAMPUSHUB_DEMO_DATA=false CAMPUSHUB_ENV=production CAMPUSHUB_LOG=warn
export CAMPUSHUB_TRUST_FORWARDED_FOR=true

log "seeding $STUDENTS students"
"$BIN" seed --departments 20 --students "$STUDENTS" >"$WORK/seed.log" 2>&1 || { cat "$WORK/seed.log" >&2; exit 1; }
TOKEN=$("$BIN" token --sub loadtest --role admin --ttl 2h | tail -n 1)

# start PORT [VAR=VALUE...]: a server on PORT; waits for /readyz.
start() {
  local port="$1"; shift
  env CAMPUSHUB_BIND="127.0.0.1:$port" "$@" "$BIN" >"$WORK/server-$port.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 100); do curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && return; sleep 0.1; done
  log "server on $port did not start"; cat "$WORK/server-$port.log" >&2; exit 1
}
stop_last() { local pid="${PIDS[-1]}"; kill "$pid"; wait "$pid" 2>/dev/null || true; unset 'PIDS[-1]'; }

collect_ids() {
  local next="/api/v1/students?page_size=200" page
  : >"$WORK/ids.txt"
  while [ -n "$next" ] && [ "$(wc -l <"$WORK/ids.txt")" -lt "$IDS" ]; do
    page=$(curl -fsS -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$P1$next")
    jq -r '.results[].id' <<<"$page" >>"$WORK/ids.txt"
    next=$(jq -r '.next // empty' <<<"$page" | sed -E 's#^https?://[^/]+##')
  done
}

declare -A RPS P50 P99
NAMES=()
# measure NAME URL: a warm-up pass (fills the caches), then the measured run.
measure() {
  local name="$1" url="$2" out="$WORK/wrk.txt"
  local env=(LOADTEST_TOKEN="$TOKEN" LOADTEST_LUA="$ROOT/scripts/loadtest" LOADTEST_IDS="$WORK/ids.txt")
  env "${env[@]}" wrk -t1 -c"$CONNECTIONS" -d3s -s "$ROOT/scripts/loadtest/retrieve.lua" "$url" >/dev/null
  env "${env[@]}" wrk -t1 -c"$CONNECTIONS" -d"$DURATION" --latency -s "$ROOT/scripts/loadtest/retrieve.lua" "$url" >"$out"
  if grep -q "Non-2xx" "$out"; then log "$name: non-2xx answers"; cat "$out" >&2; exit 1; fi
  NAMES+=("$name")
  RPS[$name]=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$out")
  P50[$name]=$(awk '$1 == "50%" { print $2 }' "$out")
  P99[$name]=$(awk '$1 == "99%" { print $2 }' "$out")
  log "$name: ${RPS[$name]} requests/s"
}

start "$P1"
collect_ids
log "collected $(wc -l <"$WORK/ids.txt") ids"
measure "one instance" "http://127.0.0.1:$P1"
stop_last
start "$P1" CAMPUSHUB_RATE_LIMIT=1000000/1s
measure "one instance, rate limited" "http://127.0.0.1:$P1"
stop_last

start "$P1"
start "$P2"
sed -e "s#server campushub-1:8080 #server 127.0.0.1:$P1 #" -e "s#server campushub-2:8080 #server 127.0.0.1:$P2 #" \
  -e "s#listen 8080;#listen 127.0.0.1:$PN;#" "$ROOT/deploy/nginx/campushub.conf" >"$WORK/campushub.conf"
cat >"$WORK/nginx.conf" <<CONF
daemon off;
worker_processes 1;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $WORK/body; proxy_temp_path $WORK/proxy; fastcgi_temp_path $WORK/fastcgi;
  uwsgi_temp_path $WORK/uwsgi; scgi_temp_path $WORK/scgi;
  include $WORK/campushub.conf;
}
CONF
"$NGINX" -p "$WORK" -c "$WORK/nginx.conf" &  # stopped by SIGTERM (cleanup): the master stops its workers
PIDS+=($!)
for _ in $(seq 50); do curl -fsS "http://127.0.0.1:$PN/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
measure "nginx, two instances" "http://127.0.0.1:$PN"

first="${NAMES[0]}"
echo "CampusHub through nginx: $STUDENTS students, $IDS ids, cached retrieve, wrk -t1 -c$CONNECTIONS -d$DURATION, $(nproc) cores"
printf '%-28s %10s %10s %10s %8s\n' scenario "req/s" p50 p99 "vs one"
for name in "${NAMES[@]}"; do
  ratio=$(awk -v a="${RPS[$name]}" -v b="${RPS[$first]}" 'BEGIN { printf "%.2f", a / b }')
  printf '%-28s %10s %10s %10s %8s\n' "$name" "${RPS[$name]}" "${P50[$name]}" "${P99[$name]}" "$ratio"
done
