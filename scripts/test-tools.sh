#!/usr/bin/env bash
# Installs the programs some tests drive besides the services (scripts/services.sh starts
# those): headless Chromium, which loads the API reference at /docs/ as a browser would, and
# schemathesis with an OpenAPI validator, which check the served document against the server
# (tests/e2e/contract.rs). Idempotent; `scripts/test.sh` runs it. Installing Chromium needs
# root (apt).
#
# The Python tools live in their own virtual environment, pinned, under
# $CAMPUSHUB_TOOLS_DIR (default /tmp/campushub-tools): schemathesis/bin/st and
# schemathesis/bin/python. The contract test reads the same variable.
set -euo pipefail

log() { printf 'test-tools: %s\n' "$*" >&2; }

# shellcheck source=lib/apt.sh
source "$(dirname "$0")/lib/apt.sh"

command -v chromium >/dev/null 2>&1 || apt_install chromium

# Pinned: a new release brings new checks and new data generators, so an upgrade is a change
# of its own (with the findings it brings), not something a test run picks up.
SCHEMATHESIS_VERSION=4.32.5
OPENAPI_SPEC_VALIDATOR_VERSION=0.9.0

venv="${CAMPUSHUB_TOOLS_DIR:-/tmp/campushub-tools}/schemathesis"
installed() {
  "$venv/bin/python" - "$@" 2>/dev/null <<'PY'
import sys
from importlib.metadata import version
sys.exit(any(version(name) != wanted for name, wanted in zip(sys.argv[1::2], sys.argv[2::2])))
PY
}
if ! installed schemathesis "$SCHEMATHESIS_VERSION" \
    openapi-spec-validator "$OPENAPI_SPEC_VALIDATOR_VERSION"; then
  command -v python3 >/dev/null 2>&1 || apt_install python3
  python3 -m venv "$venv" >/dev/null 2>&1 || { apt_install python3-venv; python3 -m venv "$venv"; }
  log "installing schemathesis $SCHEMATHESIS_VERSION and openapi-spec-validator $OPENAPI_SPEC_VALIDATOR_VERSION in $venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    "schemathesis==$SCHEMATHESIS_VERSION" \
    "openapi-spec-validator==$OPENAPI_SPEC_VALIDATOR_VERSION"
fi
