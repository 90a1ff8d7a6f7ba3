#!/usr/bin/env bash
# Builds the base images the production Dockerfiles start FROM, for a machine that reaches no
# image registry (SPEC §8): a Debian bookworm root filesystem made by debootstrap (minbase) and
# piped into `docker import`, then the same with this machine's Node.js runtime copied in.
#   canopy-base/debian:bookworm-slim   stands in for debian:bookworm-slim (docker/mosquitto)
#   canopy-base/node:20-bookworm-slim  stands in for node:20-bookworm-slim (Dockerfile)
# A real user never runs this: their `docker build` pulls the official images. Images already
# present are kept (cached by tag); `--force` rebuilds them. Needs root (debootstrap).
# Takes about 2-4 minutes on 2 cores the first time (network-bound), nothing after.
set -euo pipefail
DEBIAN_IMAGE="${CANOPY_DEBIAN_BASE_IMAGE:-canopy-base/debian:bookworm-slim}"
NODE_IMAGE="${CANOPY_BASE_IMAGE:-canopy-base/node:20-bookworm-slim}"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
force=0
[ "${1:-}" = "--force" ] && force=1

have() { [ "$force" -eq 0 ] && docker image inspect "$1" >/dev/null 2>&1; }

if have "$DEBIAN_IMAGE" && have "$NODE_IMAGE"; then
  echo "images $DEBIAN_IMAGE and $NODE_IMAGE already present"
  exit 0
fi
command -v debootstrap >/dev/null 2>&1 || {
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null ||
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null; }
}

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
rootfs="$tmp/rootfs"
debootstrap --variant=minbase --include=ca-certificates bookworm "$rootfs" "$MIRROR" >"$tmp/debootstrap.log" 2>&1 ||
  { tail -n 30 "$tmp/debootstrap.log" >&2; exit 1; }
# This machine's trust store (it may hold the CA of the network's TLS proxy) so that apt and npm
# inside the builds reach their registries as the host does.
cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"
cp /etc/apt/sources.list.d/*.sources "$rootfs/etc/apt/sources.list.d/" 2>/dev/null || true
[ -f /etc/apt/sources.list.d/debian.sources ] && rm -f "$rootfs/etc/apt/sources.list"
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*

import() { # rootfs image [--change ...]
  local dir="$1" image="$2"
  shift 2
  tar -C "$dir" -c . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' "$@" \
    - "$image" >/dev/null
  echo "built $image"
}
import "$rootfs" "$DEBIAN_IMAGE"

# Node.js as the official image lays it out (/usr/local/bin/node, npm under /usr/local/lib),
# with its headers so node-gyp builds native addons without downloading them.
node_bin="$(command -v node)"
node_prefix="$(cd "$(dirname "$(readlink -f "$node_bin")")/.." && pwd)"
mkdir -p "$rootfs/usr/local/bin" "$rootfs/usr/local/lib/node_modules" "$rootfs/usr/local/include"
cp "$(readlink -f "$node_bin")" "$rootfs/usr/local/bin/node"
cp -a "$node_prefix/lib/node_modules/npm" "$rootfs/usr/local/lib/node_modules/npm"
cp -a "$node_prefix/include/node" "$rootfs/usr/local/include/node"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
chroot "$rootfs" /usr/local/bin/node --version >/dev/null
# npm and node take the system trust store (as the host's npm is set to), and node-gyp the headers.
import "$rootfs" "$NODE_IMAGE" \
  --change 'ENV npm_config_nodedir=/usr/local' \
  --change 'ENV npm_config_cafile=/etc/ssl/certs/ca-certificates.crt' \
  --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
  --change 'CMD ["node"]'
