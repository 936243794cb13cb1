#!/usr/bin/env bash
# The long checker run: the end-to-end checker (tests/e2e/checker) for 10 minutes by default,
# with its report (operations, throughput, faults, violations, staleness) on stdout and in
# target/checker-report.md (or $CAMPUSHUB_CHECKER_REPORT).
#
#   scripts/checker.sh [seconds] [seed]
#
# The checker starts its own Postgres primary + replica and Redis (it stops and partitions
# them), so no service needs to run first. It is built with the release profile
# ($CAMPUSHUB_CHECKER_PROFILE to change it): the two server instances are the test binary, and
# a debug build serves too few requests on a small machine for the run's 300,000 operations.
# Exits non-zero when the checker found a violation; the report says which ones, with the seed
# that replays the run.
set -euo pipefail
cd "$(dirname "$0")/.."

export CAMPUSHUB_CHECKER_SECONDS="${1:-600}"
if [ -n "${2:-}" ]; then
  export CAMPUSHUB_CHECKER_SEED="$2"
fi
export CAMPUSHUB_CHECKER_REPORT="${CAMPUSHUB_CHECKER_REPORT:-$PWD/target/checker-report.md}"
export CAMPUSHUB_CHECKER_CLIENTS="${CAMPUSHUB_CHECKER_CLIENTS:-24}"
profile="${CAMPUSHUB_CHECKER_PROFILE:-release}"

if ! cargo nextest --version >/dev/null 2>&1; then
  cargo install cargo-nextest --locked
fi
status=0
cargo nextest run --cargo-profile "$profile" --all-features --test e2e --no-capture \
  checker::randomized_run_keeps_every_promise || status=$?
echo "checker report: $CAMPUSHUB_CHECKER_REPORT" >&2
exit "$status"
