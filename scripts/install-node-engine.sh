#!/usr/bin/env bash
# Installs the BUILT node engine on a worker, from a checkout where `pnpm install && pnpm build`
# has run. Layout (every path under --prefix, default /):
#   opt/canopy/node-engine/               dist/ plus its production node_modules (pnpm deploy)
#   usr/local/bin/node-engine             launcher: `node-engine [flags]`, `node-engine status`
#   etc/canopy/node-engine.yaml           config file (mode 600: it holds the join token), kept if present
#   etc/systemd/system/canopy-node-engine.service
#   var/lib/canopy/node/           data directory (identity, desired state, status file)
# Nothing is started unless --enable is given (then systemctl daemon-reload + enable --now).
set -euo pipefail

usage() {
  cat <<'EOF'
usage: scripts/install-node-engine.sh [options]
  --prefix DIR       install under DIR instead of / (a test or a package build; no systemd then)
  -a ADDRESS         cluster manager host or IP (Oakestra NodeEngine -a), written to the config file
  -p PORT            cluster manager port (default 10100)
  --token TOKEN      cluster join token (NODE_TOKEN), written to the config file
  --name NAME        stable node name (NODE_NAME)
  --data-dir DIR     state directory (default <prefix>/var/lib/canopy/node)
  --node PATH        Node.js binary the launcher runs (default: `command -v node`)
  --force-config     overwrite an existing config file
  --enable           systemctl daemon-reload and enable --now canopy-node-engine (prefix / only)
EOF
}

PREFIX=/
ADDRESS=''
PORT=''
TOKEN=''
NAME=''
DATA_DIR=''
NODE_BIN=''
FORCE_CONFIG=0
ENABLE=0
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) PREFIX="${2:?--prefix needs a directory}"; shift 2 ;;
    -a | --cluster-address) ADDRESS="${2:?-a needs an address}"; shift 2 ;;
    -p | --cluster-port) PORT="${2:?-p needs a port}"; shift 2 ;;
    --token) TOKEN="${2:?--token needs a value}"; shift 2 ;;
    --name) NAME="${2:?--name needs a value}"; shift 2 ;;
    --data-dir) DATA_DIR="${2:?--data-dir needs a directory}"; shift 2 ;;
    --node) NODE_BIN="${2:?--node needs a path}"; shift 2 ;;
    --force-config) FORCE_CONFIG=1; shift ;;
    --enable) ENABLE=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "install-node-engine: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
done
if [ -n "$PORT" ] && ! [[ "$PORT" =~ ^[0-9]{1,5}$ && "$PORT" -ge 1 && "$PORT" -le 65535 ]]; then
  echo "install-node-engine: -p must be a port number, got '$PORT'" >&2
  exit 2
fi

if [ -n "$PORT" ] && [ -z "$ADDRESS" ]; then
  echo "install-node-engine: -p needs -a (the cluster address)" >&2
  exit 2
fi

REPO="$(cd "$(dirname "$0")/.." && pwd)"
if [ ! -f "$REPO/packages/node-engine/dist/main.js" ]; then
  echo "install-node-engine: $REPO/packages/node-engine/dist/main.js is missing: run 'pnpm build' first" >&2
  exit 1
fi
NODE_BIN="${NODE_BIN:-$(command -v node || true)}"
if [ -z "$NODE_BIN" ] || [ ! -x "$NODE_BIN" ]; then
  echo "install-node-engine: no Node.js found (need >= 20); pass --node PATH" >&2
  exit 1
fi

mkdir -p "$PREFIX"
ROOT="$(cd "$PREFIX" && pwd)"
ROOT="${ROOT%/}"
APP="$ROOT/opt/canopy/node-engine"
BIN="$ROOT/usr/local/bin/node-engine"
CONFIG="$ROOT/etc/canopy/node-engine.yaml"
UNIT="$ROOT/etc/systemd/system/canopy-node-engine.service"
DATA_DIR="${DATA_DIR:-$ROOT/var/lib/canopy/node}"

# The engine and its production dependencies only (no dev deps, no other workspace package).
STAGE="$(mktemp -d "${TMPDIR:-/tmp}/canopy-node-engine-stage.XXXXXX")"
trap 'rm -rf "$STAGE"' EXIT
(cd "$REPO" && pnpm --filter @canopy/node-engine deploy --prod --prefer-offline --legacy "$STAGE/app" >"$STAGE/deploy.log" 2>&1) || {
  cat "$STAGE/deploy.log" >&2
  echo "install-node-engine: pnpm deploy failed" >&2
  exit 1
}
rm -rf "$APP"
mkdir -p "$(dirname "$APP")" "$(dirname "$BIN")" "$(dirname "$CONFIG")" "$(dirname "$UNIT")" "$DATA_DIR"
mv "$STAGE/app" "$APP"
chmod 700 "$DATA_DIR"

cat >"$BIN" <<EOF
#!/bin/sh
# Canopy node engine launcher (installed by scripts/install-node-engine.sh).
: "\${NODE_ENGINE_CONFIG:=$CONFIG}"
export NODE_ENGINE_CONFIG
# V8 flags of packages/node-engine/deploy/canopy-node-engine.service (why: see there).
exec "$NODE_BIN" --max-semi-space-size=1 --max-old-space-size=96 --optimize-for-size --lite-mode --no-expose-wasm "$APP/dist/main.js" "\$@"
EOF
chmod 755 "$BIN"

if [ -f "$CONFIG" ] && [ "$FORCE_CONFIG" -eq 0 ]; then
  echo "install-node-engine: keeping existing $CONFIG (--force-config replaces it)"
else
  umask_before="$(umask)"
  umask 077
  {
    echo '# Canopy node engine config (keys: README, "Node engine" table). Flags and env override it.'
    if [ -n "$ADDRESS" ]; then
      case "$ADDRESS" in
        http://* | https://*) echo "clusterUrl: ${ADDRESS}${PORT:+:$PORT}" ;;
        *) echo "clusterUrl: http://${ADDRESS}:${PORT:-10100}" ;;
      esac
    else
      echo '# clusterUrl: http://cluster.example:10100'
    fi
    if [ -n "$TOKEN" ]; then echo "token: '${TOKEN//\'/\'\'}'"; else echo '# token: <cluster join token>'; fi
    if [ -n "$NAME" ]; then echo "name: '${NAME//\'/\'\'}'"; else echo '# name: <stable node name, default the host name>'; fi
    echo "dataDir: $DATA_DIR"
  } >"$CONFIG"
  umask "$umask_before"
  chmod 600 "$CONFIG"
fi

# The hand-install unit (packages/node-engine/deploy/canopy-node-engine.service), this layout's paths.
cat >"$UNIT" <<EOF
[Unit]
Description=Canopy node engine (worker daemon)
Documentation=https://github.com/canopy/canopy/tree/main/packages/node-engine
After=network-online.target docker.service
Wants=network-online.target
Requires=docker.service

[Service]
Type=simple
Environment=NODE_ENGINE_CONFIG=$CONFIG
# Variables here override the config file (e.g. NODE_TOKEN=..., CLUSTER_URL=...).
EnvironmentFile=-$ROOT/etc/canopy/node-engine.env
ExecStart=$BIN
# SIGTERM: disconnect and exit 0. Containers are Docker's, not this unit's: they keep running.
KillSignal=SIGTERM
KillMode=process
TimeoutStopSec=20
Restart=always
RestartSec=2
NoNewPrivileges=true
ProtectSystem=strict
ProtectHome=true
ReadWritePaths=$DATA_DIR /run/docker.sock
PrivateTmp=true

[Install]
WantedBy=multi-user.target
EOF
chmod 644 "$UNIT"

echo "installed: $BIN -> $APP (config $CONFIG, data $DATA_DIR, unit $UNIT)"
if [ "$ENABLE" -eq 1 ]; then
  if [ "$ROOT" != '' ]; then
    echo "install-node-engine: --enable only with --prefix / (the unit names $ROOT paths)" >&2
    exit 1
  fi
  if ! command -v systemctl >/dev/null || [ ! -d /run/systemd/system ]; then
    echo "install-node-engine: systemd is not running here; start it with: $BIN" >&2
    exit 1
  fi
  systemctl daemon-reload
  systemctl enable --now canopy-node-engine.service
  echo "enabled and started canopy-node-engine.service (node-engine status shows what it runs)"
fi
