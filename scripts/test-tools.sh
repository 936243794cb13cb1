#!/usr/bin/env bash
# Installs the programs some tests drive besides the services (scripts/services.sh starts
# those): headless Chromium, which loads the API reference at /docs/ as a browser would;
# schemathesis with an OpenAPI validator, which check the served document against the server
# (tests/e2e/contract.rs); openpyxl, a spreadsheet writer for the import tests
# (tests/e2e/exchange.rs); two client generators with a TypeScript compiler, which make
# and use clients of the served document (tests/e2e/clients.rs); and Debian's Prometheus
# (`prometheus`, `promtool`), which unit-tests the alert rules and scrapes a server in
# tests/e2e/monitoring.rs (about 30 s to install), and Debian's nginx (`nginx-light`), which
# tests/e2e/load_balancer.rs checks and runs in front of two instances; kubernetes-validate,
# which checks the Kubernetes manifests against the API's schemas offline
# (tests/e2e/deployment_artifacts.rs). Idempotent;
# `scripts/test.sh` runs it. Installing Chromium, Prometheus, nginx, Python or Node.js needs
# root (apt).
#
# Everything lives under $CAMPUSHUB_TOOLS_DIR (default /tmp/campushub-tools), pinned, each
# tool set in its own place: schemathesis/bin/{st,python}, the virtual environment of
# schemathesis and the validator; clients/bin/{openapi-python-client,python}, that of the
# Python generator (whose dependencies, httpx and attrs, are what the generated client needs
# to run); kubernetes-validate/bin/kubernetes-validate, with the schemas it ships; npm/node_modules/.bin/{openapi-typescript,tsc}, an npm prefix of the TypeScript
# generator and compiler. The tests read the same variable, and run offline once it is done.
set -euo pipefail

log() { printf 'test-tools: %s\n' "$*" >&2; }

# shellcheck source=lib/apt.sh
source "$(dirname "$0")/lib/apt.sh"

command -v chromium >/dev/null 2>&1 || apt_install chromium
command -v promtool >/dev/null 2>&1 || apt_install prometheus
# curl runs the image's HEALTHCHECK command in tests/e2e/deployment_artifacts.rs.
command -v curl >/dev/null 2>&1 || apt_install curl
# Debian installs nginx in /usr/sbin, which a non-root PATH may lack.
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || apt_install nginx-light

# Pinned: a new release brings new checks and new data generators (a new generator release,
# new names and new warnings), so an upgrade is a change of its own (with the findings it
# brings), not something a test run picks up.
SCHEMATHESIS_VERSION=4.32.5
OPENAPI_SPEC_VALIDATOR_VERSION=0.9.0

OPENAPI_PYTHON_CLIENT_VERSION=0.29.1
OPENAPI_TYPESCRIPT_VERSION=7.13.0
TYPESCRIPT_VERSION=5.9.3
OPENPYXL_VERSION=3.1.5
KUBERNETES_VALIDATE_VERSION=1.37.0

tools="${CAMPUSHUB_TOOLS_DIR:-/tmp/campushub-tools}"

# `installed VENV NAME VERSION...`: whether VENV holds each NAME at exactly VERSION.
installed() {
  local venv=$1
  shift
  "$venv/bin/python" - "$@" 2>/dev/null <<'PY'
import sys
from importlib.metadata import version
sys.exit(any(version(name) != wanted for name, wanted in zip(sys.argv[1::2], sys.argv[2::2])))
PY
}
# `venv_install VENV NAME VERSION...`: VENV (created if need be) with each NAME==VERSION.
venv_install() {
  local venv=$1
  shift
  installed "$venv" "$@" && return
  command -v python3 >/dev/null 2>&1 || apt_install python3
  python3 -m venv "$venv" >/dev/null 2>&1 || { apt_install python3-venv; python3 -m venv "$venv"; }
  local pins=()
  while [ $# -gt 0 ]; do pins+=("$1==$2"); shift 2; done
  log "installing ${pins[*]} in $venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${pins[@]}"
}

venv_install "$tools/schemathesis" schemathesis "$SCHEMATHESIS_VERSION" \
  openapi-spec-validator "$OPENAPI_SPEC_VALIDATOR_VERSION"
venv_install "$tools/clients" openapi-python-client "$OPENAPI_PYTHON_CLIENT_VERSION"
# A spreadsheet writer that is not CampusHub's: the import tests read XLSX files openpyxl
# wrote (tests/e2e/exchange.rs).
venv_install "$tools/openpyxl" openpyxl "$OPENPYXL_VERSION"
# The Kubernetes API's schemas, shipped in the package: the manifests under
# deploy/kubernetes are validated without a cluster (tests/e2e/deployment_artifacts.rs).
venv_install "$tools/kubernetes-validate" kubernetes-validate "$KUBERNETES_VALIDATE_VERSION"

# The npm packages, in a prefix of their own (nothing global): exact versions.
npm_prefix="$tools/npm"
npm_installed() {
  local name version
  while [ $# -gt 0 ]; do
    name=$1 version=$2
    shift 2
    node -e 'process.exit(require(process.argv[1]).version === process.argv[2] ? 0 : 1)' \
      "$npm_prefix/node_modules/$name/package.json" "$version" 2>/dev/null || return 1
  done
}
if ! npm_installed openapi-typescript "$OPENAPI_TYPESCRIPT_VERSION" \
    typescript "$TYPESCRIPT_VERSION"; then
  command -v npm >/dev/null 2>&1 || apt_install nodejs npm
  mkdir -p "$npm_prefix"
  log "installing openapi-typescript $OPENAPI_TYPESCRIPT_VERSION and typescript $TYPESCRIPT_VERSION in $npm_prefix"
  npm install --prefix "$npm_prefix" --no-audit --no-fund --save-exact --loglevel=error \
    "openapi-typescript@$OPENAPI_TYPESCRIPT_VERSION" "typescript@$TYPESCRIPT_VERSION" >/dev/null
fi
