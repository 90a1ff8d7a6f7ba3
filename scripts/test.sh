#!/usr/bin/env bash
# The README's test command (`npm test`): sets up what is missing, builds, checks lint and format,
# then runs every test layer against real parts: unit, integration (SQLite, MQTT, Docker) and end
# to end (root, cluster and node engine as separate processes, a real container on a real port),
# then fault injection (kill -9, SIGSTOP) on those processes, then both compose files booted.
# Every layer runs even if an earlier one fails; the last line sums them up.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/ensure-system.sh
ensure_system
# kubectl 1.20 for the /k8s e2e test (exports KUBECTL_1_20; never fails).
source scripts/lib/ensure-kubectl.sh
pnpm install --frozen-lockfile --reporter=silent
node scripts/check-catalog.js
pnpm build
pnpm exec tsc --noEmit -p tsconfig.all.json
bash scripts/build-test-image.sh
pnpm exec eslint . --max-warnings 0
pnpm exec prettier --check . >/dev/null || { pnpm exec prettier --check . ; exit 1; }

results="$(mktemp -d)"
trap 'rm -rf "$results"' EXIT
status=0
pnpm exec jest --selectProjects unit --json --outputFile="$results/unit.json" || status=1
pnpm exec jest --selectProjects integration --runInBand --json --outputFile="$results/integration.json" || status=1
pnpm exec jest --selectProjects e2e --runInBand --json --outputFile="$results/e2e.json" || status=1
pnpm exec jest --selectProjects faults --runInBand --json --outputFile="$results/faults.json" || status=1
pnpm exec jest --selectProjects compose --runInBand --json --outputFile="$results/compose.json" || status=1
node -e '
  const fs = require("fs");
  let passed = 0, failed = 0, skipped = 0;
  for (const layer of ["unit", "integration", "e2e", "faults", "compose"]) {
    const file = `${process.argv[1]}/${layer}.json`;
    if (!fs.existsSync(file)) { console.log(`${layer}: did not report`); failed += 1; continue; }
    const r = JSON.parse(fs.readFileSync(file, "utf8"));
    console.log(`${layer}: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests} skipped`);
    passed += r.numPassedTests; failed += r.numFailedTests + r.numRuntimeErrorTestSuites; skipped += r.numPendingTests;
  }
  console.log(`Tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
' "$results"
exit $status
