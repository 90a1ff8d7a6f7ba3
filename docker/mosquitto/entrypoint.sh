#!/bin/sh
# Starts Mosquitto with the dynamic-security plugin and no anonymous access. On first start the
# plugin's file is made with one admin login (MQTT_ADMIN_USERNAME / MQTT_ADMIN_PASSWORD): the
# cluster manager logs in with it and creates its own role and one client per registered node.
# TLS: with MQTT_TLS_CERT_FILE and MQTT_TLS_KEY_FILE set (paths inside the container) a second
# listener on 8883 speaks MQTTS; MQTT_TLS_CA_FILE, when set, is sent as the chain's CA.
set -eu
: "${MQTT_ADMIN_PASSWORD:?set MQTT_ADMIN_PASSWORD}"
admin="${MQTT_ADMIN_USERNAME:-canopy-admin}"
data=/mosquitto/data
conf=/run/canopy-mosquitto.conf
mkdir -p "$data"
if [ ! -f "$data/dynamic-security.json" ]; then
  mosquitto_ctrl dynsec init "$data/dynamic-security.json" "$admin" "$MQTT_ADMIN_PASSWORD" >/dev/null
fi
chown -R mosquitto:mosquitto "$data"
plugin="$(ls /usr/lib/*/mosquitto_dynamic_security.so | head -n 1)"
cat >"$conf" <<CONF
per_listener_settings false
allow_anonymous false
plugin $plugin
plugin_opt_config_file $data/dynamic-security.json
persistence true
persistence_location $data/
log_dest stdout
log_type error
log_type warning
connection_messages false
listener ${MQTT_LISTEN_PORT:-1883} 0.0.0.0
CONF
if [ -n "${MQTT_TLS_CERT_FILE:-}" ]; then
  : "${MQTT_TLS_KEY_FILE:?set MQTT_TLS_KEY_FILE with MQTT_TLS_CERT_FILE}"
  {
    echo "listener ${MQTT_TLS_LISTEN_PORT:-8883} 0.0.0.0"
    echo "certfile $MQTT_TLS_CERT_FILE"
    echo "keyfile $MQTT_TLS_KEY_FILE"
    [ -n "${MQTT_TLS_CA_FILE:-}" ] && echo "cafile $MQTT_TLS_CA_FILE"
  } >>"$conf"
fi
exec mosquitto -c "$conf"
