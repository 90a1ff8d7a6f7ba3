#!/usr/bin/env bash
# The README's first command (`npm run up`): sets up a fresh machine (system packages, Docker
# engine, pnpm, dependencies, build) and starts Canopy in embedded mode: root + one cluster + one
# node engine in one process, SQLite under ./.canopy, in-process MQTT, the local Docker engine.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/ensure-system.sh
ensure_system
pnpm install --frozen-lockfile --reporter=silent
pnpm build
bash scripts/build-test-image.sh >/dev/null
exec node packages/cli/dist/main.js up "$@"
