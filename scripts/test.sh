#!/usr/bin/env bash
# Runs every test: installs the tools tests drive (scripts/test-tools.sh: headless Chromium,
# schemathesis and an OpenAPI validator),
# starts Postgres (primary + streaming replica), Redis and a 3-master Redis Cluster on loopback
# ports, runs the workspace's tests and doc tests against them, then the cache's protocol suite
# a second time on the cluster, and stops the services afterwards, whether the tests pass or fail.
set -euo pipefail
cd "$(dirname "$0")/.."

# The connection-limit tests hold 2,000 connections open from the test process and as many
# in the server it starts: raise the soft file-descriptor limit to the hard one.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

scripts/test-tools.sh
scripts/services.sh start
trap 'scripts/services.sh stop' EXIT
# shellcheck disable=SC1091
source "${CAMPUSHUB_SERVICES_DIR:-/tmp/campushub-services}/env"

if ! cargo nextest --version >/dev/null 2>&1; then
  cargo install cargo-nextest --locked
fi
cargo nextest run --workspace --all-features --no-fail-fast "$@"
if [ "$#" -eq 0 ]; then
  # The cache's protocol suite again, with the shared Redis being the cluster. Left out: tests
  # that start Redis servers of their own or need the single server's TLS port (they ran
  # above), the cluster tests themselves, and the long hit-ratio simulation.
  CAMPUSHUB_TEST_REDIS=$CAMPUSHUB_TEST_REDIS_CLUSTER cargo nextest run -p campushub-cache \
    --all-features --test it --no-fail-fast -E 'not (test(/^tls::/) | test(/^degradation::/)
      | test(/^failover::/) | test(/^resharding::/) | test(/^cluster::/) | test(/^query_flood::/)
      | test(/^hit_ratio::/) | test(/^channel_loss::/)
      | test(/without_redis/))'
fi
cargo test --workspace --all-features --doc
