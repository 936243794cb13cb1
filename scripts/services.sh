#!/usr/bin/env bash
# Starts and stops the services the tests need, on loopback ports:
#   a Postgres 15 primary and one streaming replica (initdb + pg_basebackup -R), Redis, and a
#   Redis Cluster of 3 masters with one replica each (ports CAMPUSHUB_REDIS_CLUSTER_PORT to +5,
#   default CAMPUSHUB_REDIS_PORT + 11, so 56390-56395; cluster bus 10,000 below each;
#   CAMPUSHUB_REDIS_CLUSTER=off for none).
# An S3-compatible server for object storage tests: moto in server mode (installed from PyPI
# into a venv under the services directory when missing) on CAMPUSHUB_S3_PORT (default
# CAMPUSHUB_REDIS_PORT + 111, so 56490); CAMPUSHUB_S3=off starts none.
# The primary and Redis also speak TLS, with certificates from a throwaway CA made at each
# start (the primary on its usual port, Redis on a second port); the replica does not, so the
# tests have a plaintext-only server to refuse.
#
#   scripts/services.sh start   # installs what is missing, starts everything, writes the env file
#   scripts/services.sh stop    # stops what `start` started (by the PIDs it recorded)
#   scripts/services.sh env     # prints the environment the tests read
#   scripts/services.sh replica-stop|replica-start|redis-stop|redis-start   # fault injection
#   scripts/services.sh s3-stop|s3-start                                    # the S3 server
#   scripts/services.sh cluster-node-stop PORT|cluster-node-start PORT     # kill/restart one cluster node
#
# Postgres refuses to run as root, so as root the servers run as the `postgres` user.
set -euo pipefail

STATE_DIR="${CAMPUSHUB_SERVICES_DIR:-/tmp/campushub-services}"
PG_PRIMARY_PORT="${CAMPUSHUB_PG_PRIMARY_PORT:-55432}"
PG_REPLICA_PORT="${CAMPUSHUB_PG_REPLICA_PORT:-55433}"
REDIS_PORT="${CAMPUSHUB_REDIS_PORT:-56379}"
REDIS_TLS_PORT="${CAMPUSHUB_REDIS_TLS_PORT:-$((REDIS_PORT + 1))}"
# Six cluster nodes on consecutive ports from here (default 11 above Redis: 56390 beside 56379,
# clear of its TLS port); CAMPUSHUB_REDIS_CLUSTER=off starts none (services for one test).
REDIS_CLUSTER_PORT="${CAMPUSHUB_REDIS_CLUSTER_PORT:-$((REDIS_PORT + 11))}"
REDIS_CLUSTER="${CAMPUSHUB_REDIS_CLUSTER:-on}"
CLUSTER_DIR="$STATE_DIR/redis-cluster"
TLS_DIR="$STATE_DIR/tls"
S3_PORT="${CAMPUSHUB_S3_PORT:-$((REDIS_PORT + 111))}"
S3="${CAMPUSHUB_S3:-on}"
MOTO_VENV="$STATE_DIR/moto-venv"
ENV_FILE="$STATE_DIR/env"

log() { printf 'services: %s\n' "$*" >&2; }

pg_bindir() {
  if command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ]; then
    pg_config --bindir
    return
  fi
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$dir" ] || { log "no PostgreSQL server binaries found (install postgresql)"; exit 1; }
  echo "$dir"
}

# shellcheck source=lib/apt.sh
source "$(dirname "$0")/lib/apt.sh"

ensure_installed() {
  command -v redis-server >/dev/null 2>&1 || apt_install redis-server
  command -v openssl >/dev/null 2>&1 || apt_install openssl
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 \
    || apt_install postgresql
}

# Runs a command as the user that owns the Postgres data (postgres when we are root).
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# One certificate signed by the test CA: `issue NAME EXTENSIONS` writes NAME.crt and NAME.key.
issue() {
  local name=$1 extensions=$2
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=campushub-test-$name" \
    -keyout "$TLS_DIR/$name.key" -out "$TLS_DIR/$name.csr" 2>/dev/null
  printf '%s\n' "$extensions" >"$TLS_DIR/$name.ext"
  openssl x509 -req -in "$TLS_DIR/$name.csr" -CA "$TLS_DIR/ca.crt" -CAkey "$TLS_DIR/ca.key" \
    -CAcreateserial -days 7 -extfile "$TLS_DIR/$name.ext" -out "$TLS_DIR/$name.crt" 2>/dev/null
  chmod 600 "$TLS_DIR/$name.key"
}

# A throwaway CA, a server certificate for 127.0.0.1 and localhost, and a client certificate.
make_certificates() {
  rm -rf "$TLS_DIR"
  mkdir -p "$TLS_DIR"
  openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 7 \
    -subj "/CN=CampusHub test CA" -keyout "$TLS_DIR/ca.key" -out "$TLS_DIR/ca.crt" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  issue server "subjectAltName=IP:127.0.0.1,DNS:localhost
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth"
  issue client "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth"
  log "test certificates in $TLS_DIR"
}

start_postgres() {
  local bin primary replica
  bin=$(pg_bindir)
  primary="$STATE_DIR/pg-primary"
  replica="$STATE_DIR/pg-replica"
  rm -rf "$primary" "$replica"
  mkdir -p "$primary" "$replica"
  if [ "$(id -u)" -eq 0 ]; then chown -R postgres:postgres "$STATE_DIR"; chmod 755 "$STATE_DIR"; fi
  chmod 700 "$primary" "$replica"

  as_pg "$bin/initdb" -D "$primary" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
  cat >>"$primary/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PG_PRIMARY_PORT
unix_socket_directories = '$STATE_DIR'
max_connections = 300
fsync = off
synchronous_commit = off
full_page_writes = off
wal_level = replica
max_wal_senders = 8
wal_keep_size = 256MB
hot_standby = on
hot_standby_feedback = on
shared_buffers = 256MB
log_min_messages = warning
# Statement statistics for load tests (docs/performance.md): CREATE EXTENSION
# pg_stat_statements in a database to read them.
shared_preload_libraries = 'pg_stat_statements'
ssl = on
ssl_cert_file = '$TLS_DIR/server.crt'
ssl_key_file = '$TLS_DIR/server.key'
ssl_ca_file = '$TLS_DIR/ca.crt'
CONF
  echo "host replication postgres 127.0.0.1/32 trust" >>"$primary/pg_hba.conf"
  as_pg "$bin/pg_ctl" -D "$primary" -l "$STATE_DIR/pg-primary.log" -w start >/dev/null

  rm -rf "$replica"
  as_pg "$bin/pg_basebackup" -h 127.0.0.1 -p "$PG_PRIMARY_PORT" -U postgres -D "$replica" -R -X stream >/dev/null
  chmod 700 "$replica"
  cat >>"$replica/postgresql.conf" <<CONF
port = $PG_REPLICA_PORT
ssl = off
CONF
  as_pg "$bin/pg_ctl" -D "$replica" -l "$STATE_DIR/pg-replica.log" -w start >/dev/null
  log "postgres primary on 127.0.0.1:$PG_PRIMARY_PORT, replica on 127.0.0.1:$PG_REPLICA_PORT"
}

# Waits (at most 5 s) until the Redis on port $1 answers; fails if it does not.
wait_ping() {
  for _ in $(seq 50); do
    redis-cli -p "$1" ping >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  return 1
}

start_redis() {
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
    --tls-port "$REDIS_TLS_PORT" --tls-cert-file "$TLS_DIR/server.crt" \
    --tls-key-file "$TLS_DIR/server.key" --tls-ca-cert-file "$TLS_DIR/ca.crt" \
    --tls-auth-clients optional \
    --daemonize yes --pidfile "$STATE_DIR/redis.pid" --logfile "$STATE_DIR/redis.log" \
    --dir "$STATE_DIR"
  wait_ping "$REDIS_PORT" || true
  log "redis on 127.0.0.1:$REDIS_PORT, TLS on 127.0.0.1:$REDIS_TLS_PORT"
}

cluster_ports() { seq "$REDIS_CLUSTER_PORT" $((REDIS_CLUSTER_PORT + 5)); }

# One cluster node (its nodes.conf kept in its own directory, so a restarted node rejoins as
# the replica of whichever node took over its slots). A 1 s node timeout makes a failover
# take about 2 s, which keeps the failover tests short; validity factor 0 lets a replica take
# over however long it was cut off. The cluster bus listens 10,000 ports *below* the node
# (Redis's default, 10,000 above, would pass 65535 for ports over 55535).
start_cluster_node() {
  local port=$1
  mkdir -p "$CLUSTER_DIR/$port"
  redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
    --cluster-enabled yes --cluster-config-file nodes.conf --cluster-node-timeout 1000 \
    --cluster-replica-validity-factor 0 --cluster-port $((port - 10000)) \
    --daemonize yes --pidfile "$CLUSTER_DIR/$port/redis.pid" --logfile "$CLUSTER_DIR/$port/redis.log" \
    --dir "$CLUSTER_DIR/$port"
  wait_ping "$port" && return
  log "cluster node on 127.0.0.1:$port did not start (see $CLUSTER_DIR/$port/redis.log)"
  exit 1
}

stop_cluster_node() {
  local port=$1 pidfile="$CLUSTER_DIR/$1/redis.pid"
  [ -f "$pidfile" ] || return 0
  kill "$(cat "$pidfile")" 2>/dev/null || true
  for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 || break; sleep 0.1; done
  rm -f "$pidfile"
}

# Waits until every running node reports `cluster_state:ok`.
wait_cluster_ok() {
  local port
  for _ in $(seq 100); do
    local ok=1
    for port in $(cluster_ports); do
      [ -f "$CLUSTER_DIR/$port/redis.pid" ] || continue
      redis-cli -p "$port" cluster info 2>/dev/null | grep -q 'cluster_state:ok' || ok=0
    done
    [ "$ok" -eq 1 ] && return
    sleep 0.1
  done
  log "the Redis Cluster did not reach cluster_state:ok"
  exit 1
}

start_cluster() {
  local port addresses=() version
  # Sharded pub/sub (SSUBSCRIBE/SPUBLISH), which the cache uses on a cluster, is Redis 7.0's.
  version=$(redis-server --version | sed -n 's/.* v=\([0-9]*\)\..*/\1/p')
  if [ "${version:-0}" -lt 7 ]; then
    log "redis-server $(redis-server --version | cut -d' ' -f3) is older than 7.0: no sharded pub/sub for the cluster"
    exit 1
  fi
  rm -rf "$CLUSTER_DIR"
  for port in $(cluster_ports); do
    start_cluster_node "$port"
    addresses+=("127.0.0.1:$port")
  done
  redis-cli --cluster create "${addresses[@]}" --cluster-replicas 1 --cluster-yes >"$CLUSTER_DIR/create.log" 2>&1 \
    || { log "redis-cli --cluster create failed (see $CLUSTER_DIR/create.log)"; exit 1; }
  wait_cluster_ok
  log "redis cluster (3 masters, 3 replicas) on 127.0.0.1:$REDIS_CLUSTER_PORT-$((REDIS_CLUSTER_PORT + 5))"
}

stop_cluster() {
  local port
  for port in $(cluster_ports); do stop_cluster_node "$port"; done
}

# Installs moto's server into its venv unless it is there; fails loudly when it cannot (no
# Python venv module, no PyPI): a test of the S3 path must not be skipped silently.
ensure_moto() {
  [ -x "$MOTO_VENV/bin/moto_server" ] && return 0
  log "installing moto[server] into $MOTO_VENV"
  python3 -m venv "$MOTO_VENV" \
    || { log "cannot create a Python venv for moto (install python3 and python3-venv)"; exit 1; }
  "$MOTO_VENV/bin/pip" install --quiet --disable-pip-version-check 'moto[server]' \
    || { log "cannot install moto[server] from PyPI"; exit 1; }
}

# Starts moto in server mode (every bucket in memory) and waits (at most 30 s) until it
# accepts connections.
start_s3() {
  ensure_moto
  nohup "$MOTO_VENV/bin/moto_server" -H 127.0.0.1 -p "$S3_PORT" \
    </dev/null >"$STATE_DIR/moto.log" 2>&1 &
  echo $! >"$STATE_DIR/moto.pid"
  for _ in $(seq 300); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$S3_PORT") 2>/dev/null; then
      log "S3 (moto) on 127.0.0.1:$S3_PORT"
      return 0
    fi
    sleep 0.1
  done
  log "moto did not start on 127.0.0.1:$S3_PORT (see $STATE_DIR/moto.log)"
  exit 1
}

stop_s3() {
  [ -f "$STATE_DIR/moto.pid" ] || return 0
  kill "$(cat "$STATE_DIR/moto.pid")" 2>/dev/null || true
  rm -f "$STATE_DIR/moto.pid"
}

write_env() {
  local bin
  bin=$(pg_bindir)
  cat >"$ENV_FILE" <<ENV
export CAMPUSHUB_TEST_PG_PRIMARY=postgres://postgres@127.0.0.1:$PG_PRIMARY_PORT/postgres
export CAMPUSHUB_TEST_PG_REPLICA=postgres://postgres@127.0.0.1:$PG_REPLICA_PORT/postgres
export CAMPUSHUB_TEST_REDIS=redis://127.0.0.1:$REDIS_PORT/
export CAMPUSHUB_TEST_PG_PRIMARY_DATA=$STATE_DIR/pg-primary
export CAMPUSHUB_TEST_PG_REPLICA_DATA=$STATE_DIR/pg-replica
export CAMPUSHUB_TEST_PG_BIN=$bin
export CAMPUSHUB_TEST_SERVICES=$STATE_DIR
export CAMPUSHUB_TEST_REDIS_PORT=$REDIS_PORT
export CAMPUSHUB_TEST_REDIS_TLS=rediss://127.0.0.1:$REDIS_TLS_PORT/
export CAMPUSHUB_TEST_TLS_DIR=$TLS_DIR
export CAMPUSHUB_TEST_SERVICES_SCRIPT=$(cd "$(dirname "$0")" && pwd)/services.sh
ENV
  if [ "$S3" != off ]; then
    cat >>"$ENV_FILE" <<ENV
export CAMPUSHUB_TEST_S3=http://127.0.0.1:$S3_PORT
export CAMPUSHUB_TEST_S3_PORT=$S3_PORT
ENV
  fi
  if [ "$REDIS_CLUSTER" != off ]; then
    cat >>"$ENV_FILE" <<ENV
export CAMPUSHUB_TEST_REDIS_CLUSTER=redis+cluster://127.0.0.1:$REDIS_CLUSTER_PORT,127.0.0.1:$((REDIS_CLUSTER_PORT + 1)),127.0.0.1:$((REDIS_CLUSTER_PORT + 2))/
export CAMPUSHUB_TEST_REDIS_CLUSTER_PORTS="$(cluster_ports | tr '\n' ' ' | sed 's/ $//')"
ENV
  fi
}

stop_all() {
  local bin
  bin=$(pg_bindir 2>/dev/null || true)
  for dir in "$STATE_DIR/pg-replica" "$STATE_DIR/pg-primary"; do
    if [ -n "$bin" ] && [ -f "$dir/postmaster.pid" ]; then
      as_pg "$bin/pg_ctl" -D "$dir" -m immediate -w stop >/dev/null 2>&1 || true
    fi
  done
  if [ -f "$STATE_DIR/redis.pid" ]; then
    kill "$(cat "$STATE_DIR/redis.pid")" 2>/dev/null || true
    rm -f "$STATE_DIR/redis.pid"
  fi
  stop_cluster
  stop_s3
}

case "${1:-}" in
  start)
    ensure_installed
    stop_all
    mkdir -p "$STATE_DIR"
    make_certificates
    start_postgres
    start_redis
    if [ "$REDIS_CLUSTER" != off ]; then start_cluster; fi
    if [ "$S3" != off ]; then start_s3; fi
    write_env
    ;;
  stop) stop_all ;;
  # Fault injection for the tests: stop or start one service, leaving the others running.
  replica-stop) as_pg "$(pg_bindir)/pg_ctl" -D "$STATE_DIR/pg-replica" -m immediate -w stop >/dev/null ;;
  replica-start) as_pg "$(pg_bindir)/pg_ctl" -D "$STATE_DIR/pg-replica" -l "$STATE_DIR/pg-replica.log" -w start >/dev/null ;;
  redis-stop)
    kill "$(cat "$STATE_DIR/redis.pid")" 2>/dev/null || true
    for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 || break; sleep 0.1; done
    ;;
  redis-start) start_redis ;;
  s3-stop) stop_s3 ;;
  s3-start) start_s3 ;;
  # A cluster node: stopping a master makes its replica take over (about 2 s); a restarted
  # node rejoins as a replica.
  cluster-node-stop) stop_cluster_node "${2:?usage: $0 cluster-node-stop PORT}" ;;
  cluster-node-start) start_cluster_node "${2:?usage: $0 cluster-node-start PORT}"; wait_cluster_ok ;;
  env) cat "$ENV_FILE" ;;
  *) echo "usage: $0 start|stop|env|replica-stop|replica-start|redis-stop|redis-start|s3-stop|s3-start|cluster-node-stop PORT|cluster-node-start PORT" >&2; exit 2 ;;
esac
