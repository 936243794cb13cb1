# shellcheck shell=bash
# `apt_install PACKAGE...`: installs Debian packages quietly, refreshing the package lists only
# when the install fails without them (a fresh machine). Needs root. Sourced by the scripts
# that install what the tests need; callers define `log`.

apt_install() {
  if [ "$(id -u)" -ne 0 ]; then
    log "missing $*: install it (apt-get install $*) or run as root"; exit 1
  fi
  log "installing $*"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 2>&1; then
    apt-get update -qq >/dev/null 2>&1
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  fi
}
