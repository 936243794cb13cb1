#!/usr/bin/env bash
# Installs the programs some tests drive besides the services (scripts/services.sh starts
# those): headless Chromium, which loads the API reference at /docs/ as a browser would.
# Idempotent; `scripts/test.sh` runs it. Installing needs root (apt).
set -euo pipefail

log() { printf 'test-tools: %s\n' "$*" >&2; }

# shellcheck source=lib/apt.sh
source "$(dirname "$0")/lib/apt.sh"

command -v chromium >/dev/null 2>&1 || apt_install chromium
