#!/usr/bin/env bash
# The replica's entry point: on first start, copy the primary with pg_basebackup (-R writes
# standby.signal and primary_conninfo, so it starts streaming); then run Postgres as a hot
# standby. Runs as the postgres user (compose.yaml, `user: postgres`).
set -euo pipefail
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  export PGPASSWORD="$REPLICATION_PASSWORD"
  until pg_basebackup --host="$PRIMARY_HOST" --username=replicator --pgdata="$PGDATA" \
      --wal-method=stream --write-recovery-conf --checkpoint=fast; do
    echo "replica: waiting for the primary" >&2
    rm -rf "${PGDATA:?}"/*
    sleep 2
  done
  chmod 0700 "$PGDATA"
fi
exec postgres -c hot_standby=on
