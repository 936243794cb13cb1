#!/usr/bin/env bash
# Runs every test: installs the tools tests drive (scripts/test-tools.sh: headless Chromium,
# schemathesis and an OpenAPI validator),
# starts Postgres (primary + streaming replica) and Redis on loopback ports,
# runs the workspace's tests and doc tests against them, and stops the services afterwards,
# whether the tests pass or fail.
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
cargo test --workspace --all-features --doc
