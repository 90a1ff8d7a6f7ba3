/** Types of bench/lib/hollow-fleet.js, for the tests that run hollow nodes. */
import type { ChildProcess } from 'node:child_process';

export interface ControlPlaneOptions {
  rootEnv?: Record<string, string>;
  clusterEnv?: Record<string, string>;
  clusterNodeArgs?: string[];
  maxConnections?: number;
  registerRateLimit?: number;
  keepWork?: boolean;
}

export interface PlaneProcess {
  name: string;
  child: ChildProcess;
  logFile: string;
  exited: Promise<number | string | null>;
}

export interface ControlPlane {
  work: string;
  root: PlaneProcess;
  cluster: PlaneProcess;
  clusterUrl: string;
  rootUrl: string;
  nodeToken: string;
  metricsToken: string;
  adminPassword: string;
  restartCluster(): Promise<{ killedAt: number; healthyAt: number }>;
  stop(): Promise<void>;
}

export interface FleetOptions {
  nodes: number;
  workers?: number;
  intervalMs?: number;
  instances?: number;
  concurrency?: number;
  prefix?: string;
}

export interface FleetStats {
  workers: number;
  registered: number;
  connected: number;
  registerRetries: number;
  /** Retries answered 409 NODE_NAME_TAKEN (an earlier attempt's answer was lost); those nodes gave up. */
  nameTakenAfterRetry: number;
  refused: number;
  paced: number;
  closedBeforeConnect: number;
  intervals: Record<string, number>;
  published: number;
  commands: number;
  registeredAt: number[];
  cpuSeconds: number;
  rssBytes: number;
}

export interface Fleet {
  errors: string[];
  pids: number[];
  stats(): Promise<FleetStats>;
  stop(): Promise<void>;
}

export interface ClusterHealth {
  ms: number;
  status: number;
  body: { status: string; nodes: number; activeNodes: number; rootConnected: boolean; reportIntervalMs?: number };
}

export function startControlPlane(options?: ControlPlaneOptions): Promise<ControlPlane>;
export function startFleet(plane: ControlPlane, options: FleetOptions): Fleet;
export function health(plane: ControlPlane): Promise<ClusterHealth>;
export function scrape(plane: ControlPlane, names: string[]): Promise<Record<string, number>>;
export function procUsage(pid: number): { cpuSeconds: number; rssBytes: number } | undefined;
export function waitUntil<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs: number): Promise<T>;
export function sleep(ms: number): Promise<void>;
