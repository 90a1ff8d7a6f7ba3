#!/usr/bin/env bash
# The README's test command (`npm test`): sets up what is missing, builds, checks lint and format,
# then runs every test layer against real parts: unit, integration (SQLite, MQTT, Docker) and end
# to end (root, cluster and node engine as separate processes, a real container on a real port).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/ensure-system.sh
ensure_system
pnpm install --frozen-lockfile --reporter=silent
pnpm build
bash scripts/build-test-image.sh
pnpm exec eslint . --max-warnings 0
pnpm exec prettier --check . >/dev/null || { pnpm exec prettier --check . ; exit 1; }
pnpm exec jest --selectProjects unit
pnpm exec jest --selectProjects integration --runInBand
pnpm exec jest --selectProjects e2e --runInBand
