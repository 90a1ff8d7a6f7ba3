import { envInt } from '@canopy/schema';

/**
 * How the cluster sheds load past its capacity (issue 14): the report pace it asks of nodes and the
 * rate at which it admits connections and registrations. Optional so hand-built test configs need
 * not list them; `loadOverloadConfig` always sets every one, and `OVERLOAD_DEFAULTS` fills the gaps.
 */
export interface OverloadConfig {
  /** `NODE_REPORT_INTERVAL_MS`, default 2000: the interval nodes report at unless told otherwise (the node engine's `REPORT_INTERVAL_MS`) */
  nodeReportIntervalMs?: number | undefined;
  /** `NODE_REPORT_INTERVAL_MAX_MS`, default 60000: the longest interval the cluster asks nodes for */
  nodeReportIntervalMaxMs?: number | undefined;
  /** `NODE_REPORTS_PER_SECOND`, default 5000: node reports per second the cluster is sized for; past it nodes are told to report less often */
  nodeReportsPerSecond?: number | undefined;
  /** `CLUSTER_OVERLOAD_LOOP_DELAY_MS`, default 100: mean event-loop delay past which the cluster counts itself overloaded and doubles the interval */
  overloadLoopDelayMs?: number | undefined;
  /** `MQTT_CONNECT_RATE`, default 500: broker connections accepted per second (bursts of as many); more are closed at once and the node retries */
  mqttConnectRate?: number | undefined;
  /** `REGISTER_ADMISSION_RATE`, default 500: node registrations admitted per second from all addresses together (429 past it) */
  registerAdmissionRate?: number | undefined;
}

export const OVERLOAD_DEFAULTS = {
  nodeReportIntervalMs: 2000,
  nodeReportIntervalMaxMs: 60_000,
  nodeReportsPerSecond: 5000,
  overloadLoopDelayMs: 100,
  mqttConnectRate: 500,
  registerAdmissionRate: 500,
} as const satisfies Required<OverloadConfig>;

/** Reads the overload variables; throws a ConfigError naming the first bad one. */
export function loadOverloadConfig(env: NodeJS.ProcessEnv): Required<OverloadConfig> {
  const d = OVERLOAD_DEFAULTS;
  const nodeReportIntervalMs = envInt(
    'NODE_REPORT_INTERVAL_MS',
    env.NODE_REPORT_INTERVAL_MS,
    d.nodeReportIntervalMs,
    100,
    3_600_000,
  );
  return {
    nodeReportIntervalMs,
    // Never shorter than the base: a maximum below it would mean "report faster under load".
    nodeReportIntervalMaxMs: envInt(
      'NODE_REPORT_INTERVAL_MAX_MS',
      env.NODE_REPORT_INTERVAL_MAX_MS,
      Math.max(d.nodeReportIntervalMaxMs, nodeReportIntervalMs),
      nodeReportIntervalMs,
      3_600_000,
    ),
    nodeReportsPerSecond: envInt(
      'NODE_REPORTS_PER_SECOND',
      env.NODE_REPORTS_PER_SECOND,
      d.nodeReportsPerSecond,
      1,
      10_000_000,
    ),
    overloadLoopDelayMs: envInt(
      'CLUSTER_OVERLOAD_LOOP_DELAY_MS',
      env.CLUSTER_OVERLOAD_LOOP_DELAY_MS,
      d.overloadLoopDelayMs,
      1,
      60_000,
    ),
    mqttConnectRate: envInt('MQTT_CONNECT_RATE', env.MQTT_CONNECT_RATE, d.mqttConnectRate, 1, 1_000_000),
    registerAdmissionRate: envInt(
      'REGISTER_ADMISSION_RATE',
      env.REGISTER_ADMISSION_RATE,
      d.registerAdmissionRate,
      1,
      1_000_000,
    ),
  };
}
