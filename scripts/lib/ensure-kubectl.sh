#!/usr/bin/env bash
# Provides the two kubectl versions the /k8s surface is tested with (packages/root/test/k8s-kubectl.int-spec.ts):
# the machine's own kubectl (newer: aggregated discovery, OpenAPI v3) and Debian's kubectl 1.20
# (legacy discovery, OpenAPI v2 as protobuf). Debian's `kubernetes-client` cannot be apt-installed
# next to a newer kubectl (the files clash), so its .deb is downloaded and unpacked into a cache
# dir instead. Sourced by test set-up; exports KUBECTL_1_20 (empty when it could not be had).
# Never fails the caller (also under `set -euo pipefail`): the tests skip a kubectl that is missing.

# A machine with no kubectl at all gets Debian's (the aerOS docs' workflow is tested with it).
ensure_kubectl_on_path() {
  command -v kubectl >/dev/null 2>&1 && return 0
  { apt-get install -y -qq kubernetes-client >/dev/null 2>&1 ||
    { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq kubernetes-client >/dev/null 2>&1; }; } ||
    printf '[canopy-setup] could not install kubernetes-client\n' >&2
  return 0
}

ensure_kubectl_1_20() {
  local repo cache bin deb tmp
  repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
  cache="${KUBECTL_CACHE_DIR:-$repo/.canopy/kubectl-1.20}"
  bin="$cache/usr/bin/kubectl"
  if [ ! -x "$bin" ] && [ -x /opt/kubectl-1.20/usr/bin/kubectl ]; then bin=/opt/kubectl-1.20/usr/bin/kubectl; fi
  if [ ! -x "$bin" ]; then
    tmp="$(mktemp -d)"
    if (cd "$tmp" && { apt-get download kubernetes-client >/dev/null 2>&1 ||
      { apt-get update -qq >/dev/null 2>&1 && apt-get download kubernetes-client >/dev/null 2>&1; }; }); then
      deb="$(ls "$tmp"/kubernetes-client_*.deb 2>/dev/null | head -n1 || true)"
      if [ -n "$deb" ]; then mkdir -p "$cache" && dpkg-deb -x "$deb" "$cache" || true; fi
    fi
    rm -rf "$tmp"
    bin="$cache/usr/bin/kubectl"
  fi
  if [ -x "$bin" ] && "$bin" version --client >/dev/null 2>&1; then
    export KUBECTL_1_20="$bin"
  else
    printf '[canopy-setup] kubectl 1.20 not available; its tests will be skipped\n' >&2
    export KUBECTL_1_20=""
  fi
}

ensure_kubectl_on_path
ensure_kubectl_1_20
