//! The SQL that reads WAL positions, as `bigint` byte offsets: what a commit reached on the
//! primary, what a replica has replayed. Positions are what consistency tokens are made of.

/// The position a write's commit reached (its WAL insert position).
pub(super) const COMMIT_POSITION: &str =
    "SELECT (pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::bigint";

/// The primary's write position: what its replicas can have received so far.
pub(super) const WRITE_POSITION: &str = "SELECT (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint";

/// The cluster's system identifier, which a physical standby shares with its primary.
pub(super) const SYSTEM_IDENTIFIER: &str = "SELECT system_identifier FROM pg_control_system()";

/// The position a replica has replayed (a primary's write position, when the server is not in
/// recovery).
pub(super) const REPLAY_POSITION: &str = "SELECT (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END - '0/0'::pg_lsn)::bigint";

/// A replica's replayed position and the age of the last transaction it replayed, in seconds
/// (`NULL` before any), for the health probe's lag.
pub(super) const REPLICA_STATE: &str = "SELECT (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END - '0/0'::pg_lsn)::bigint, EXTRACT(EPOCH FROM (now() - pg_last_xact_replay_timestamp()))::float8";

/// [`REPLICA_STATE`], and whether the server is in recovery: a standby of the primary is,
/// and has the primary's [`SYSTEM_IDENTIFIER`]; only then do its positions compare with the
/// primary's.
pub(super) const ANALYTICS_STATE: &str = "SELECT (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END - '0/0'::pg_lsn)::bigint, EXTRACT(EPOCH FROM (now() - pg_last_xact_replay_timestamp()))::float8, pg_is_in_recovery()";
