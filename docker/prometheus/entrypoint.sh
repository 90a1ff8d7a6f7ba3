#!/bin/sh
# Writes Prometheus's configuration from the environment, then runs it. Two jobs:
#   canopy-root      the root over the compose network (root:10000)
#   canopy-cluster   every cluster in CANOPY_PROMETHEUS_CLUSTERS (comma-separated host:port or
#                    http(s)://host:port, as this container reaches them), plus any file_sd JSON an
#                    operator mounts in /etc/prometheus/clusters.d/ (read again when it changes)
# Both send CANOPY_METRICS_TOKEN as the bearer token. It is written to a 0600 file and the config
# names the file (credentials_file), so the token never shows in /api/v1/status/config.
# Arguments are Prometheus flags (compose `command:`), e.g. --storage.tsdb.retention.time=30d.
set -eu
: "${CANOPY_METRICS_TOKEN:?set CANOPY_METRICS_TOKEN (the scrape token the root and the clusters take)}"
run=/run/canopy-prometheus
interval="${PROMETHEUS_SCRAPE_INTERVAL:-15s}"
umask 077
printf '%s' "$CANOPY_METRICS_TOKEN" >"$run/metrics-token"
umask 022

# One file_sd target group per cluster, so that each may have its own scheme.
{
  printf '['
  sep=''
  old_ifs="$IFS"
  IFS=','
  for target in ${CANOPY_PROMETHEUS_CLUSTERS:-}; do
    target="$(printf '%s' "$target" | tr -d ' ')"
    [ -n "$target" ] || continue
    scheme=http
    case "$target" in
      https://*) scheme=https ;;
    esac
    address="${target#*://}"
    address="${address%%/*}"
    printf '%s{"targets":["%s"],"labels":{"__scheme__":"%s"}}' "$sep" "$address" "$scheme"
    sep=','
  done
  IFS="$old_ifs"
  printf ']\n'
} >"$run/clusters.json"

cat >"$run/prometheus.yml" <<CONF
global:
  scrape_interval: $interval
  evaluation_interval: $interval
scrape_configs:
  - job_name: canopy-root
    authorization:
      credentials_file: $run/metrics-token
    static_configs:
      - targets: ['root:10000']
  - job_name: canopy-cluster
    authorization:
      credentials_file: $run/metrics-token
    file_sd_configs:
      - files: ['$run/clusters.json', '/etc/prometheus/clusters.d/*.json']
  - job_name: prometheus
    static_configs:
      - targets: ['127.0.0.1:9090']
CONF
exec prometheus \
  --config.file="$run/prometheus.yml" \
  --storage.tsdb.path=/prometheus \
  --web.listen-address=:9090 \
  "$@"
