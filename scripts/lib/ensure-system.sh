#!/usr/bin/env bash
# Installs what Canopy needs from the system when it is missing, and starts a Docker engine if
# none answers. Sourced by scripts/up.sh and scripts/test.sh, so a fresh machine needs nothing
# done by hand (DEVELOPERS.md). Needs root for apt-get and dockerd; both are skipped when present.
set -euo pipefail

log() { printf '[canopy-setup] %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo "$@"; else
    log "need root to run: $*"; return 1
  fi
}

ensure_apt_packages() {
  local missing=()
  command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
  command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || missing+=(mosquitto)
  [ -x /bin/busybox ] || missing+=(busybox-static)
  # The compose layer (test/compose): Debian's docker-compose 1.29 and debootstrap for the base images.
  command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
  command -v debootstrap >/dev/null 2>&1 || [ -x /usr/sbin/debootstrap ] || missing+=(debootstrap)
  # The real-browser CORS test (packages/root/test/cors-browser.int-spec.ts) drives it headless.
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  # The private-image test (packages/node-engine/test/private-images.int-spec.ts): a real registry
  # with an htpasswd login.
  [ -x /usr/bin/docker-registry ] || missing+=(docker-registry)
  command -v htpasswd >/dev/null 2>&1 || missing+=(apache2-utils)
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

ensure_dockerd() {
  if docker info >/dev/null 2>&1; then return 0; fi
  log "starting dockerd"
  as_root bash -c 'nohup dockerd >/var/log/canopy-dockerd.log 2>&1 &'
  for _ in $(seq 1 60); do
    if docker info >/dev/null 2>&1; then return 0; fi
    sleep 1
  done
  log "dockerd did not come up; see /var/log/canopy-dockerd.log"
  tail -n 20 /var/log/canopy-dockerd.log >&2 || true
  return 1
}

ensure_pnpm() {
  if command -v pnpm >/dev/null 2>&1; then return 0; fi
  log "installing pnpm"
  as_root npm install -g pnpm@10 >/dev/null 2>&1
}

ensure_system() {
  ensure_apt_packages
  ensure_dockerd
  ensure_pnpm
}
