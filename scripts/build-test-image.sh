#!/usr/bin/env bash
# Builds the local test image canopy-test/busybox:latest from Debian's busybox-static.
# No image registry is reachable from this workplace (SPEC §8), so every image the tests and
# benchmarks run is made here: a static busybox root filesystem piped into `docker import`.
set -euo pipefail
IMAGE="${1:-canopy-test/busybox:latest}"
BUSYBOX=/bin/busybox
if docker image inspect "$IMAGE" >/dev/null 2>&1; then
  echo "image $IMAGE already present"
  exit 0
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/bin" "$tmp/www" "$tmp/tmp" "$tmp/etc"
cp "$BUSYBOX" "$tmp/bin/busybox"
for applet in sh httpd sleep echo cat ls dd head yes true false wget env printf mkdir rm; do
  ln -s busybox "$tmp/bin/$applet"
done
echo 'canopy-ok' >"$tmp/www/index.html"
echo 'root:x:0:0:root:/:/bin/sh' >"$tmp/etc/passwd"
tar -C "$tmp" -c . | docker import \
  --change 'ENV PATH=/bin' \
  --change 'CMD ["/bin/httpd", "-f", "-p", "80", "-h", "/www"]' \
  - "$IMAGE" >/dev/null
echo "built $IMAGE"
