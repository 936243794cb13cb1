#!/usr/bin/env bash
# Backs up and restores CampusHub's Postgres database (docs/operations.md, "Backups and
# restore"; tested by tests/e2e/backup.rs):
#
#   scripts/backup.sh dump URL FILE            logical backup of one database (pg_dump, custom
#                                               format: compressed, restorable table by table)
#   scripts/backup.sh restore FILE URL         restores a dump into the (empty) database at URL
#   scripts/backup.sh base PRIMARY_URL DIR     physical backup of the whole cluster into the new
#                                               directory DIR (pg_basebackup, WAL streamed with it)
#   scripts/backup.sh start-copy DIR PORT      starts a base backup as a cluster of its own on
#                                               127.0.0.1:PORT (unix socket in DIR), to check
#                                               or recover from it; `stop-copy DIR` stops it
#
# Run `base`, `start-copy` and `stop-copy` as the user that owns Postgres data (postgres):
# the directory must be theirs. A URL names a role with the rights the step needs: reading
# every table (dump), creating objects (restore), REPLICATION (base). Postgres's programs are
# found on PATH, else in $PG_BIN, else in the newest /usr/lib/postgresql/*/bin.
set -euo pipefail

die() { printf 'backup: %s\n' "$*" >&2; exit 2; }

pg_bin() {
  if [ -n "${PG_BIN:-}" ]; then
    printf '%s' "$PG_BIN"
  elif command -v pg_basebackup >/dev/null 2>&1; then
    dirname "$(command -v pg_basebackup)"
  else
    # shellcheck disable=SC2012
    ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
  fi
}
bin=$(pg_bin)
[ -x "$bin/pg_dump" ] || die "no Postgres client programs (set PG_BIN)"

command=${1:-}
case "$command" in
  dump)
    [ $# -eq 3 ] || die "usage: dump URL FILE"
    # --no-owner/--no-privileges: the dump restores under whichever role restores it.
    "$bin/pg_dump" --format=custom --no-owner --no-privileges --file="$3" "$2"
    ;;
  restore)
    [ $# -eq 3 ] || die "usage: restore FILE URL"
    # One transaction: a restore that fails leaves the target database as it was.
    "$bin/pg_restore" --exit-on-error --single-transaction --no-owner --no-privileges \
      --dbname="$3" "$2"
    ;;
  base)
    [ $# -eq 3 ] || die "usage: base PRIMARY_URL DIR"
    [ ! -e "$3" ] || [ -z "$(ls -A "$3")" ] || die "$3 is not empty"
    "$bin/pg_basebackup" --dbname="$2" --pgdata="$3" --wal-method=stream \
      --checkpoint=fast --manifest-checksums=SHA256 --no-password
    # The copy is whole and the WAL it needs is in it: check it against its manifest.
    "$bin/pg_verifybackup" "$3"
    ;;
  start-copy)
    [ $# -eq 3 ] || die "usage: start-copy DIR PORT"
    # The copied configuration names the primary's port, sockets and certificates: this
    # copy listens on its own port and socket, without TLS, on loopback only.
    "$bin/pg_ctl" --pgdata="$2" --log="$2/copy.log" --wait \
      --options="-c port=$3 -c listen_addresses=127.0.0.1 -c unix_socket_directories=$2 -c ssl=off" \
      start >/dev/null
    ;;
  stop-copy)
    [ $# -eq 2 ] || die "usage: stop-copy DIR"
    "$bin/pg_ctl" --pgdata="$2" --mode=fast --wait stop >/dev/null
    ;;
  *)
    die "usage: scripts/backup.sh dump|restore|base|start-copy|stop-copy ... (see the header)"
    ;;
esac
